package api_test

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/bpom/naskah/api"
)

func mustListen(tb testing.TB, s *api.Server) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	go s.Listen(ln)
	tb.Cleanup(func() { s.App().ShutdownWithTimeout(5 * time.Second) })
	return "http://" + ln.Addr().String()
}

func loginStatus(tb testing.TB, base, xff, user, pass string) (int, http.Header) {
	tb.Helper()
	req, _ := http.NewRequest("POST", base+api.Prefix+"/login", strings.NewReader(`{"username":"`+user+`","password":"`+pass+`"}`))
	req.Header.Set("Content-Type", "application/json")
	if xff != "" {
		req.Header.Set("X-Forwarded-For", xff)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode, resp.Header
}

// TestLoginNoLockout: behind a trusted proxy, an attacker's wrong
// passwords for "unit" throttle the attacker (429 with Retry-After) and
// the real user, from another address, still logs in.
func TestLoginNoLockout(t *testing.T) {
	s := MustLocalServer(t, t.TempDir(), func(c *api.Config) {
		c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	})
	base := mustListen(t, s)
	for i := 0; i < 5; i++ {
		if st, _ := loginStatus(t, base, "203.0.113.9", "unit", "salah"); st != 401 {
			t.Fatalf("wrong password %d: %d, want 401", i+1, st)
		}
	}
	st, h := loginStatus(t, base, "203.0.113.9", "unit", "unit-pass")
	if st != 429 || h.Get("Retry-After") == "" {
		t.Fatalf("attacker after 5 failures: %d Retry-After %q, want 429 with Retry-After", st, h.Get("Retry-After"))
	}
	// A spoofed hop left of the proxy's entry changes nothing.
	if st, _ := loginStatus(t, base, "192.0.2.10, 203.0.113.9", "unit", "salah"); st != 429 {
		t.Errorf("attacker prepending an address: %d, want 429", st)
	}
	if st, _ := loginStatus(t, base, "192.0.2.10", "unit", "unit-pass"); st != 200 {
		t.Errorf("the real user from another address: %d, want 200", st)
	}
}

// TestForwardedForIgnoredFromUntrusted: without trusted proxies the header
// is the client's own claim and changes nothing.
func TestForwardedForIgnoredFromUntrusted(t *testing.T) {
	s := MustLocalServer(t, t.TempDir(), nil)
	base := mustListen(t, s)
	for i := 0; i < 5; i++ {
		loginStatus(t, base, "203.0.113."+string(rune('1'+i)), "unit", "salah")
	}
	if st, _ := loginStatus(t, base, "198.51.100.7", "unit", "salah"); st != 429 {
		t.Errorf("a fresh X-Forwarded-For from an untrusted peer: %d, want 429", st)
	}
}
