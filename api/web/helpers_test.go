package web_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bpom/naskah"
	"github.com/bpom/naskah/api/web"
	"github.com/bpom/naskah/pipeline"
	"github.com/bpom/naskah/pipeline/pdf"
	"github.com/bpom/naskah/search/bleve"
	"github.com/bpom/naskah/storage/local"
	"github.com/gofiber/fiber/v2"
)

// memAuth is an in-memory web.Auth for tests: fixed users, sessions in a map.
type memAuth struct {
	mu       sync.Mutex
	users    map[string]memUser
	sessions map[string]naskah.Actor
	down     bool // sessions cannot be read or written (storage outage)
}

type memUser struct {
	pass  string
	actor naskah.Actor
}

var _ web.Auth = (*memAuth)(nil)

func newMemAuth() *memAuth {
	a := &memAuth{users: map[string]memUser{}, sessions: map[string]naskah.Actor{}}
	for _, u := range []naskah.Actor{
		{User: "bkh", Name: "Sari Wulandari", Role: naskah.RoleBKH},
		{User: "bho", Name: "Agus Pratama", Role: naskah.RoleBHO},
		{User: "kepala", Name: "Dr. Taruna Ikrar", Role: naskah.RoleKepala},
		{User: "unit", Name: "Dewi Lestari", Role: naskah.RoleUnit, Unit: "Direktorat Registrasi Obat"},
		{User: "upt", Name: "Budi Santoso", Role: naskah.RoleUPT, Unit: "BBPOM Bandung"},
		{User: "admin", Name: "Administrator Naskah", Role: naskah.RoleAdmin},
		{User: "mitra", Name: "Dr. Maria Gonzalez", Role: naskah.RoleMitra, Unit: "Universitas Gadjah Mada"},
	} {
		a.users[u.User] = memUser{pass: u.User + "-pass", actor: u}
	}
	return a
}

func (a *memAuth) Login(_ context.Context, _, user, pass string) (naskah.Actor, string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	u, ok := a.users[user]
	if !ok || u.pass != pass {
		return naskah.Actor{}, "", naskah.Errorf(naskah.EUNAUTHORIZED, "wrong user name or password")
	}
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	tok := hex.EncodeToString(b)
	a.sessions[tok] = u.actor
	return u.actor, tok, nil
}

func (a *memAuth) ActorFromSession(_ context.Context, token string) (naskah.Actor, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.down {
		return naskah.Actor{}, naskah.Errorf(naskah.EUNAVAILABLE, "storage down")
	}
	act, ok := a.sessions[token]
	if !ok {
		return naskah.Actor{}, naskah.Errorf(naskah.EUNAUTHORIZED, "no session")
	}
	return act, nil
}

func (a *memAuth) Logout(_ context.Context, token string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.down {
		return naskah.Errorf(naskah.EUNAVAILABLE, "storage down")
	}
	delete(a.sessions, token)
	return nil
}

// env is a UI over a real engine (local storage, in-memory bleve) and a
// development PKI.
type env struct {
	Engine *pipeline.Engine
	Auth   *memAuth
	UI     *web.UI
	App    *fiber.App
	PKI    *pdf.DevPKI
}

// keystore returns the PKCS#12 bytes and passphrase of a dev official.
func (e *env) keystore(tb testing.TB, id string) ([]byte, string, string) {
	tb.Helper()
	for _, ks := range e.PKI.Keystores {
		if ks.Official.ID == id {
			b, err := os.ReadFile(ks.Path)
			if err != nil {
				tb.Fatal(err)
			}
			return b, ks.Passphrase, ks.Path
		}
	}
	tb.Fatalf("no keystore %q", id)
	return nil, "", ""
}

