package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/bpom/naskah/internal/miniotest"
)

// secSuite is the security suite's world: real `naskah serve` processes
// on one MinIO bucket, users with passwords, a trusted proxy (127.0.0.1)
// so tests can speak for several client addresses.
type secSuite struct {
	t    *testing.T
	bin  string
	env  []string
	urls []string
	cmds []*exec.Cmd
}

var secUsers = []struct{ user, role, unit string }{
	{"unit", "UNIT", "Direktorat Pengawasan Obat"},
	{"upt", "UPT", "BBPOM Bandung"},
	{"bkh", "BKH", ""},
	{"admin", "ADMIN", ""},
}

func secPassword(user string) string { return user + "-Rahasia-2026" }

func startSecSuite(t *testing.T) *secSuite {
	if testing.Short() {
		t.Skip("builds the binary and starts MinIO")
	}
	srv := miniotest.Start(t)
	tmp := t.TempDir()
	var users strings.Builder
	for _, u := range secUsers {
		h, err := bcrypt.GenerateFromPassword([]byte(secPassword(u.user)), bcrypt.MinCost)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&users, "- username: %s\n  name: %s\n  role: %s\n  password_hash: %q\n", u.user, u.user, u.role, h)
		if u.unit != "" {
			fmt.Fprintf(&users, "  unit: %s\n", u.unit)
		}
	}
	usersFile := filepath.Join(tmp, "users.yaml")
	if err := os.WriteFile(usersFile, []byte(users.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	s := &secSuite{t: t, bin: buildBinary(t)}
	s.env = []string{"NASKAH_LISTEN=127.0.0.1:0", "NASKAH_MINIO_ENDPOINT=" + srv.Endpoint, "NASKAH_MINIO_ACCESS_KEY=" + srv.AccessKey,
		"NASKAH_MINIO_SECRET_KEY=" + srv.SecretKey, "NASKAH_MINIO_BUCKET=naskah-security", "NASKAH_USERS_FILE=" + usersFile, "NASKAH_DEMO=false",
		"NASKAH_SESSION_SECRET=" + strings.Repeat("k", 40), "NASKAH_LOG_LEVEL=warn", "NASKAH_MEILI_URL=", "NASKAH_TRUST_ROOTS=", "NASKAH_CONFIG=",
		"NASKAH_MAX_UPLOAD_MB=1", "NASKAH_TRUSTED_PROXIES=127.0.0.1/32", "NASKAH_METRICS_TOKEN=", "NASKAH_METRICS_LISTEN="}
	for range 2 {
		s.start()
	}
	return s
}

func (s *secSuite) start() {
	u, cmd := startServe(s.t, s.bin, append([]string{"NASKAH_DATA_DIR=" + s.t.TempDir()}, s.env...))
	s.urls, s.cmds = append(s.urls, u), append(s.cmds, cmd)
}

// restart stops replica i and starts a new process in its place.
func (s *secSuite) restart(i int) {
	s.t.Helper()
	_ = s.cmds[i].Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { _, _ = s.cmds[i].Process.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		_ = s.cmds[i].Process.Kill()
	}
	u, cmd := startServe(s.t, s.bin, append([]string{"NASKAH_DATA_DIR=" + s.t.TempDir()}, s.env...))
	s.urls[i], s.cmds[i] = u, cmd
}

type secResp struct {
	status int
	header http.Header
	body   string
}

// call sends one request; xff names the client through the trusted proxy.
func (s *secSuite) call(method, url, token, ctype string, body io.Reader, hdr map[string]string) secResp {
	s.t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		s.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil && body != nil && (errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)) {
		// The server refused the body and closed the connection while it
		// was still being sent: status 0 says "refused before reading it".
		return secResp{status: 0}
	}
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 500 && resp.StatusCode != 503 {
		s.t.Errorf("%s %s: %d %s", method, url, resp.StatusCode, b)
	}
	return secResp{resp.StatusCode, resp.Header, string(b)}
}

