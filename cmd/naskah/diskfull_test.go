package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/bpom/naskah"
	"github.com/bpom/naskah/pipeline"
)

// mustTmpfs mounts a tmpfs of sizeMB at a new directory, unmounted at the
// end. It needs root (CI runs as root); elsewhere the test skips, unless
// NASKAH_REQUIRE_FAULTS=1 makes that a failure.
func mustTmpfs(t *testing.T, sizeMB int) string {
	t.Helper()
	why := ""
	if os.Geteuid() != 0 {
		why = "not root"
	} else if _, err := exec.LookPath("mount"); err != nil {
		why = "no mount command"
	}
	dir := t.TempDir()
	if why == "" {
		if out, err := exec.Command("mount", "-t", "tmpfs", "-o", fmt.Sprintf("size=%dm", sizeMB), "tmpfs", dir).CombinedOutput(); err != nil {
			why = fmt.Sprintf("mount -t tmpfs failed: %v %s", err, out)
		}
	}
	if why != "" {
		if os.Getenv("NASKAH_REQUIRE_FAULTS") == "1" {
			t.Fatalf("the disk-full fault test needs to mount a tmpfs (%s) and NASKAH_REQUIRE_FAULTS=1", why)
		}
		t.Skipf("disk-full fault test skipped: it mounts a tmpfs and needs root (%s); CI runs it as root", why)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", "-l", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v %s", dir, err, out)
		}
	})
	return dir
}

// fill writes a file until the file system is full and returns its size.
func fill(t *testing.T, path string) int64 {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 1<<20)
	var n int64
	for {
		k, err := f.Write(chunk)
		n += int64(k)
		if errors.Is(err, syscall.ENOSPC) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	// Fill the last partial page too.
	for {
		k, err := f.Write(chunk[:512])
		n += int64(k)
		if err != nil {
			break
		}
	}
	return n
}

