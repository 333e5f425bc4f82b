package api_test

import (
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/bpom/naskah/api"
)

// TestHeavyWorkBounded: with one slot taken by an upload still arriving,
// another heavy request waits briefly and gets 503 with Retry-After; once
// the slot is free, heavy requests run again. Light requests never wait.
func TestHeavyWorkBounded(t *testing.T) {
	s := MustLocalServer(t, t.TempDir(), func(c *api.Config) { c.MaxHeavy, c.HeavyWait = 1, 100*time.Millisecond })
	base := mustListen(t, s)
	tok := loginToken(t, s, "unit")
	pr, pw := io.Pipe()
	slow, _ := http.NewRequest("POST", base+api.Prefix+"/agreements/x/documents?kind=initial_draft", pr)
	slow.Header.Set("Authorization", "Bearer "+tok)
	slow.Header.Set("Content-Type", "multipart/form-data; boundary=b")
	done := make(chan struct{})
	go func() {
		defer close(done)
		if resp, err := http.DefaultClient.Do(slow); err == nil {
			resp.Body.Close()
		}
	}()
	pw.Write([]byte("--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.pdf\"\r\n\r\n%PDF-1.7\n"))
	verify := func() *http.Response {
		req, _ := http.NewRequest("POST", base+api.Prefix+"/verify", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	var busy *http.Response
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); {
		if r := verify(); r.StatusCode == 503 {
			busy = r
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if busy == nil || busy.Header.Get("Retry-After") == "" {
		t.Fatalf("no 503 with Retry-After while the only slot is taken: %+v", busy)
	}
	if st := status(t, s, "GET", "/me", tok); st != 200 {
		t.Errorf("a light request while saturated: %d, want 200", st)
	}
	pw.CloseWithError(io.ErrUnexpectedEOF)
	<-done
	var st int
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); {
		if st = verify().StatusCode; st != 503 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if st != 400 {
		t.Errorf("verify without a file once the slot is free: %d, want 400", st)
	}
}
