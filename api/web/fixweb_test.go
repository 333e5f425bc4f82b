package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestVerifyDraftLikeMissing (issue 14 review): the public verify page of
// an unsigned draft answers exactly like a missing id: 404, no title, kind
// or partner.
func TestVerifyDraftLikeMissing(t *testing.T) {
	e := MustEnv(t, "http://naskah.test")
	c := newClient(t, e.App)
	c.login("unit")
	id := initiate(t, c, "PKS Rahasia Belum Ditandatangani")
	p := newClient(t, e.App)
	r := p.get("/verify/" + id)
	if r.Status != http.StatusNotFound || strings.Contains(r.Body, "Rahasia") || strings.Contains(r.Body, "Gadjah Mada") {
		t.Fatalf("public verify of a draft: %d, want 404 without the draft's title or partner\n%s", r.Status, r.Body)
	}
	missing := p.get("/verify/20260101-deadbeef00")
	if strings.ReplaceAll(r.Body, id, "ID") != strings.ReplaceAll(missing.Body, "20260101-deadbeef00", "ID") {
		t.Errorf("a draft's page differs from a missing id's")
	}
}

func (a *memAuth) setDown(down bool) {
	a.mu.Lock()
	a.down = down
	a.mu.Unlock()
}

// TestSessionsOutageNotALogout (issue 14 review): while sessions cannot be
// read a page is 503 with Retry-After (not a redirect to the login page),
// a logout says it was not recorded (503, cookie kept), and after recovery
// the session works and the logout then ends it.
func TestSessionsOutageNotALogout(t *testing.T) {
	e := MustEnv(t, "http://naskah.test")
	c := newClient(t, e.App)
	c.login("unit")
	c.get("/")
	e.Auth.setDown(true)
	r := c.get("/")
	if r.Status != http.StatusServiceUnavailable || r.Header.Get("Retry-After") == "" || r.Location != "" || !strings.Contains(r.Body, "tidak dikeluarkan") {
		t.Fatalf("a page during the outage: %d Location %q Retry-After %q, want 503 with Retry-After\n%s", r.Status, r.Location, r.Header.Get("Retry-After"), r.Body)
	}
	r = c.post("/logout", url.Values{})
	if r.Status != http.StatusServiceUnavailable || r.Header.Get("Retry-After") == "" || !strings.Contains(r.Body, "Keluar belum tercatat") {
		t.Fatalf("logout during the outage: %d, want 503 saying it was not recorded\n%s", r.Status, r.Body)
	}
	if c.cookies["naskah_session"] == "" {
		t.Fatalf("the session cookie was dropped by a logout that was not recorded")
	}
	e.Auth.setDown(false)
	if r = c.get("/"); r.Status != http.StatusOK {
		t.Fatalf("after recovery: %d, want the dashboard", r.Status)
	}
	if r = c.post("/logout", url.Values{}); r.Status != http.StatusSeeOther || r.Location != "/login" {
		t.Fatalf("logout after recovery: %d %q", r.Status, r.Location)
	}
	if r = c.get("/"); r.Status != http.StatusSeeOther {
		t.Fatalf("after logout: %d, want a redirect to the login page", r.Status)
	}
}

// TestMultipartOnlyWhereFilesGo (issue 14 review): a multipart POST to a
// form without files (the login) is refused before its body is read, and
// an upload without a session is refused before the file is read.
func TestMultipartOnlyWhereFilesGo(t *testing.T) {
	e := MustEnv(t, "http://naskah.test")
	p := newClient(t, e.App)
	p.get("/login")
	big := make([]byte, 2<<20)
	r := p.postMultipart("/login", map[string]string{"user": "unit", "password": "unit-pass"}, []file{{"file", "x.bin", big}}, nil)
	if r.Status != http.StatusBadRequest && r.Status != http.StatusRequestEntityTooLarge {
		t.Fatalf("multipart login: %d, want a refusal", r.Status)
	}
	if _, ok := p.cookies["naskah_session"]; ok {
		t.Fatalf("a multipart login opened a session")
	}
	r = p.postMultipart("/agreements/20260101-deadbeef00/upload", map[string]string{"kind": "nota_dinas"}, []file{{"file", "x.pdf", []byte("%PDF-1.4")}}, nil)
	if r.Status != http.StatusUnauthorized {
		t.Fatalf("upload without a session: %d, want 401", r.Status)
	}
	// A multipart body whose first fields lack the CSRF token is refused.
	c := newClient(t, e.App)
	c.login("unit")
	id := initiate(t, c, "PKS Tanpa Token")
	r = c.postMultipart("/agreements/"+id+"/upload", map[string]string{"_csrf": "salah", "kind": "nota_dinas"}, []file{{"file", "x.pdf", []byte("%PDF-1.4")}}, nil)
	if r.Status != http.StatusForbidden {
		t.Fatalf("upload with a wrong CSRF token: %d, want 403", r.Status)
	}
}
