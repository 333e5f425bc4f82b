// Package web is Naskah's web UI: server-rendered pages (html/template,
// embedded in the binary, no external assets) for the people the SOP
// names — units, BKH, BHO, leadership and signing officials — plus the
// public verification page opened from the QR code on a signed text.
//
// The UI speaks Indonesian first and English by a switch (?lang=en, kept
// in a cookie). Sessions come from the auth layer through the small Auth
// interface; cookies and CSRF protection are handled here.
package web

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"github.com/bpom/naskah/api"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/bpom/naskah"
	"github.com/bpom/naskah/pipeline"
	"github.com/gofiber/fiber/v2"
)

//go:embed templates/*.html static/*
var assets embed.FS

// Auth is what the UI needs from the auth layer. Implementations must be
// safe for concurrent use; sessions may live in any process (replicas), so
// the UI keeps no session state of its own.
type Auth interface {
	// Login checks a user's password and opens a session; client is the
	// address attempts are throttled by (Deps.ClientIP). It returns the
	// actor and an opaque session token (kept in an HttpOnly cookie). Wrong
	// credentials are an EUNAUTHORIZED *naskah.Error whose message the user
	// may see; a backend that is down is EUNAVAILABLE.
	Login(ctx context.Context, client, user, pass string) (naskah.Actor, string, error)
	// ActorFromSession returns the actor of a live session: an
	// EUNAUTHORIZED error when the token is unknown, expired or logged
	// out, any other error when sessions cannot be read (storage down),
	// which is not a logout.
	ActorFromSession(ctx context.Context, token string) (naskah.Actor, error)
	// Logout ends the session; ending an unknown session is not an error.
	Logout(ctx context.Context, token string) error
}

// Deps are what the UI is built from.
type Deps struct {
	Engine  *pipeline.Engine
	Auth    Auth
	BaseURL string           // public base URL, e.g. https://naskah.pom.go.id; https makes cookies Secure
	Now     func() time.Time // clock for deadlines; default time.Now
	Logger  *slog.Logger     // default: discard
	// Users are the configured accounts, listed on the ADMIN's page of
	// signing certificates.
	Users []naskah.Actor
	// ClientIP names the client of a request for login throttling (the
	// API's trusted-proxy rule); default: the peer address.
	ClientIP func(*fiber.Ctx) string
	// Heavy, when set, takes a slot for heavy PDF work (the API's
	// AcquireHeavy) around uploads, signatures, downloads and verifications.
	Heavy func(context.Context) (release func(), err error)
	// MaxUploadBytes bounds a multipart form (an upload, a keystore, a PDF
	// to verify), 1 MiB more for the other fields; default the engine's
	// limit. Other forms are bounded by 1 MiB.
	MaxUploadBytes int64
}

// UI serves the pages. Safe for concurrent use.
type UI struct {
	eng     *pipeline.Engine
	auth    Auth
	baseURL string
	now     func() time.Time
	log     *slog.Logger
	pages   map[string]*template.Template
	static  fs.FS
	secure  bool
	users   []naskah.Actor
	client  func(*fiber.Ctx) string
	heavy   func(context.Context) (func(), error)
	maxForm int64 // multipart body bound
}

// Cookie names.
const (
	cookieSession = "naskah_session"
	cookieLang    = "naskah_lang"
	cookieCSRF    = "naskah_csrf" // double-submit token for forms without a session (login, public verify)
	csrfField     = "_csrf"
	csrfHeader    = "X-CSRF-Token"
)

// New parses the embedded templates; it panics only if they are broken,
// which the package's tests catch.
func New(d Deps) *UI {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.MaxUploadBytes <= 0 && d.Engine != nil {
		d.MaxUploadBytes = d.Engine.Config.Limits.MaxBytes
	}
	if d.MaxUploadBytes <= 0 {
		d.MaxUploadBytes = 50 << 20
	}
	if d.ClientIP == nil {
		d.ClientIP = func(c *fiber.Ctx) string { return c.IP() }
	}
	st, err := fs.Sub(assets, "static")
	if err != nil {
		panic(err)
	}
	u := &UI{eng: d.Engine, auth: d.Auth, baseURL: strings.TrimRight(d.BaseURL, "/"), now: d.Now, log: d.Logger,
		static: st, secure: strings.HasPrefix(d.BaseURL, "https://"), users: d.Users, client: d.ClientIP, heavy: d.Heavy, maxForm: d.MaxUploadBytes + 1<<20}
	u.pages = parsePages()
	return u
}

