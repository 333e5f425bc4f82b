package api_test

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"runtime"
	"testing"
)

// TestUIUploadRefusedEarly: a 60 MB chunked UI upload over a 50 MB limit is
// refused with 413 having read about the limit, not the whole body; the
// allocation is measured and logged (go test -run TestUIUploadRefusedEarly -v).
func TestUIUploadRefusedEarly(t *testing.T) {
	s := MustLocalServer(t, t.TempDir(), withUI)
	base := mustListen(t, s)
	b := &browser{tb: t, cookies: map[string]string{}}
	b.do(s.App(), "GET", "/login", nil)
	b.do(s.App(), "POST", "/login", url.Values{"user": {"unit"}, "password": {"unit-pass"}})
	b.do(s.App(), "GET", "/sessions", nil) // the CSRF token bound to the session
	pr, pw := io.Pipe()
	go func() {
		mw := multipart.NewWriter(pw)
		mw.SetBoundary("naskahbatas")
		mw.WriteField("_csrf", b.csrf)
		mw.WriteField("kind", "nota_dinas")
		fw, _ := mw.CreateFormFile("file", "besar.pdf")
		chunk := bytes.Repeat([]byte("x"), 64<<10)
		for range 60 << 4 { // 60 MB
			if _, err := fw.Write(chunk); err != nil {
				pw.CloseWithError(err)
				return
			}
		}
		mw.Close()
		pw.Close()
	}()
	req, _ := http.NewRequest("POST", base+"/agreements/x/upload", pr)
	req.Header.Set("Content-Type", "multipart/form-data; boundary=naskahbatas")
	for k, v := range b.cookies {
		req.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	var m0, m1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m0)
	resp, err := http.DefaultClient.Do(req)
	runtime.ReadMemStats(&m1)
	pr.Close()
	if err == nil {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 2048))
		resp.Body.Close()
		if resp.StatusCode != 413 {
			t.Errorf("a 60 MB UI upload: %d, want 413: %s", resp.StatusCode, body)
		}
	}
	alloc := m1.TotalAlloc - m0.TotalAlloc
	t.Logf("a refused 60 MB chunked UI upload allocated %d MB (limit 50 MB)", alloc>>20)
	if alloc > 300<<20 {
		t.Errorf("allocated %d MB for a refused 60 MB upload, want well under 300 MB", alloc>>20)
	}
}
