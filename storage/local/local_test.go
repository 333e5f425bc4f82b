package local

import (
	"bufio"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/bpom/naskah"
	"github.com/bpom/naskah/storage"
	"github.com/bpom/naskah/storage/storagetest"
)

// MustOpen opens a store in dir and closes it at the end of the test.
func MustOpen(tb testing.TB, dir string) *Store {
	tb.Helper()
	s, err := Open(Config{Dir: dir})
	if err != nil {
		tb.Fatalf("open %s: %v", dir, err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) storage.Store { return MustOpen(t, t.TempDir()) })
}

func TestReopenKeepsVersions(t *testing.T) {
	dir := t.TempDir()
	s := MustOpen(t, dir)
	v1 := storagetest.MustPut(t, s, "k", []byte("one"), storage.PutOptions{})
	storagetest.MustPut(t, s, "k", []byte("two"), storage.PutOptions{})
	s.Delete(context.Background(), "k", storage.DeleteOptions{})
	s.Close()

	s = MustOpen(t, dir)
	vs, err := s.ListVersions(context.Background(), "k")
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != 3 || !vs[0].DeleteMarker || vs[2].VersionID != v1.VersionID {
		t.Fatalf("got %+v, want marker, two, one", vs)
	}
	v4 := storagetest.MustPut(t, s, "k", []byte("three"), storage.PutOptions{})
	if v4.VersionID <= vs[0].VersionID {
		t.Fatalf("got version %s after reopen, want above %s", v4.VersionID, vs[0].VersionID)
	}
}

func TestSecondOpenRefused(t *testing.T) {
	dir := t.TempDir()
	MustOpen(t, dir)
	_, err := Open(Config{Dir: dir})
	storagetest.MustCode(t, err, naskah.ECONFLICT)
	if !strings.Contains(err.Error(), "already in use") {
		t.Fatalf("got %q, want a message saying the directory is in use", err)
	}
}

func TestChecksumOnRead(t *testing.T) {
	s := MustOpen(t, t.TempDir())
	info := storagetest.MustPut(t, s, "c/doc.pdf", []byte("original bytes"), storage.PutOptions{})
	path := s.dataPath("c/doc.pdf", info.VersionID)
	os.Chmod(path, 0o640)
	if err := os.WriteFile(path, []byte("tampered bytes"), 0o640); err != nil {
		t.Fatal(err)
	}
	rc, _, err := s.Get(context.Background(), "c/doc.pdf", storage.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	_, err = io.ReadAll(rc)
	storagetest.MustCode(t, err, naskah.EINTERNAL)
	if !strings.Contains(err.Error(), "checksum mismatch") {
		t.Fatalf("got %v, want checksum mismatch", err)
	}
}

func TestRetentionExpires(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s, err := Open(Config{Dir: t.TempDir(), Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	info := storagetest.MustPut(t, s, "r", []byte("x"), storage.PutOptions{RetainUntil: now.Add(24 * time.Hour)})
	storagetest.MustCode(t, s.Delete(context.Background(), "r", storage.DeleteOptions{VersionID: info.VersionID}), naskah.ERETAINED)
	now = now.Add(25 * time.Hour)
	if err := s.Delete(context.Background(), "r", storage.DeleteOptions{VersionID: info.VersionID}); err != nil {
		t.Fatalf("got %v after the retention date, want nil", err)
	}
}

func TestClosed(t *testing.T) {
	s := MustOpen(t, t.TempDir())
	s.Close()
	_, err := storagetest.Put(s, "k", []byte("x"), storage.PutOptions{})
	storagetest.MustCode(t, err, naskah.EUNAVAILABLE)
}

// slowReader produces bytes forever, slowly, and says so on ready once.
type slowReader struct {
	n     int
	ready func()
}

func (r *slowReader) Read(p []byte) (int, error) {
	if r.n > 4<<20 && r.ready != nil {
		r.ready()
		r.ready = nil
	}
	time.Sleep(time.Millisecond)
	p = p[:min(len(p), 64<<10)]
	for i := range p {
		p[i] = byte(r.n + i)
	}
	r.n += len(p)
	return len(p), nil
}

// TestKilledWriter re-runs this test binary as a writer that streams a large
// object slowly, SIGKILLs it mid-write, and checks the directory afterwards.
func TestKilledWriter(t *testing.T) {
	if dir := os.Getenv("NASKAH_LOCAL_WRITER_DIR"); dir != "" {
		s, err := Open(Config{Dir: dir})
		if err != nil {
			t.Fatal(err)
		}
		_, err = s.Put(context.Background(), "big/doc.pdf", &slowReader{ready: func() { os.Stdout.WriteString("WRITING\n") }}, storage.PutOptions{Size: -1})
		t.Fatalf("put returned %v; it should have been killed", err)
	}

	dir := t.TempDir()
	s := MustOpen(t, dir)
	before := storagetest.MustPut(t, s, "big/doc.pdf", []byte("committed"), storage.PutOptions{})
	s.Close()

	cmd := exec.Command(os.Args[0], "-test.run=^TestKilledWriter$", "-test.count=1")
	cmd.Env = append(os.Environ(), "NASKAH_LOCAL_WRITER_DIR="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(out).ReadString('\n')
	if line != "WRITING\n" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("writer said %q, want WRITING", line)
	}
	// While the writer runs the directory is locked.
	if _, err := Open(Config{Dir: dir}); naskah.ErrorCode(err) != naskah.ECONFLICT {
		t.Errorf("open during write: got %v, want ECONFLICT", err)
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()

	tmps, _ := filepath.Glob(filepath.Join(dir, "tmp", "*"))
	if len(tmps) == 0 {
		t.Fatalf("got no temp file after the kill, want the torn upload there (test did not kill mid-write)")
	}
	s = MustOpen(t, dir) // the lock died with the process
	vs, err := s.ListVersions(context.Background(), "big/doc.pdf")
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != 1 || vs[0].VersionID != before.VersionID {
		t.Fatalf("got versions %+v, want only %s", vs, before.VersionID)
	}
	got, _ := storagetest.MustGet(t, s, "big/doc.pdf", storage.GetOptions{})
	if string(got) != "committed" {
		t.Fatalf("got %q, want %q", got, "committed")
	}
	if tmps, _ := filepath.Glob(filepath.Join(dir, "tmp", "*")); len(tmps) != 0 {
		t.Fatalf("got temp files %v after reopen, want none", tmps)
	}
}

// TestRetainSurvivesReopen: retention set after the Put is on disk, not
// only in memory.
func TestRetainSurvivesReopen(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	v := storagetest.MustPut(t, s, "k", []byte("signed"), storage.PutOptions{})
	until := time.Now().Add(time.Hour).Truncate(time.Second)
	if err := s.Retain(context.Background(), "k", v.VersionID, until); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = MustOpen(t, dir)
	info, err := s.Stat(context.Background(), "k", storage.GetOptions{VersionID: v.VersionID})
	if err != nil || !info.RetainUntil.Equal(until) {
		t.Fatalf("after reopen: retain until %v (%v), want %v", info.RetainUntil, err, until)
	}
	storagetest.MustCode(t, s.Delete(context.Background(), "k", storage.DeleteOptions{VersionID: v.VersionID}), naskah.ERETAINED)
}
