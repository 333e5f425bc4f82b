package web_test

import (
	"strings"
	"testing"
)

// TestPageHeaders: pages are never cached, framed or sniffed and carry a
// CSP without inline script; static assets stay cacheable; HSTS only on https.
func TestPageHeaders(t *testing.T) {
	for _, base := range []string{"http://localhost", "https://naskah.pom.go.id"} {
		e := MustEnv(t, base)
		c := newClient(t, e.App)
		c.login("unit")
		for _, path := range []string{"/login", "/", "/agreements", "/agreements/nope", "/verify"} {
			r := c.get(path)
			h := r.Header
			if h.Get("Cache-Control") != "no-store" || h.Get("X-Content-Type-Options") != "nosniff" || h.Get("X-Frame-Options") != "DENY" {
				t.Errorf("%s: Cache-Control %q, nosniff %q, X-Frame-Options %q", path, h.Get("Cache-Control"), h.Get("X-Content-Type-Options"), h.Get("X-Frame-Options"))
			}
			csp := h.Get("Content-Security-Policy")
			for _, want := range []string{"script-src 'self'", "frame-ancestors 'none'", "object-src 'none'", "base-uri 'none'"} {
				if !strings.Contains(csp, want) || strings.Contains(csp, "unsafe-inline") {
					t.Errorf("%s: CSP %q lacks %s or allows inline", path, csp, want)
				}
			}
			if hsts := h.Get("Strict-Transport-Security"); strings.HasPrefix(base, "https") != (hsts != "") {
				t.Errorf("%s %s: HSTS %q", base, path, hsts)
			}
		}
		if r := c.get("/static/app.js"); !strings.HasPrefix(r.Header.Get("Cache-Control"), "public") {
			t.Errorf("static: Cache-Control %q, want public", r.Header.Get("Cache-Control"))
		}
	}
}
