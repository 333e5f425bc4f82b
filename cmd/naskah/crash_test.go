package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/bpom/naskah"
)

// TestKilledDuringUploads kills `naskah serve` with SIGKILL while 100
// uploads are in flight on the embedded store. After the crash `naskah
// fsck` is clean and, once restarted, every upload that was answered 2xx
// is in its agreement's record with the same SHA-256.
func TestKilledDuringUploads(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildBinary(t)
	dir := t.TempDir()
	users := filepath.Join(dir, "users.yaml")
	os.WriteFile(users, []byte(fmt.Sprintf("- username: ditwas\n  role: UNIT\n  unit: Direktorat Pengawasan Obat\n  tokens: [%s]\n", unitToken)), 0o600)
	data := filepath.Join(dir, "data")
	env := []string{"NASKAH_DATA_DIR=" + data, "NASKAH_LISTEN=127.0.0.1:0", "NASKAH_USERS_FILE=" + users, "NASKAH_DEMO=false",
		"NASKAH_SESSION_SECRET=" + strings.Repeat("k", 40), "NASKAH_LOG_LEVEL=error", "NASKAH_MINIO_ENDPOINT=", "NASKAH_MEILI_URL=", "NASKAH_CONFIG="}
	url, cmd := startServe(t, bin, env)

	const n = 100
	ids := make([]string, n)
	for i := range ids {
		body := fmt.Sprintf(`{"title":"Kerja sama %d","kind":"pks","process":"A","partner":{"name":"Mitra %d","kind":"business"}}`, i, i)
		r := apiDo(t, "POST", url+"/api/v1/agreements", unitToken, "application/json", strings.NewReader(body))
		var a naskah.Agreement
		if r.status != 201 || json.Unmarshal(r.body, &a) != nil {
			t.Fatalf("initiate: %d %s", r.status, r.body)
		}
		ids[i] = a.ID
	}

	type ok struct{ id, sha string }
	var (
		mu    sync.Mutex
		acked []ok
		wg    sync.WaitGroup
		start = make(chan struct{})
	)
	for i, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			ct, body := uploadForm(string(naskah.DocNotaDinas), 0, textPDF(fmt.Sprintf("crash%d", i)))
			r := apiDoQuiet(url+"/api/v1/agreements/"+id+"/documents", unitToken, ct, body)
			if r.status/100 == 2 {
				var resp struct {
					Document naskah.DocumentVersion `json:"document"`
				}
				json.Unmarshal(r.body, &resp)
				mu.Lock()
				acked = append(acked, ok{id, resp.Document.SHA256})
				mu.Unlock()
			}
		}()
	}
	close(start)
	// Kill once some uploads are acknowledged and others are in flight.
	deadline := time.Now().Add(30 * time.Second)
	for {
		mu.Lock()
		got := len(acked)
		mu.Unlock()
		if got >= 10 || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_, _ = cmd.Process.Wait()
	wg.Wait()
	t.Logf("%d of %d uploads were acknowledged before SIGKILL", len(acked), n)

	// The crash leaves a store fsck calls clean (no error findings).
	t.Setenv("NASKAH_DATA_DIR", data)
	t.Setenv("NASKAH_MINIO_ENDPOINT", "")
	t.Setenv("NASKAH_MEILI_URL", "")
	out := mustRun(t, 0, "fsck")
	t.Logf("fsck after SIGKILL:\n%s", out)

	url, _ = startServe(t, bin, env)
	for _, a := range acked {
		r := apiDo(t, "GET", url+"/api/v1/agreements/"+a.id, unitToken, "", nil)
		var ag naskah.Agreement
		if r.status != 200 || json.Unmarshal(r.body, &ag) != nil {
			t.Fatalf("get %s after restart: %d %s", a.id, r.status, r.body)
		}
		d := ag.Latest(naskah.DocNotaDinas)
		if d == nil || d.SHA256 != a.sha {
			t.Errorf("%s: the acknowledged upload (%s) is not in the record after the crash", a.id, a.sha)
		}
	}
}

// apiDoQuiet posts like apiDo but treats a dropped connection (the server
// was killed) as status 0 instead of a test error.
func apiDoQuiet(url, token, contentType string, body io.Reader) apiResult {
	req, _ := http.NewRequest("POST", url, body)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", contentType)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return apiResult{}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return apiResult{}
	}
	return apiResult{resp.StatusCode, b}
}