// Register mounts the pages on r (at its root).
func (u *UI) Register(r fiber.Router) {
	r.Get("/static/:name", u.serveStatic)
	r.Use(u.middleware)
	r.Get("/login", u.loginPage)
	r.Post("/login", u.login)
	r.Post("/logout", u.logout)
	r.Get("/verify", u.verifyPage)
	r.Post("/verify", u.bounded(u.verifyUpload))
	r.Get("/verify/:id", u.bounded(u.verifyPage))
	r.Post("/verify/:id", u.bounded(u.verifyUpload))

	r.Get("/", u.requireLogin(u.dashboard))
	r.Get("/agreements", u.requireLogin(u.list))
	r.Get("/agreements/new", u.requireLogin(u.initiatePage))
	r.Post("/agreements", u.requireLogin(u.initiate))
	r.Get("/agreements/:id", u.requireLogin(u.detail))
	r.Post("/agreements/:id/upload", u.bounded(u.requireLogin(u.upload)))
	r.Post("/agreements/:id/act", u.requireLogin(u.act))
	r.Get("/agreements/:id/documents/:kind/:version", u.bounded(u.requireLogin(u.download)))
	r.Get("/agreements/:id/sign", u.requireLogin(u.signPage))
	r.Post("/agreements/:id/sign", u.bounded(u.requireLogin(u.sign)))
	r.Get("/search", u.requireLogin(u.search))
	r.Get("/monev", u.requireLogin(u.monev))
	r.Post("/monev", u.requireLogin(u.openMonev))
	r.Get("/admin/users", u.requireLogin(u.adminUsers))
	r.Post("/admin/users/:username/certificates", u.requireLogin(u.adminAddCertificate))
	r.Post("/admin/users/:username/certificates/:fingerprint/revoke", u.requireLogin(u.adminRevokeCertificate))
	r.Get("/sessions", u.requireLogin(u.sessionsPage))
	r.Post("/sessions/:id/end", u.requireLogin(u.endSession))
}

// Locals keys.
const (
	localActor = "web.actor"
	localLang  = "web.lang"
	localCSRF  = "web.csrf"
	localToken = "web.session"
)

// middleware resolves the language, the session and the CSRF token, and
// refuses any POST whose form token does not match.
func (u *UI) middleware(c *fiber.Ctx) error {
	lang := c.Cookies(cookieLang)
	if q := c.Query("lang"); q == "en" || q == "id" {
		lang = q
		c.Cookie(&fiber.Cookie{Name: cookieLang, Value: q, Path: "/", MaxAge: 365 * 24 * 3600, SameSite: "Lax", Secure: u.secure})
	}
	if lang != "en" {
		lang = "id"
	}
	c.Locals(localLang, lang)

	var csrf string
	var sessErr error
	if tok := c.Cookies(cookieSession); tok != "" {
		a, err := u.auth.ActorFromSession(c.UserContext(), tok)
		switch {
		case err == nil:
			c.Locals(localActor, a)
			c.Locals(localToken, strings.Clone(tok))
			csrf = sessionCSRF(tok)
		case naskah.ErrorCode(err) != naskah.EUNAUTHORIZED:
			sessErr = err
		}
	}
	if csrf == "" {
		csrf = strings.Clone(c.Cookies(cookieCSRF))
		if len(csrf) != 32 {
			csrf = randomHex(16)
			c.Cookie(&fiber.Cookie{Name: cookieCSRF, Value: csrf, Path: "/", HTTPOnly: true, SameSite: "Lax", Secure: u.secure})
		}
	}
	c.Locals(localCSRF, csrf)
	u.securityHeaders(c)
	if sessErr != nil {
		return u.sessionsUnavailable(c, sessErr)
	}

	if c.Method() == fiber.MethodPost {
		if err := u.readForm(c, csrf); err != nil {
			c.Context().SetConnectionClose() // the rest of the body is not read
			if errors.Is(err, errCSRF) {
				return u.errorPage(c, http.StatusForbidden, u.tr(c, "err.csrf"))
			}
			if isXHR(c) {
				return c.Status(statusOf(err)).JSON(fiber.Map{"error": u.userMessage(c, err), "field": "file"})
			}
			return u.errorPage(c, statusOf(err), u.userMessage(c, err))
		}
	}
	return c.Next()
}

