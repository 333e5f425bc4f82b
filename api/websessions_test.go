package api_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"

	"github.com/bpom/naskah/api"
	"github.com/bpom/naskah/api/web"
)

// browser drives UI pages through app.Test, keeping cookies.
type browser struct {
	tb      testing.TB
	cookies map[string]string
	csrf    string
}

var csrfField = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

func (b *browser) do(app *fiber.App, method, path string, form url.Values) (int, string, http.Header) {
	b.tb.Helper()
	var body io.Reader
	if form != nil {
		form.Set("_csrf", b.csrf)
		body = strings.NewReader(form.Encode())
	}
	req := httptest.NewRequest(method, path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range b.cookies {
		req.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	resp, err := app.Test(req, 30_000)
	if err != nil {
		b.tb.Fatal(err)
	}
	defer resp.Body.Close()
	for _, c := range resp.Cookies() {
		if c.Value == "" || c.MaxAge < 0 {
			delete(b.cookies, c.Name)
		} else {
			b.cookies[c.Name] = c.Value
		}
	}
	raw, _ := io.ReadAll(resp.Body)
	if m := csrfField.FindStringSubmatch(string(raw)); m != nil {
		b.csrf = m[1]
	}
	return resp.StatusCode, string(raw), resp.Header
}

func withUI(c *api.Config) {
	c.Mount = func(s *api.Server, r fiber.Router) {
		web.New(web.Deps{Auth: s.WebAuth(), BaseURL: c.PublicBaseURL, ClientIP: s.ClientIP}).Register(r)
	}
}

// TestWebSessionsPage: a user signed in twice sees both sessions on the
// sessions page of another replica and ends the other one there.
func TestWebSessionsPage(t *testing.T) {
	st := mustStore(t)
	s1, _ := MustServerOn(t, st, withUI)
	s2, _ := MustServerOn(t, st, withUI)
	login := func(app *fiber.App) *browser {
		b := &browser{tb: t, cookies: map[string]string{}}
		b.do(app, "GET", "/login", nil)
		if st, _, _ := b.do(app, "POST", "/login", url.Values{"user": {"unit"}, "password": {"unit-pass"}}); st != 303 {
			t.Fatalf("UI login: %d", st)
		}
		return b
	}
	laptop, phone := login(s1.App()), login(s2.App())
	st2, page, _ := phone.do(s2.App(), "GET", "/sessions", nil)
	ids := regexp.MustCompile(`action="/sessions/([0-9a-f]{24})/end"`).FindAllStringSubmatch(page, -1)
	if st2 != 200 || len(ids) != 2 {
		t.Fatalf("sessions page: %d with %d sessions, want 200 with 2", st2, len(ids))
	}
	// Which one is the laptop's? End the one that is not marked current.
	cur := strings.Index(page, `class="badge"`)
	other := ids[0][1]
	if strings.Index(page, ids[0][0]) > cur && cur >= 0 {
		other = ids[1][1]
	}
	if st, _, h := phone.do(s2.App(), "POST", "/sessions/"+other+"/end", url.Values{}); st != 303 || h.Get("Location") != "/sessions?done=1" {
		t.Fatalf("ending a session: %d %q", st, h.Get("Location"))
	}
	if st, _, h := laptop.do(s1.App(), "GET", "/", nil); st != 303 || !strings.HasPrefix(h.Get("Location"), "/login") {
		t.Errorf("the ended session on the first replica: %d %q, want a redirect to /login", st, h.Get("Location"))
	}
	if st, _, _ := phone.do(s1.App(), "GET", "/sessions", nil); st != 200 {
		t.Errorf("the phone's session: %d, want 200", st)
	}
	// Without the CSRF token nothing ends.
	phone.csrf = "forged"
	if st, _, _ := phone.do(s2.App(), "POST", "/sessions/"+ids[0][1]+"/end", url.Values{}); st != 403 {
		t.Errorf("ending without CSRF: %d, want 403", st)
	}
}