func (s *secSuite) json(method, path, token string, in any) secResp {
	s.t.Helper()
	var body io.Reader
	ctype := ""
	if in != nil {
		b, _ := json.Marshal(in)
		body, ctype = bytes.NewReader(b), "application/json"
	}
	return s.call(method, s.urls[0]+"/api/v1"+path, token, ctype, body, map[string]string{"X-Forwarded-For": "192.0.2.1"})
}

func (s *secSuite) login(i int, user, xff string) string {
	s.t.Helper()
	b, _ := json.Marshal(map[string]string{"username": user, "password": secPassword(user)})
	r := s.call("POST", s.urls[i]+"/api/v1/login", "", "application/json", bytes.NewReader(b), map[string]string{"X-Forwarded-For": xff})
	var out struct{ Token string }
	json.Unmarshal([]byte(r.body), &out)
	if r.status != 200 || out.Token == "" {
		s.t.Fatalf("login %s: %d %s", user, r.status, r.body)
	}
	return out.Token
}

// count returns how many agreements user sees.
func (s *secSuite) count(token string) int {
	s.t.Helper()
	var l struct{ Total int }
	r := s.json("GET", "/agreements", token, nil)
	json.Unmarshal([]byte(r.body), &l)
	return l.Total
}

// uiClient is a browser: cookies, no redirects followed.
func (s *secSuite) uiClient() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

var secCSRF = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

func (s *secSuite) page(c *http.Client, method, url string, form url.Values) (secResp, string) {
	s.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, url, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("X-Forwarded-For", "192.0.2.50")
	resp, err := c.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	csrf := ""
	if m := secCSRF.FindStringSubmatch(string(b)); m != nil {
		csrf = m[1]
	}
	return secResp{resp.StatusCode, resp.Header, string(b)}, csrf
}

func (s *secSuite) uiLogin(c *http.Client, user, next string) secResp {
	s.t.Helper()
	_, csrf := s.page(c, "GET", s.urls[0]+"/login", nil)
	r, _ := s.page(c, "POST", s.urls[0]+"/login", url.Values{"_csrf": {csrf}, "user": {user}, "password": {secPassword(user)}, "next": {next}})
	return r
}

