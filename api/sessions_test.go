package api_test

import (
	"encoding/json"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/bpom/naskah/api"
	"github.com/bpom/naskah/storage"
	"github.com/bpom/naskah/storage/local"
)

func mustStore(tb testing.TB) storage.Store {
	tb.Helper()
	st, err := local.Open(local.Config{Dir: filepath.Join(tb.TempDir(), "store")})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	return st
}

func loginToken(tb testing.TB, s *api.Server, user string) string {
	tb.Helper()
	resp := testRequest(tb, s.App(), "POST", api.Prefix+"/login", `{"username":"`+user+`","password":"`+user+`-pass"}`, "")
	defer resp.Body.Close()
	var r struct{ Token string }
	json.NewDecoder(resp.Body).Decode(&r)
	if resp.StatusCode != 200 || r.Token == "" {
		tb.Fatalf("login %s: %d", user, resp.StatusCode)
	}
	return r.Token
}

func status(tb testing.TB, s *api.Server, method, path, token string) int {
	tb.Helper()
	resp := testRequest(tb, s.App(), method, api.Prefix+path, "", token)
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// TestSessionsSharedAcrossReplicas: two servers on one store are two
// replicas: a logout on one ends the session on the other, and a server
// started later (a restart) keeps it ended.
func TestSessionsSharedAcrossReplicas(t *testing.T) {
	st := mustStore(t)
	s1, _ := MustServerOn(t, st, nil)
	s2, _ := MustServerOn(t, st, nil)
	tok := loginToken(t, s1, "unit")
	if got := status(t, s2, "GET", "/me", tok); got != 200 {
		t.Fatalf("the other replica: %d, want 200", got)
	}
	if got := status(t, s1, "POST", "/logout", tok); got != 204 {
		t.Fatalf("logout: %d", got)
	}
	if got := status(t, s2, "GET", "/me", tok); got != 401 {
		t.Errorf("after logout on the first replica, the second answers %d, want 401", got)
	}
	s3, _ := MustServerOn(t, st, nil) // a restart
	if got := status(t, s3, "GET", "/me", tok); got != 401 {
		t.Errorf("after a restart: %d, want 401", got)
	}

	// A user lists and ends their sessions; the ended one dies everywhere.
	a, b := loginToken(t, s1, "unit"), loginToken(t, s2, "unit")
	resp := testRequest(t, s2.App(), "GET", api.Prefix+"/sessions", "", a)
	var list struct{ Sessions []api.Session }
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	json.Unmarshal(raw, &list)
	if strings.Contains(string(raw), "password_tag") {
		t.Errorf("the listing names the password tag: %s", raw)
	}
	if len(list.Sessions) != 2 {
		t.Fatalf("%d live sessions listed, want 2: %+v", len(list.Sessions), list.Sessions)
	}
	var other string
	for _, ss := range list.Sessions {
		if ss.PasswordTag != "" {
			t.Errorf("the listing shows the password tag")
		}
		if !ss.Current {
			other = ss.ID
		}
	}
	if other == "" {
		t.Fatalf("no session is marked current: %+v", list.Sessions)
	}
	if got := status(t, s1, "DELETE", "/sessions/"+other, a); got != 204 {
		t.Fatalf("ending a session: %d", got)
	}
	if status(t, s3, "GET", "/me", b) != 401 || status(t, s3, "GET", "/me", a) != 200 {
		t.Errorf("after ending session b: b %d a %d, want 401 200", status(t, s3, "GET", "/me", b), status(t, s3, "GET", "/me", a))
	}
	// Another user's session ids are not theirs to end.
	bt := loginToken(t, s1, "bkh")
	if got := status(t, s1, "GET", "/sessions?user=bkh", a); got != 403 {
		t.Errorf("UNIT listing BKH's sessions: %d, want 403", got)
	}
	if got := status(t, s1, "DELETE", "/sessions/"+strings.Repeat("0", 24)+"?user=bkh", a); got != 403 {
		t.Errorf("UNIT ending BKH's session: %d, want 403", got)
	}
	if got := status(t, s1, "DELETE", "/sessions/..%2F..%2Fagreements", a); got != 404 {
		t.Errorf("a path in the session id: %d, want 404", got)
	}
	// ADMIN revokes every session of a user.
	adm := loginToken(t, s2, "admin")
	if got := status(t, s1, "POST", "/users/unit/sessions/revoke", a); got != 403 {
		t.Errorf("UNIT revoking: %d, want 403", got)
	}
	if got := status(t, s1, "POST", "/users/unit/sessions/revoke", adm); got != 200 {
		t.Fatalf("ADMIN revoking: %d", got)
	}
	if status(t, s2, "GET", "/me", a) != 401 || status(t, s2, "GET", "/me", bt) != 200 {
		t.Errorf("after ADMIN's revocation: unit %d bkh %d, want 401 200", status(t, s2, "GET", "/me", a), status(t, s2, "GET", "/me", bt))
	}
}

// TestSessionEndsOnPasswordChange: a replica configured with a new
// password hash refuses sessions opened with the old one.
func TestSessionEndsOnPasswordChange(t *testing.T) {
	st := mustStore(t)
	s1, _ := MustServerOn(t, st, nil)
	tok := loginToken(t, s1, "bkh")
	h, _ := bcrypt.GenerateFromPassword([]byte("a-new-password"), bcrypt.MinCost)
	s2, _ := MustServerOn(t, st, func(c *api.Config) {
		for i := range c.Users {
			if c.Users[i].Username == "bkh" {
				c.Users[i].PasswordHash = string(h)
			}
		}
	})
	if got := status(t, s2, "GET", "/me", tok); got != 401 {
		t.Errorf("after a password change: %d, want 401", got)
	}
	if got := status(t, s1, "GET", "/me", tok); got != 200 {
		t.Errorf("the old configuration still admits it: %d (sanity)", got)
	}
}

// TestSessionTimeouts: idle and absolute timeouts, on an injected clock.
func TestSessionTimeouts(t *testing.T) {
	st := mustStore(t)
	var mu sync.Mutex
	now := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	s, eng := MustServerOn(t, st, func(c *api.Config) { c.SessionIdle, c.SessionTTL = 2*time.Hour, 12*time.Hour })
	eng.Now = clock
	tok := loginToken(t, s, "unit")
	for i := 0; i < 11; i++ { // active every hour: alive for the whole day
		advance(time.Hour)
		if got := status(t, s, "GET", "/me", tok); got != 200 {
			t.Fatalf("active session after %dh: %d, want 200", i+1, got)
		}
	}
	advance(time.Hour) // 12h: the absolute timeout
	if got := status(t, s, "GET", "/me", tok); got != 401 {
		t.Errorf("after 12h: %d, want 401", got)
	}
	tok = loginToken(t, s, "unit")
	advance(2*time.Hour + time.Minute)
	if got := status(t, s, "GET", "/me", tok); got != 401 {
		t.Errorf("idle for 2h: %d, want 401", got)
	}
}