// sessionsUnavailable answers a request whose session could not be read
// (storage down): 503 with Retry-After, never a redirect to the login page
// that would look like a logout, and for a logout a page saying it was not
// recorded.
func (u *UI) sessionsUnavailable(c *fiber.Ctx, err error) error {
	u.log.Warn("web: sessions unavailable", "path", c.Path(), "err", err)
	if naskah.ErrorCode(err) != naskah.EUNAVAILABLE {
		err = naskah.Errorf(naskah.EUNAVAILABLE, "sessions cannot be read")
	}
	api.SetRetryAfter(c, err)
	key := "err.sessionsdown"
	if c.Path() == "/logout" {
		key = "err.logoutdown"
	}
	return u.errorPage(c, http.StatusServiceUnavailable, u.tr(c, key))
}

// pageCSP allows only the embedded CSS and JS (no inline script or style,
// no plugins, no <base>), images from the site or data: URLs (QR codes),
// forms posting to the site only, and no framing (clickjacking).
const pageCSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"

// securityHeaders sets the headers of every page: pages show records and
// carry CSRF tokens, so no cache keeps them (static assets set their own).
func (u *UI) securityHeaders(c *fiber.Ctx) {
	c.Set("Cache-Control", "no-store")
	c.Set("X-Frame-Options", "DENY")
	c.Set("X-Content-Type-Options", "nosniff")
	c.Set("Referrer-Policy", "same-origin")
	c.Set("Content-Security-Policy", pageCSP)
	if u.secure {
		c.Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
	}
}

// sessionCSRF derives the form token from the session token, so every
// replica computes the same one without storing anything; the session
// token is secret (HttpOnly cookie), so an attacker cannot derive it.
func sessionCSRF(session string) string {
	m := hmac.New(sha256.New, []byte(session))
	m.Write([]byte("naskah-web-csrf-v1"))
	return hex.EncodeToString(m.Sum(nil))[:32]
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// bounded runs h in a heavy-work slot when Deps.Heavy is set; a saturated
// server shows a page saying so, with Retry-After.
func (u *UI) bounded(h fiber.Handler) fiber.Handler {
	if u.heavy == nil {
		return h
	}
	return func(c *fiber.Ctx) error {
		release, err := u.heavy(c.UserContext())
		if err != nil {
			return u.errorPage(c, statusOf(err), u.userMessage(c, err))
		}
		defer release()
		return h(c)
	}
}

func (u *UI) requireLogin(h func(*fiber.Ctx, naskah.Actor) error) fiber.Handler {
	return func(c *fiber.Ctx) error {
		a, ok := c.Locals(localActor).(naskah.Actor)
		if !ok {
			if c.Method() == fiber.MethodGet {
				return u.redirect(c, "/login?next="+urlQueryEscape(c.OriginalURL()))
			}
			return u.errorPage(c, http.StatusUnauthorized, u.tr(c, "err.session"))
		}
		return h(c, a)
	}
}

func (u *UI) serveStatic(c *fiber.Ctx) error {
	name := c.Params("name")
	b, err := fs.ReadFile(u.static, name)
	if err != nil {
		return c.SendStatus(http.StatusNotFound)
	}
	switch {
	case strings.HasSuffix(name, ".css"):
		c.Type("css", "utf-8")
	case strings.HasSuffix(name, ".js"):
		c.Type("js", "utf-8")
	case strings.HasSuffix(name, ".svg"):
		c.Type("svg")
	}
	c.Set("Cache-Control", "public, max-age=3600")
	return c.Send(b)
}

// statusOf picks a page's status from the API's one code → status table.
func statusOf(err error) int { return api.StatusOf(err) }

// userMessage is what a person sees for err; internal detail goes to the
// log. It also sets Retry-After when err's code asks for one.
func (u *UI) userMessage(c *fiber.Ctx, err error) string {
	api.SetRetryAfter(c, err)
	if naskah.ErrorCode(err) == naskah.EINTERNAL {
		u.log.Error("web", "path", c.Path(), "err", err)
		return u.tr(c, "err.internal")
	}
	return naskah.ErrorMessage(err)
}

func isXHR(c *fiber.Ctx) bool { return c.Get("X-Requested-With") == "XMLHttpRequest" }

var errNoFile = errors.New("no file")
