package api_test

import (
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/gofiber/fiber/v2"
	"golang.org/x/crypto/bcrypt"

	"github.com/bpom/naskah"
	"github.com/bpom/naskah/api"
	"github.com/bpom/naskah/pipeline"
	"github.com/bpom/naskah/search/bleve"
	"github.com/bpom/naskah/storage"
	"github.com/bpom/naskah/storage/local"
)

// MustLocalServer is an api.Server over local storage and an in-memory
// index, for tests of the HTTP layer that need no MinIO. Users "unit",
// "bkh" and "admin" have the password "<name>-pass".
func MustLocalServer(tb testing.TB, dir string, edit func(*api.Config)) *api.Server {
	tb.Helper()
	st, err := local.Open(local.Config{Dir: filepath.Join(dir, "store")})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	s, _ := MustServerOn(tb, st, edit)
	return s
}

// MustServerOn is an api.Server with its own engine on st: several of them
// on one store are replicas.
func MustServerOn(tb testing.TB, st storage.Store, edit func(*api.Config)) (*api.Server, *pipeline.Engine) {
	tb.Helper()
	idx, err := bleve.OpenMem()
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { idx.Close() })
	eng := pipeline.New(st, idx, pipeline.DefaultConfig())
	cfg := api.DefaultConfig()
	cfg.SessionSecret = []byte(strings.Repeat("s", 32))
	for _, u := range []api.User{
		{Username: "unit", Name: "Dewi", Role: naskah.RoleUnit, Unit: "Direktorat Registrasi Obat"},
		{Username: "bkh", Name: "Sari", Role: naskah.RoleBKH},
		{Username: "admin", Name: "Admin", Role: naskah.RoleAdmin},
	} {
		u.PasswordHash = testHash(tb, u.Username+"-pass")
		cfg.Users = append(cfg.Users, u)
	}
	if edit != nil {
		edit(&cfg)
	}
	s, err := api.New(eng, cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return s, eng
}

func testRequest(tb testing.TB, app *fiber.App, method, path, body, token string) *http.Response {
	tb.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := app.Test(req, 30_000)
	if err != nil {
		tb.Fatal(err)
	}
	return resp
}

// TestSecurityHeaders: login, authenticated answers and errors are never
// cached, never sniffed or framed; HSTS only when the base URL is https.
func TestSecurityHeaders(t *testing.T) {
	for _, base := range []string{"http://localhost:8080", "https://naskah.pom.go.id"} {
		s := MustLocalServer(t, t.TempDir(), func(c *api.Config) { c.PublicBaseURL = base })
		app := s.App()
		_, tok, err := s.Login(t.Context(), "", "unit", "unit-pass")
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct{ method, path, body, token string }{
			{"POST", api.Prefix + "/login", `{"username":"unit","password":"unit-pass"}`, ""},
			{"POST", api.Prefix + "/login", `{"username":"unit","password":"wrong"}`, ""},
			{"GET", api.Prefix + "/me", "", tok},
			{"GET", api.Prefix + "/agreements", "", tok},
			{"GET", api.Prefix + "/agreements/nope", "", tok},
			{"GET", api.Prefix + "/me", "", ""},
		} {
			resp := testRequest(t, app, tc.method, tc.path, tc.body, tc.token)
			resp.Body.Close()
			h := resp.Header
			for k, want := range map[string]string{"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "same-origin"} {
				if got := h.Get(k); got != want {
					t.Errorf("%s %s %s (%d): %s %q, want %q", base, tc.method, tc.path, resp.StatusCode, k, got, want)
				}
			}
			if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") {
				t.Errorf("%s %s: CSP %q lacks frame-ancestors 'none'", tc.method, tc.path, csp)
			}
			hsts := h.Get("Strict-Transport-Security")
			if strings.HasPrefix(base, "https") != strings.Contains(hsts, "max-age=") {
				t.Errorf("%s %s %s: HSTS %q", base, tc.method, tc.path, hsts)
			}
		}
	}
}

// TestMetricsGuard: without a token the main listener serves no metrics;
// with one, only its bearer gets them.
func TestMetricsGuard(t *testing.T) {
	s := MustLocalServer(t, t.TempDir(), nil)
	resp := testRequest(t, s.App(), "GET", "/metrics", "", "")
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Errorf("no token configured: got %d, want 404", resp.StatusCode)
	}
	const tok = "a-long-random-metrics-token-42"
	s = MustLocalServer(t, t.TempDir(), func(c *api.Config) { c.MetricsToken = tok })
	for token, want := range map[string]int{"": 401, "wrong-but-long-enough-token": 401, tok: 200} {
		resp := testRequest(t, s.App(), "GET", "/metrics", "", token)
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("token %q: got %d, want %d", token, resp.StatusCode, want)
		}
	}
}

var (
	hashMu sync.Mutex
	hashes = map[string]string{}
)

// testHash is one bcrypt hash per password for the whole test binary, so
// that servers built from the same users are replicas of one config.
func testHash(tb testing.TB, pass string) string {
	hashMu.Lock()
	defer hashMu.Unlock()
	if h, ok := hashes[pass]; ok {
		return h
	}
	h, err := bcrypt.GenerateFromPassword([]byte(pass), bcrypt.MinCost)
	if err != nil {
		tb.Fatal(err)
	}
	hashes[pass] = string(h)
	return string(h)
}