// TestSecuritySuite runs the hostile requests of issue 14 against real
// processes; each case asserts the safe outcome and that nothing changed.
func TestSecuritySuite(t *testing.T) {
	s := startSecSuite(t)
	unit, upt, bkh, admin := s.login(0, "unit", "192.0.2.1"), s.login(0, "upt", "192.0.2.2"), s.login(1, "bkh", "192.0.2.3"), s.login(1, "admin", "192.0.2.4")
	partner := map[string]string{"name": "PT Farma Nusantara", "kind": "business", "country": "ID"}
	r := s.json("POST", "/agreements", unit, map[string]any{"title": "PKS milik Direktorat", "kind": "pks", "process": "A", "partner": partner})
	var owned struct {
		ID       string
		Revision int
	}
	json.Unmarshal([]byte(r.body), &owned)
	if r.status != 201 {
		t.Fatalf("initiate: %d %s", r.status, r.body)
	}

	t.Run("open redirect and header injection", func(t *testing.T) {
		for _, next := range []string{"/\r\nSet-Cookie: naskah_session=attacker", "/\t/evil.example", "//evil.example", "/\\evil.example", "https://evil.example", "javascript:alert(1)"} {
			c := s.uiClient()
			r := s.uiLogin(c, "bkh", next)
			if r.status != 303 || r.header.Get("Location") != "/" {
				t.Errorf("next=%q: %d Location %q, want 303 to /", next, r.status, r.header.Get("Location"))
			}
			for _, ck := range r.header.Values("Set-Cookie") {
				if strings.Contains(ck, "attacker") {
					t.Errorf("next=%q: injected cookie %q", next, ck)
				}
			}
		}
	})

	t.Run("session fixation", func(t *testing.T) {
		c := s.uiClient()
		u, _ := url.Parse(s.urls[0])
		c.Jar.SetCookies(u, []*http.Cookie{{Name: "naskah_session", Value: "attacker-chosen-value"}})
		if r := s.uiLogin(c, "bkh", "/"); r.status != 303 {
			t.Fatalf("login: %d", r.status)
		}
		var got string
		for _, ck := range c.Jar.Cookies(u) {
			if ck.Name == "naskah_session" {
				got = ck.Value
			}
		}
		if got == "" || got == "attacker-chosen-value" {
			t.Errorf("the session cookie after login is %q: the server kept the attacker's value", got)
		}
		if r := s.json("GET", "/me", "attacker-chosen-value", nil); r.status != 401 {
			t.Errorf("the attacker's value as a token: %d, want 401", r.status)
		}
	})

	t.Run("CSRF", func(t *testing.T) {
		c := s.uiClient()
		s.uiLogin(c, "bkh", "/")
		before := s.count(bkh)
		r, _ := s.page(c, "POST", s.urls[0]+"/agreements", url.Values{"title": {"CSRF"}, "process": {"B"}, "kind": {"mou"}, "partner": {"x"}, "partner_kind": {"government"}, "country": {"JP"}, "unit": {"u"}})
		if r.status != 403 {
			t.Errorf("UI post without the CSRF token: %d, want 403", r.status)
		}
		// The API with the session cookie but without X-CSRF-Token.
		u, _ := url.Parse(s.urls[0])
		var cookie string
		for _, ck := range c.Jar.Cookies(u) {
			if ck.Name == "naskah_session" {
				cookie = ck.Value
			}
		}
		b, _ := json.Marshal(map[string]any{"title": "CSRF", "kind": "mou", "process": "B", "unit": "u", "partner": map[string]string{"name": "x", "kind": "government", "country": "JP"}})
		r = s.call("POST", s.urls[0]+"/api/v1/agreements", "", "application/json", bytes.NewReader(b), map[string]string{"Cookie": "naskah_session=" + cookie})
		if r.status != 403 {
			t.Errorf("API post with a cookie and no CSRF header: %d, want 403", r.status)
		}
		if n := s.count(bkh); n != before {
			t.Errorf("%d agreements after refused CSRF posts, want %d", n, before)
		}
	})

	t.Run("logout ends the session on every replica and after a restart", func(t *testing.T) {
		tok := s.login(0, "bkh", "192.0.2.5")
		if r := s.call("GET", s.urls[1]+"/api/v1/me", tok, "", nil, nil); r.status != 200 {
			t.Fatalf("the other replica: %d", r.status)
		}
		if r := s.call("POST", s.urls[0]+"/api/v1/logout", tok, "", nil, nil); r.status != 204 {
			t.Fatalf("logout: %d %s", r.status, r.body)
		}
		if r := s.call("GET", s.urls[1]+"/api/v1/me", tok, "", nil, nil); r.status != 401 {
			t.Errorf("after logout on replica 0, replica 1 answers %d, want 401", r.status)
		}
		s.restart(1)
		if r := s.call("GET", s.urls[1]+"/api/v1/me", tok, "", nil, nil); r.status != 401 {
			t.Errorf("after restarting replica 1: %d, want 401", r.status)
		}
		// ADMIN's revocation too.
		victim := s.login(1, "upt", "192.0.2.6")
		if r := s.call("POST", s.urls[0]+"/api/v1/users/upt/sessions/revoke", admin, "", nil, nil); r.status != 200 {
			t.Fatalf("ADMIN revoke: %d %s", r.status, r.body)
		}
		if r := s.call("GET", s.urls[1]+"/api/v1/me", victim, "", nil, nil); r.status != 401 {
			t.Errorf("after ADMIN's revocation: %d, want 401", r.status)
		}
		upt = s.login(0, "upt", "192.0.2.2")
	})

	t.Run("login throttling does not lock the real user out", func(t *testing.T) {
		bad, _ := json.Marshal(map[string]string{"username": "unit", "password": "salah"})
		var last secResp
		for range 6 {
			last = s.call("POST", s.urls[0]+"/api/v1/login", "", "application/json", bytes.NewReader(bad), map[string]string{"X-Forwarded-For": "203.0.113.66"})
		}
		if last.status != 429 || last.header.Get("Retry-After") == "" {
			t.Errorf("the attacker's 6th attempt: %d Retry-After %q, want 429 with Retry-After", last.status, last.header.Get("Retry-After"))
		}
		s.login(1, "unit", "192.0.2.77") // the real user, elsewhere, still gets in
	})

	t.Run("IDOR across units on every route", func(t *testing.T) {
		id := owned.ID
		pdf := textPDF("idor")
		ct, body := uploadForm("nota_dinas", 0, pdf)
		// Every route answers for another unit's agreement exactly as for
		// one that does not exist: a 4xx, never its data, never "forbidden".
		for _, rq := range []struct{ method, path, ctype, body string }{
			{"GET", "", "", ""}, {"GET", "/audit", "", ""}, {"GET", "/documents", "", ""}, {"GET", "/documents/nota_dinas/latest", "", ""},
			{"GET", "/documents/nota_dinas/latest?original=1", "", ""},
			{"POST", "/actions/submit", "application/json", `{"note":"x"}`}, {"POST", "/actions/reject", "application/json", `{"note":"x"}`},
			{"POST", "/actions/archive", "application/json", `{}`}, {"POST", "/documents", ct, body.String()},
			{"POST", "/sign", "application/json", `{"keystore":"AAAA","passphrase":"x"}`},
		} {
			send := func(target string) secResp {
				var b io.Reader
				if rq.body != "" {
					b = strings.NewReader(rq.body)
				}
				return s.call(rq.method, s.urls[1]+"/api/v1/agreements/"+target+rq.path, upt, rq.ctype, b, nil)
			}
			got, missing := send(id), send("tidak-ada-sama-sekali")
			if got.status/100 != 4 || got.status == 403 || got.status != missing.status {
				t.Errorf("UPT %s %s: %d %.150s; for a missing id %d, want the same 4xx (not 403)", rq.method, rq.path, got.status, got.body, missing.status)
			}
			if strings.Contains(got.body, "PKS milik Direktorat") {
				t.Errorf("UPT %s %s: the answer shows the agreement", rq.method, rq.path)
			}
		}
		r := s.json("POST", "/monev/rounds", upt, map[string]any{"period": "2028-Q1", "agreement_ids": []string{id}})
		if r.status != 404 {
			t.Errorf("UPT monev for another unit's agreement: %d, want 404", r.status)
		}
		var after struct{ Revision int }
		json.Unmarshal([]byte(s.json("GET", "/agreements/"+id, unit, nil).body), &after)
		if after.Revision != owned.Revision {
			t.Errorf("revision %d after the UPT's requests, want %d", after.Revision, owned.Revision)
		}
		// Choosing another unit's id is no existence oracle.
		in := map[string]any{"title": "x", "kind": "mou", "process": "A", "partner": partner}
		in["id"] = id
		taken := s.json("POST", "/agreements", upt, in)
		in["id"] = "tidak-ada-sama-sekali"
		fresh := s.json("POST", "/agreements", upt, in)
		if taken.status != fresh.status || taken.body != fresh.body {
			t.Errorf("initiating with a taken id (%d) and a free one (%d) answer differently", taken.status, fresh.status)
		}
	})

	t.Run("reserved ids and mass assignment", func(t *testing.T) {
		before := s.count(bkh)
		in := map[string]any{"id": "monev-2028-Q1-" + owned.ID, "title": "blok", "kind": "mou", "process": "A", "partner": partner}
		if r := s.json("POST", "/agreements", unit, in); r.status != 403 {
			t.Errorf("UNIT with a monev id: %d, want 403", r.status)
		}
		in["unit"] = "Direktorat Pengawasan Obat"
		if r := s.json("POST", "/agreements", bkh, in); r.status != 400 {
			t.Errorf("BKH with a monev id: %d, want 400", r.status)
		}
		for _, extra := range []map[string]any{{"status": "completed"}, {"step": "DONE"}, {"revision": 99}, {"documents": []any{}}, {"signed_at": "2026-01-01T00:00:00Z"}} {
			in := map[string]any{"title": "massal", "kind": "mou", "process": "A", "partner": partner}
			for k, v := range extra {
				in[k] = v
			}
			if r := s.json("POST", "/agreements", unit, in); r.status != 400 {
				t.Errorf("initiate with %v: %d, want 400 (unknown field)", extra, r.status)
			}
		}
		if n := s.count(bkh); n != before {
			t.Errorf("%d agreements after refused requests, want %d", n, before)
		}
	})

	t.Run("oversized, compressed and malformed bodies", func(t *testing.T) {
		before := s.count(bkh)
		big := `{"title":"` + strings.Repeat("a", 2<<20) + `","kind":"mou","process":"A"}`
		if r := s.json("POST", "/agreements", unit, json.RawMessage(big)); r.status != 413 && r.status != 400 {
			t.Errorf("a 2 MB JSON body: %d, want 413", r.status)
		}
		var gz bytes.Buffer
		w := gzip.NewWriter(&gz)
		w.Write([]byte(`{"title":"` + strings.Repeat("a", 50<<20) + `"}`))
		w.Close()
		r := s.call("POST", s.urls[0]+"/api/v1/agreements", unit, "application/json", bytes.NewReader(gz.Bytes()), map[string]string{"Content-Encoding": "gzip"})
		if r.status/100 != 4 {
			t.Errorf("a gzip bomb body: %d, want a 4xx", r.status)
		}
		ct, body := uploadForm("nota_dinas", 0, bytes.Repeat([]byte("%PDF-1.7\n"), (2<<20)/9))
		if r := s.call("POST", s.urls[0]+"/api/v1/agreements/"+owned.ID+"/documents", unit, ct, body, nil); r.status != 413 && r.status != 0 {
			t.Errorf("a 2 MB upload over a 1 MB limit: %d, want 413 (or the connection closed on the body)", r.status)
		}
		for name, title := range map[string]string{"NUL": "judul\x00", "ESC": "judul\x1b[2J", "900 KB": strings.Repeat("j", 900<<10)} {
			if r := s.json("POST", "/agreements", unit, map[string]any{"title": title, "kind": "mou", "process": "A", "partner": partner}); r.status != 400 && r.status != 413 {
				t.Errorf("%s in a title: %d, want 400", name, r.status)
			}
		}
		if n := s.count(bkh); n != before {
			t.Errorf("%d agreements after refused bodies, want %d", n, before)
		}
		var docs struct{ Documents []any }
		json.Unmarshal([]byte(s.json("GET", "/agreements/"+owned.ID+"/documents", unit, nil).body), &docs)
		if len(docs.Documents) != 0 {
			t.Errorf("%d documents stored by refused uploads, want 0", len(docs.Documents))
		}
	})

	t.Run("UI bodies bounded while streaming", func(t *testing.T) {
		c := s.uiClient()
		s.uiLogin(c, "unit", "/")
		_, csrf := s.page(c, "GET", s.urls[0]+"/agreements/"+owned.ID, nil)
		send := func(path, ctype string, write func(io.Writer)) int {
			pr, pw := io.Pipe() // no Content-Length: the body is chunked and counted as it arrives
			go func() { write(pw); pw.Close() }()
			defer pr.Close()
			req, _ := http.NewRequest("POST", s.urls[0]+path, pr)
			req.Header.Set("Content-Type", ctype)
			req.Header.Set("X-Forwarded-For", "192.0.2.50")
			resp, err := c.Do(req)
			if err != nil {
				return 0 // the server may end the connection mid-body
			}
			resp.Body.Close()
			return resp.StatusCode
		}
		chunk := bytes.Repeat([]byte("x"), 1<<10)
		if st := send("/agreements/"+owned.ID+"/upload", "multipart/form-data; boundary=naskahbatas", func(w io.Writer) {
			mw := multipart.NewWriter(w)
			mw.SetBoundary("naskahbatas")
			mw.WriteField("_csrf", csrf)
			mw.WriteField("kind", "nota_dinas")
			fw, _ := mw.CreateFormFile("file", "besar.pdf")
			for range 3 << 10 { // 3 MB over a 1 MB limit
				if _, err := fw.Write(chunk); err != nil {
					return
				}
			}
			mw.Close()
		}); st != 413 && st != 0 {
			t.Errorf("a 3 MB chunked UI upload: %d, want 413", st)
		}
		if st := send("/login", "application/x-www-form-urlencoded", func(w io.Writer) {
			io.WriteString(w, "_csrf="+csrf+"&user=")
			for range 3 << 10 {
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
		}); st != 413 && st != 0 {
			t.Errorf("a 3 MB chunked login form: %d, want 413", st)
		}
		var docs struct{ Documents []any }
		json.Unmarshal([]byte(s.json("GET", "/agreements/"+owned.ID+"/documents", unit, nil).body), &docs)
		if len(docs.Documents) != 0 {
			t.Errorf("%d documents stored by a refused UI upload, want 0", len(docs.Documents))
		}
	})

	t.Run("path traversal in ids and keys", func(t *testing.T) {
		for _, p := range []string{"/agreements/..%2F..%2Fsessions", "/agreements/..%2Frecord.json", "/agreements/" + owned.ID + "/documents/..%2F..%2Frecord/latest",
			"/agreements/%2e%2e/audit", "/sessions/..%2F..%2Fagreements"} {
			r := s.json("GET", p, unit, nil)
			if r.status != 404 && r.status != 400 && r.status != 405 {
				t.Errorf("GET %s: %d %.200s, want 404 or 400", p, r.status, r.body)
			}
			if strings.Contains(r.body, "password_tag") || strings.Contains(r.body, `"history"`) {
				t.Errorf("GET %s returned a stored object: %.200s", p, r.body)
			}
		}
	})

	t.Run("stored XSS in every rendered field", func(t *testing.T) {
		xss := `<script>alert(1)</script>"><img src=x onerror=alert(2)>`
		r := s.json("POST", "/agreements", bkh, map[string]any{"title": "MoU " + xss, "number": "N-" + xss[:20], "kind": "mou", "process": "B",
			"unit": "Dit " + xss[:30], "partner": map[string]string{"name": "Mitra " + xss, "kind": "government", "country": "JP"}})
		var a struct{ ID string }
		json.Unmarshal([]byte(r.body), &a)
		if r.status != 201 {
			t.Fatalf("initiate with markup: %d %s", r.status, r.body)
		}
		if r := s.json("POST", "/agreements/"+a.ID+"/actions/return", bkh, map[string]any{"note": "catatan " + xss}); r.status/100 == 5 {
			t.Errorf("note: %d", r.status)
		}
		c := s.uiClient()
		s.uiLogin(c, "bkh", "/")
		for _, p := range []string{"/", "/agreements", "/agreements/" + a.ID, "/search?q=" + url.QueryEscape(xss), "/monev", "/sessions"} {
			r, _ := s.page(c, "GET", s.urls[0]+p, nil)
			if strings.Contains(r.body, "<script>alert") || strings.Contains(r.body, "<img src=x") || strings.Contains(r.body, "onerror=alert(2)>") {
				t.Errorf("%s renders the markup unescaped", p)
			}
			if p == "/agreements/"+a.ID && (r.status != 200 || !strings.Contains(r.body, "&lt;script&gt;alert(1)")) {
				t.Errorf("%s: %d without the escaped title: the check above proved nothing", p, r.status)
			}
			if csp := r.header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
				t.Errorf("%s: CSP %q", p, csp)
			}
		}
	})

	t.Run("headers and metrics", func(t *testing.T) {
		for _, p := range []string{"/api/v1/me", "/login"} {
			r := s.call("GET", s.urls[0]+p, bkh, "", nil, nil)
			if r.header.Get("Cache-Control") != "no-store" || r.header.Get("X-Content-Type-Options") != "nosniff" || r.header.Get("X-Frame-Options") != "DENY" {
				t.Errorf("%s: Cache-Control %q nosniff %q XFO %q", p, r.header.Get("Cache-Control"), r.header.Get("X-Content-Type-Options"), r.header.Get("X-Frame-Options"))
			}
		}
		if r := s.call("GET", s.urls[0]+"/metrics", "", "", nil, nil); r.status != 404 || strings.Contains(r.body, "naskah_http") {
			t.Errorf("/metrics without a token configured: %d, want 404", r.status)
		}
	})
}
