package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/bpom/naskah"
	"github.com/bpom/naskah/api/web"
)

func TestLocalTarget(t *testing.T) {
	tests := []struct {
		name, in string
		ok       bool
	}{
		{"page", "/agreements/x?tab=documents#d", true},
		{"root", "/", true},
		{"encoded stays text", "/search?q=%0D%0A", true},
		{"CRLF header injection", "/\r\nSet-Cookie: naskah_session=attacker", false},
		{"LF", "/\nX: y", false},
		{"tab then slash", "/\t/evil.example", false},
		{"space", "/ /evil.example", false},
		{"protocol-relative", "//evil.example", false},
		{"backslash", "/\\evil.example", false},
		{"backslash later", "/a\\b", false},
		{"scheme", "https://evil.example", false},
		{"javascript", "javascript:alert(1)", false},
		{"relative", "agreements", false},
		{"empty", "", false},
		{"NUL", "/a\x00", false},
		{"DEL", "/a\x7f", false},
		{"non-ASCII", "/a\u2028b", false},
		{"too long", "/" + strings.Repeat("a", 3000), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := web.LocalTarget(tt.in)
			if ok != tt.ok || (ok && got != tt.in) || (!ok && got != "") {
				t.Errorf("LocalTarget(%q) = %q, %v; want ok=%v", tt.in, got, ok, tt.ok)
			}
		})
	}
}

// TestLoginRedirectSafe: whatever next a login form carries, the answer
// is a 303 to a local path and adds no header of the attacker's.
func TestLoginRedirectSafe(t *testing.T) {
	e := MustEnv(t, "http://localhost")
	// The form body carries next percent-encoded: "/%0D%0ASet-Cookie:x"
	// on the wire is the first case; the last is that text sent literally
	// (a harmless local path, kept as it is).
	for next, want := range map[string]string{"/\r\nSet-Cookie:x=1": "/", "/\t/evil.example": "/", "//evil": "/", "/\\evil": "/",
		"https://evil": "/", "/%0D%0ASet-Cookie:x": "/%0D%0ASet-Cookie:x"} {
		c := newClient(t, e.App)
		c.get("/login?next=" + url.QueryEscape(next))
		r := c.post("/login", url.Values{"user": {"unit"}, "password": {"unit-pass"}, "next": {next}})
		if r.Status != http.StatusSeeOther {
			t.Fatalf("next=%q: got %d, want 303", next, r.Status)
		}
		if r.Location != want {
			t.Errorf("next=%q: Location %q, want a local path", next, r.Location)
		}
		for _, ck := range r.Header.Values("Set-Cookie") {
			if strings.HasPrefix(ck, "x=") {
				t.Errorf("next=%q: the attacker's cookie was set: %q", next, ck)
			}
		}
		if len(r.Header.Values("X")) > 0 {
			t.Errorf("next=%q: an injected header arrived", next)
		}
	}
	// The raw query form too: the login page must not echo an unsafe next.
	c := newClient(t, e.App)
	r := c.get("/login?next=%2F%0D%0ASet-Cookie%3Ax")
	if !strings.Contains(r.Body, `name="next" value=""`) {
		t.Errorf("the login page echoes an unsafe next:\n%s", r.Body)
	}
	// A safe next still works.
	c.get("/login")
	r = c.post("/login", url.Values{"user": {"unit"}, "password": {"unit-pass"}, "next": {"/agreements?x=1"}})
	if r.Location != "/agreements?x=1" {
		t.Errorf("safe next: Location %q, want /agreements?x=1", r.Location)
	}
}

// TestFormBodyBounded: a form larger than its bound is refused with 413
// before any field is parsed, and no session is opened.
func TestFormBodyBounded(t *testing.T) {
	e := MustEnv(t, "http://localhost")
	c := newClient(t, e.App)
	c.get("/login")
	r := c.post("/login", url.Values{"user": {"unit"}, "password": {"unit-pass"}, "pad": {strings.Repeat("a", 2<<20)}})
	if r.Status != http.StatusRequestEntityTooLarge {
		t.Errorf("a 2 MB login form: %d, want 413", r.Status)
	}
	if _, ok := c.cookies["naskah_session"]; ok {
		t.Errorf("a session was opened by a refused form")
	}
}

// TestInitiateRefusesMonev: a monev round cannot be created through the
// initiate form (it would skip the monev page's checks); nothing is stored.
func TestInitiateRefusesMonev(t *testing.T) {
	e := MustEnv(t, "http://localhost")
	c := newClient(t, e.App)
	c.login("bkh")
	c.get("/agreements/new")
	r := c.post("/agreements", url.Values{"title": {"Monev liar"}, "process": {"C"}, "kind": {"mou"}, "partner": {"PT X"},
		"partner_kind": {"business"}, "unit": {"Direktorat Registrasi Obat"}})
	if r.Status != http.StatusBadRequest || !strings.Contains(r.Body, "Monev") {
		t.Errorf("initiate with process C: %d, want 400 naming the Monev page", r.Status)
	}
	if all, _ := e.Engine.List(t.Context(), naskah.Actor{User: "bkh", Role: naskah.RoleBKH}); len(all) != 0 {
		t.Errorf("%d agreements stored, want 0", len(all))
	}
}