// TestDiskFullEmbedded runs the service on a 64 MB tmpfs, fills it to
// 100 %, and checks what clients see: clear 503s (never a 500, never a
// crash), /readyz not ready with the reason, reads still served; then frees
// the space and checks that, without a restart, actions succeed again, the
// outbox drains, search answers, and every acknowledged write is there.
func TestDiskFullEmbedded(t *testing.T) {
	mnt := mustTmpfs(t, 64)
	clearNaskahEnv(t)
	users := filepath.Join(t.TempDir(), "users.yaml")
	os.WriteFile(users, []byte(fmt.Sprintf("- username: ditwas\n  role: UNIT\n  unit: Direktorat Pengawasan Obat\n  tokens: [%s]\n", unitToken)), 0o600)
	cfg := DefaultConfig()
	cfg.DataDir, cfg.Listen, cfg.UsersFile, cfg.Demo, cfg.LogLevel = filepath.Join(mnt, "data"), "127.0.0.1:0", users, false, "error"
	cfg.SessionSecret, cfg.MinFreeMB = strings.Repeat("k", 40), 4
	m := &Main{Config: cfg, Out: io.Discard}
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	url := "http://" + m.Addr + "/api/v1"

	type ack struct{ id, sha string }
	var acked []ack
	seq := 0
	// act initiates an agreement and uploads a nota dinas; it returns the
	// statuses and records what was acknowledged.
	act := func() (int, int) {
		seq++
		body := fmt.Sprintf(`{"title":"Kerja sama disk %d","kind":"pks","process":"A","partner":{"name":"Mitra %d","kind":"business"}}`, seq, seq)
		r := apiDo(t, "POST", url+"/agreements", unitToken, "application/json", strings.NewReader(body))
		if r.status != 201 {
			return r.status, 0
		}
		var a naskah.Agreement
		json.Unmarshal(r.body, &a)
		acked = append(acked, ack{a.ID, ""})
		ct, form := uploadForm(string(naskah.DocNotaDinas), 0, textPDF(fmt.Sprintf("diskpenuh%d", seq)))
		u := apiDo(t, "POST", url+"/agreements/"+a.ID+"/documents", unitToken, ct, form)
		if u.status/100 == 2 {
			var resp struct {
				Document naskah.DocumentVersion `json:"document"`
			}
			json.Unmarshal(u.body, &resp)
			acked = append(acked, ack{a.ID, resp.Document.SHA256})
		}
		return r.status, u.status
	}
	for range 5 {
		if i, u := act(); i != 201 || u/100 != 2 {
			t.Fatalf("before the disk filled: initiate %d, upload %d", i, u)
		}
	}
	waitReady(t, m, 200, `"disk":"ok"`)

	filler := filepath.Join(mnt, "filler")
	n := fill(t, filler)
	var st syscall.Statfs_t
	syscall.Statfs(mnt, &st)
	t.Logf("disk full: wrote %d MB of filler; %d blocks free of %d", n>>20, st.Bavail, st.Blocks)

	statuses := map[int]int{}
	var bodies []string
	for range 20 {
		i, u := act()
		statuses[i]++
		if u != 0 {
			statuses[u]++
		}
	}
	// Uploads to agreements that exist (bigger writes than a record).
	uploads := map[int]int{}
	for i, a := range acked[:5] {
		ct, form := uploadForm(string(naskah.DocInitialDraft), 0, textPDF(fmt.Sprintf("penuhunggah%d", i)))
		u := apiDo(t, "POST", url+"/agreements/"+a.id+"/documents", unitToken, ct, form)
		uploads[u.status]++
		statuses[u.status]++
		if u.status/100 == 2 {
			var resp struct {
				Document naskah.DocumentVersion `json:"document"`
			}
			json.Unmarshal(u.body, &resp)
			acked = append(acked, ack{a.id, resp.Document.SHA256})
		}
	}
	for code := range statuses {
		if code == 500 || code == 0 {
			t.Errorf("with the disk full a client got %d (want 503 or 413, never 500 or a dropped connection): %v", code, statuses)
		}
	}
	r := apiDo(t, "POST", url+"/agreements", unitToken, "application/json", strings.NewReader(`{"title":"Kerja sama penuh","kind":"pks","process":"A","partner":{"name":"Mitra","kind":"business"}}`))
	bodies = append(bodies, string(r.body))
	if r.status != 503 || !strings.Contains(string(r.body), "disk") {
		t.Errorf("initiate with the disk full: %d %s, want 503 naming the disk", r.status, r.body)
	}
	if g := apiDo(t, "GET", url+"/agreements/"+acked[0].id, unitToken, "", nil); g.status != 200 {
		t.Errorf("read with the disk full: %d %s", g.status, g.body)
	}
	d := waitReady(t, m, 503, "min_free_mb")
	s := apiDo(t, "GET", url+"/search?q=diskpenuh", unitToken, "", nil)
	t.Logf("disk full: 20 initiates and 5 uploads answered %v (uploads %v); readyz 503 %q; search %d; initiate answered %s", statuses, uploads, d, s.status, bodies[0])

	// Free the space: everything comes back without a restart.
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	freed := time.Now()
	waitReady(t, m, 200, `"status":"ready"`)
	readyAfter := time.Since(freed)
	for range 3 {
		if i, u := act(); i != 201 || u/100 != 2 {
			t.Fatalf("after freeing the disk: initiate %d, upload %d", i, u)
		}
	}
	m.Engine.Kick()
	deadline := time.Now().Add(3 * time.Minute)
	for {
		p, err := m.Engine.Pending(context.Background())
		if err == nil && p == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("outbox still holds %d updates after the disk was freed (%v; last error %v)", p, err, m.Engine.OutboxErr())
		}
		time.Sleep(100 * time.Millisecond)
	}
	drainedAfter := time.Since(freed)
	missing := 0
	ids := map[string]bool{}
	for _, a := range acked {
		ids[a.id] = true
		g := apiDo(t, "GET", url+"/agreements/"+a.id, unitToken, "", nil)
		var ag naskah.Agreement
		if g.status != 200 || json.Unmarshal(g.body, &ag) != nil {
			missing++
			t.Errorf("acknowledged agreement %s: %d %s", a.id, g.status, g.body)
			continue
		}
		if a.sha != "" {
			if d := ag.Latest(naskah.DocNotaDinas); d == nil || d.SHA256 != a.sha {
				missing++
				t.Errorf("acknowledged upload %s of %s is not in the record", a.sha, a.id)
			}
		}
	}
	res := apiDo(t, "GET", url+"/search?type=agreement&limit=100", unitToken, "", nil)
	var sr struct{ Total int }
	json.Unmarshal(res.body, &sr)
	if res.status != 200 || sr.Total != len(ids) {
		t.Errorf("search after recovery: %d, %d agreements, want %d", res.status, sr.Total, len(ids))
	}
	rep, err := m.Engine.FsckWith(context.Background(), pipeline.FsckOptions{Deep: true})
	if err != nil || !rep.Clean() {
		t.Errorf("fsck -deep after the disk was freed: %v %+v", err, rep)
	}
	codes := []string{}
	for c, k := range statuses {
		codes = append(codes, fmt.Sprintf("%d×%d", k, c))
	}
	sort.Strings(codes)
	t.Logf("disk full on the embedded store: clients saw %s; %d acknowledged writes, %d acknowledged-but-missing; after freeing: ready in %v, outbox drained in %v, without restart; search finds %d agreements, fsck -deep clean",
		strings.Join(codes, " "), len(acked), missing, readyAfter.Round(time.Millisecond), drainedAfter.Round(time.Millisecond), sr.Total)
}