// MustEnv builds an env; baseURL is where the UI is served (for the QR code).
func MustEnv(tb testing.TB, baseURL string) *env {
	tb.Helper()
	dir := tb.TempDir()
	st, err := local.Open(local.Config{Dir: filepath.Join(dir, "data")})
	if err != nil {
		tb.Fatal(err)
	}
	idx, err := bleve.OpenMem()
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { idx.Close() })
	pki, err := pdf.GenerateDevPKI(filepath.Join(dir, "keys"), nil, time.Now())
	if err != nil {
		tb.Fatal(err)
	}
	caPEM, err := os.ReadFile(pki.CACert)
	if err != nil {
		tb.Fatal(err)
	}
	cfg := pipeline.DefaultConfig()
	cfg.VerifyURL = strings.TrimRight(baseURL, "/") + "/verify"
	eng := pipeline.New(st, idx, cfg)
	if eng.Roots, err = pdf.LoadRoots(caPEM); err != nil {
		tb.Fatal(err)
	}
	// Each official's development certificate is bound to their account.
	admin := naskah.Actor{User: "admin", Role: naskah.RoleAdmin}
	for _, ks := range pki.Keystores {
		user := map[string]string{"kepala-upt": "upt"}[ks.Official.ID]
		if user == "" {
			user = ks.Official.ID
		}
		p12, _ := os.ReadFile(ks.Path)
		s, err := pdf.LoadPKCS12(p12, ks.Passphrase)
		if err != nil {
			tb.Fatal(err)
		}
		if _, err := eng.RegisterCertificate(context.Background(), admin, user, s.Certificate.Raw); err != nil {
			tb.Fatal(err)
		}
	}
	auth := newMemAuth()
	var accounts []naskah.Actor
	for _, u := range auth.users {
		accounts = append(accounts, u.actor)
	}
	slices.SortFunc(accounts, func(a, b naskah.Actor) int { return strings.Compare(a.User, b.User) })
	ui := web.New(web.Deps{Engine: eng, Auth: auth, BaseURL: baseURL, Users: accounts})
	app := fiber.New(fiber.Config{BodyLimit: 64 << 20, DisableStartupMessage: true})
	ui.Register(app)
	return &env{Engine: eng, Auth: auth, UI: ui, App: app, PKI: pki}
}

// client drives the app through app.Test, keeping cookies like a browser.
type client struct {
	tb      testing.TB
	app     *fiber.App
	cookies map[string]string
	csrf    string
}

func newClient(tb testing.TB, app *fiber.App) *client {
	return &client{tb: tb, app: app, cookies: map[string]string{}}
}

var csrfRE = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

type response struct {
	Status   int
	Body     string
	Location string
	Header   http.Header
}

func (c *client) do(req *http.Request) response {
	c.tb.Helper()
	for k, v := range c.cookies {
		req.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	res, err := c.app.Test(req, 60_000)
	if err != nil {
		c.tb.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer res.Body.Close()
	for _, ck := range res.Cookies() {
		if ck.MaxAge < 0 || ck.Value == "" {
			delete(c.cookies, ck.Name)
		} else {
			c.cookies[ck.Name] = ck.Value
		}
	}
	b, _ := io.ReadAll(res.Body)
	body := string(b)
	if m := csrfRE.FindStringSubmatch(body); m != nil {
		c.csrf = m[1]
	}
	return response{Status: res.StatusCode, Body: body, Location: res.Header.Get("Location"), Header: res.Header}
}

func (c *client) get(path string) response {
	c.tb.Helper()
	return c.do(httptest.NewRequest(http.MethodGet, path, nil))
}

func (c *client) post(path string, vals url.Values) response {
	c.tb.Helper()
	if vals.Get("_csrf") == "" {
		vals.Set("_csrf", c.csrf)
	}
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(vals.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.do(req)
}

type file struct {
	Field, Name string
	Data        []byte
}

func (c *client) postMultipart(path string, vals map[string]string, files []file, hdr map[string]string) response {
	c.tb.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	if _, ok := vals["_csrf"]; !ok {
		w.WriteField("_csrf", c.csrf)
	}
	for k, v := range vals {
		w.WriteField(k, v)
	}
	for _, f := range files {
		fw, err := w.CreateFormFile(f.Field, f.Name)
		if err != nil {
			c.tb.Fatal(err)
		}
		fw.Write(f.Data)
	}
	w.Close()
	req := httptest.NewRequest(http.MethodPost, path, &buf)
	req.Header.Set("Content-Type", w.FormDataContentType())
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	return c.do(req)
}

// login logs in through the form and fails the test if it does not work.
func (c *client) login(user string) {
	c.tb.Helper()
	c.get("/login")
	r := c.post("/login", url.Values{"user": {user}, "password": {user + "-pass"}})
	if r.Status != http.StatusSeeOther {
		c.tb.Fatalf("login %s: got status %d, want 303\n%s", user, r.Status, r.Body)
	}
	c.get("/") // refresh the CSRF token, now bound to the session
}
