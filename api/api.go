// Package api is Naskah's HTTP API: Fiber v2 under /api/v1, JSON in and
// out, problem+json errors, bearer tokens for programs and a session cookie
// with a CSRF token for the UI. Handlers are thin: they decode a request,
// call the pipeline engine and encode its answer; every rule lives in the
// engine and the domain.
package api

import (
	"context"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/bpom/naskah"
	"github.com/bpom/naskah/pipeline"
)

// Prefix is where every API route lives.
const Prefix = "/api/v1"

// User is one account, from configuration. Passwords are bcrypt hashes;
// Tokens are static API tokens for scripts (keep them in the environment).
type User struct {
	Username     string      `json:"username" yaml:"username"`
	Name         string      `json:"name" yaml:"name"`
	Role         naskah.Role `json:"role" yaml:"role"`
	Unit         string      `json:"unit,omitempty" yaml:"unit"`
	PasswordHash string      `json:"password_hash,omitempty" yaml:"password_hash"`
	Tokens       []string    `json:"tokens,omitempty" yaml:"tokens"`
}

// Actor returns the user as the engine sees them.
func (u User) Actor() naskah.Actor {
	return naskah.Actor{User: u.Username, Name: u.Name, Role: u.Role, Unit: u.Unit}
}

// RateLimit allows Burst attempts, refilled one per Per/Burst.
type RateLimit struct {
	Burst int           `yaml:"burst"`
	Per   time.Duration `yaml:"per"`
}

// Config is the API's settings. It is plain data: cmd/naskah fills it from
// the YAML file and the environment.
type Config struct {
	Users         []User
	SessionSecret []byte        // HMAC key for session and CSRF tokens, at least 32 bytes
	SessionTTL    time.Duration // lifetime of a login (absolute timeout)
	SessionIdle   time.Duration // a session unused this long ends; 0 = no idle timeout
	PublicBaseURL string        // e.g. https://naskah.pom.go.id; cookies are Secure when https
	// MaxUploadBytes bounds a document upload; 0 takes the engine's limit.
	// The whole request may be 1 MiB larger (multipart framing, fields).
	MaxUploadBytes int64
	MaxJSONBytes   int64 // bound of a JSON body (a sign request carries a keystore)
	LoginRate      RateLimit
	MetricsToken   string         // bearer token of /metrics; empty = none there (serve MetricsHandler elsewhere)
	TrustedProxies []netip.Prefix // proxies whose X-Forwarded-For names the client; from others it is ignored
	MaxHeavy       int            // concurrent stamp/sign/verify requests
	HeavyWait      time.Duration  // how long one waits for a slot before a 503
	ReadTimeout    time.Duration
	WriteTimeout   time.Duration
	IdleTimeout    time.Duration
	Logger         *slog.Logger
	// Mount adds routes (the web UI) after the API's and before the
	// not-found handler.
	Mount func(s *Server, r fiber.Router)
	// ReadyChecks are further conditions of /readyz (free disk, a store
	// write probe); see ops.go.
	ReadyChecks []ReadyCheck
}

// DefaultConfig returns the defaults: 12-hour sessions, 20 failed logins
// per 10 minutes per client address (across accounts), 1 MiB JSON bodies.
func DefaultConfig() Config {
	return Config{
		SessionTTL:    12 * time.Hour,
		SessionIdle:   2 * time.Hour,
		PublicBaseURL: "http://localhost:8080",
		MaxJSONBytes:  1 << 20,
		LoginRate:     RateLimit{Burst: 20, Per: 10 * time.Minute},
		ReadTimeout:   5 * time.Minute, // a 50 MB upload over a slow line
		WriteTimeout:  5 * time.Minute,
		IdleTimeout:   2 * time.Minute,
		MaxHeavy:      4,
		HeavyWait:     2 * time.Second,
	}
}

// Validate returns an error a person can act on when the config cannot work.
func (c *Config) Validate() error {
	var problems []string
	if len(c.SessionSecret) < 32 {
		problems = append(problems, "the session secret is shorter than 32 bytes: set NASKAH_SESSION_SECRET to 32 or more random bytes")
	}
	if c.SessionIdle < 0 {
		problems = append(problems, "the session idle timeout cannot be negative: use e.g. 2h, or 0 for none")
	}
	if c.SessionTTL <= 0 {
		problems = append(problems, "the session lifetime must be positive, e.g. 12h")
	}
	if _, err := url.Parse(c.PublicBaseURL); err != nil || !strings.HasPrefix(c.PublicBaseURL, "http") {
		problems = append(problems, fmt.Sprintf("public base URL %q: use an absolute http(s) URL such as https://naskah.pom.go.id", c.PublicBaseURL))
	}
	if c.MetricsToken != "" && len(c.MetricsToken) < 20 {
		problems = append(problems, "the metrics token is shorter than 20 characters: use a long random token")
	}
	if c.LoginRate.Burst <= 0 || c.LoginRate.Per <= 0 {
		problems = append(problems, "the login rate limit needs a positive burst and period, e.g. 5 per 1m")
	}
	seen := map[string]bool{}
	tokens := map[[32]byte]bool{}
	for i, u := range c.Users {
		switch {
		case u.Username == "":
			problems = append(problems, fmt.Sprintf("user %d has no username", i+1))
		case seen[u.Username]:
			problems = append(problems, fmt.Sprintf("user %q is listed twice", u.Username))
		}
		seen[u.Username] = true
		if !u.Role.Valid() {
			problems = append(problems, fmt.Sprintf("user %q: unknown role %q: use one of KEPALA, MADYA, PRATAMA, SESTAMA, BKH, BHO, UNIT, UPT, KEMENLU, MITRA, ADMIN", u.Username, u.Role))
		}
		if (u.Role == naskah.RoleUnit || u.Role == naskah.RoleUPT || u.Role == naskah.RoleMitra) && u.Unit == "" {
			problems = append(problems, fmt.Sprintf("user %q: a %s acts for a unit: set unit", u.Username, u.Role))
		}
		if u.PasswordHash == "" && len(u.Tokens) == 0 {
			problems = append(problems, fmt.Sprintf("user %q can neither log in nor use a token: set password_hash (bcrypt) or tokens", u.Username))
		}
		if u.PasswordHash != "" && !strings.HasPrefix(u.PasswordHash, "$2") {
			problems = append(problems, fmt.Sprintf("user %q: password_hash is not a bcrypt hash: generate one with `naskah passwd`", u.Username))
		}
		for _, t := range u.Tokens {
			if len(t) < 20 {
				problems = append(problems, fmt.Sprintf("user %q: a token is shorter than 20 characters: use a long random token", u.Username))
			}
			h := sha256.Sum256([]byte(t))
			if tokens[h] {
				problems = append(problems, fmt.Sprintf("user %q: a token is used twice", u.Username))
			}
			tokens[h] = true
		}
	}
	if len(problems) > 0 {
		return naskah.Errorf(naskah.EINVALID, "api config: %s", strings.Join(problems, "; "))
	}
	return nil
}

// Server is the HTTP API. Safe for concurrent use.
type Server struct {
	engine  *pipeline.Engine
	cfg     Config
	app     *fiber.App
	log     *slog.Logger
	auth    *auth
	metrics *metrics
	heavy   *heavyLimit
	routes  []route
}

// New builds the server and its routes.
func New(engine *pipeline.Engine, cfg Config) (*Server, error) {
	if engine == nil {
		return nil, naskah.Errorf(naskah.EINVALID, "api: no engine")
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.MaxUploadBytes <= 0 {
		cfg.MaxUploadBytes = engine.Config.Limits.MaxBytes
	}
	if cfg.MaxUploadBytes <= 0 {
		cfg.MaxUploadBytes = 50 << 20
	}
	if cfg.MaxJSONBytes <= 0 {
		cfg.MaxJSONBytes = 1 << 20
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.MaxHeavy <= 0 {
		cfg.MaxHeavy = 4
	}
	if cfg.HeavyWait <= 0 {
		cfg.HeavyWait = 2 * time.Second
	}
	if engine.AccountName == nil {
		engine.AccountName = accountNames(cfg.Users)
	}
	s := &Server{engine: engine, cfg: cfg, log: cfg.Logger, metrics: newMetrics(), heavy: newHeavyLimit(cfg.MaxHeavy, cfg.HeavyWait)}
	s.auth = newAuth(cfg, func() time.Time { return engine.Now() }, engine.Store) // engine.Now may be set after New
	s.app = fiber.New(fiber.Config{
		AppName:               "naskah",
		DisableStartupMessage: true,
		// Fiber's strings otherwise alias reused buffers; metrics labels,
		// ids and errors outlive the request.
		Immutable: true,
		// Uploads are streamed and bounded by countReader; fasthttp
		// ignores BodyLimit for streamed bodies, so it only bounds what
		// fasthttp itself buffers (8 KiB prefetch).
		StreamRequestBody:            true,
		DisablePreParseMultipartForm: true,
		BodyLimit:                    int(cfg.MaxUploadBytes + 1<<20),
		ReadTimeout:                  cfg.ReadTimeout,
		WriteTimeout:                 cfg.WriteTimeout,
		IdleTimeout:                  cfg.IdleTimeout,
		ErrorHandler:                 s.errorHandler,
	})
	s.app.Use(s.observe, s.recoverPanic, s.securityHeaders) // observe outermost: it sees panics as errors too
	s.routes = s.routeTable()
	for _, r := range s.routes {
		handlers := []fiber.Handler{}
		if r.auth {
			handlers = append(handlers, s.requireActor)
		}
		if r.heavy {
			handlers = append(handlers, s.Heavy())
		}
		s.app.Add(r.method, r.path, append(handlers, r.handler)...)
	}
	if cfg.Mount != nil {
		cfg.Mount(s, s.app)
	}
	s.app.Use(func(c *fiber.Ctx) error {
		return naskah.Errorf(naskah.ENOTFOUND, "there is no %s %s: see %s/openapi.json for the routes", c.Method(), c.Path(), Prefix)
	})
	return s, nil
}

// App returns the Fiber app, for tests and for mounting the UI.
func (s *Server) App() *fiber.App { return s.app }

// Listen serves on ln until Shutdown.
func (s *Server) Listen(ln net.Listener) error { return s.app.Listener(ln) }

// Shutdown stops accepting connections and waits for requests in flight
// until ctx ends.
func (s *Server) Shutdown(ctx context.Context) error { return s.app.ShutdownWithContext(ctx) }

// route is one API route; the same table registers the handlers and
// writes the OpenAPI document, so the two cannot drift apart.
type route struct {
	method, path string
	handler      fiber.Handler
	auth         bool   // needs a signed-in actor
	summary      string // OpenAPI summary
	tag          string
	body         string   // "", "json" or "multipart"
	query        []string // documented query parameters
	produces     string   // response media type; "" is application/json
	okStatus     int      // success status; 0 is 200
	heavy        bool     // bounded by MaxHeavy (stamps, signs, verifies)
}

func (s *Server) routeTable() []route {
	p := Prefix
	filters := []string{"process", "status", "step", "unit", "kind", "q", "offset", "limit"}
	searchParams := append([]string{"q", "type", "year_from", "year_to", "expires_before", "sort", "offset", "limit", "facets", "highlight"}, searchFilterParams()...)
	return []route{
		{method: "GET", path: "/healthz", handler: s.healthz, summary: "Liveness: the process serves requests", tag: "ops"},
		{method: "GET", path: "/readyz", handler: s.readyz, summary: "Readiness: storage and the search index can write, free disk above min_free_mb; 503 names every reason", tag: "ops"},
		{method: "GET", path: "/metrics", handler: s.guardMetrics(s.metricsHandler()), summary: "Prometheus metrics (bearer metrics_token)", tag: "ops", produces: "text/plain"},
		{method: "GET", path: p + "/healthz", handler: s.healthz, summary: "Liveness", tag: "ops"},
		{method: "GET", path: p + "/readyz", handler: s.readyz, summary: "Readiness", tag: "ops"},
		{method: "GET", path: p + "/openapi.json", handler: s.openapi, summary: "This OpenAPI document", tag: "ops"},

		{method: "POST", path: p + "/login", handler: s.login, body: "json", summary: "Log in: returns a bearer token and sets the session cookie", tag: "auth"},
		{method: "POST", path: p + "/logout", handler: s.logout, auth: true, summary: "Log out: ends the session", tag: "auth", okStatus: 204},
		{method: "GET", path: p + "/me", handler: s.me, auth: true, summary: "The signed-in actor and the CSRF token for the UI", tag: "auth"},
		{method: "GET", path: p + "/sessions", handler: s.listSessions, auth: true, query: []string{"user"}, summary: "Your live sessions (ADMIN: ?user= for another user's)", tag: "auth"},
		{method: "DELETE", path: p + "/sessions/:id", handler: s.endSession, auth: true, query: []string{"user"}, summary: "End one of your sessions on every replica (ADMIN: ?user= for another user's)", tag: "auth", okStatus: 204},
		{method: "POST", path: p + "/users/:user/sessions/revoke", handler: s.revokeUserSessions, auth: true, summary: "ADMIN: end every session of a user", tag: "auth"},

		{method: "POST", path: p + "/agreements", handler: s.initiate, auth: true, body: "json", summary: "Initiate an agreement (process A or B)", tag: "agreements", okStatus: 201},
		{method: "GET", path: p + "/agreements", handler: s.listAgreements, auth: true, query: filters, summary: "List the agreements you may see, with filters and paging", tag: "agreements"},
		{method: "GET", path: p + "/agreements/:id", handler: s.getAgreement, auth: true, summary: "One agreement with its step timeline, deadline and your allowed actions", tag: "agreements"},
		{method: "GET", path: p + "/agreements/:id/audit", handler: s.audit, auth: true, summary: "The agreement's audit trail and whether its hash chain verifies", tag: "agreements"},
		{method: "POST", path: p + "/agreements/:id/actions/:action", handler: s.act, auth: true, body: "json", summary: "Take an SOP action: submit, approve, reject, return, deliver, receive or archive", tag: "actions"},
		{method: "POST", path: p + "/agreements/:id/sign", handler: s.sign, auth: true, heavy: true, body: "json+multipart", summary: "Sign the text with a PKCS#12 keystore, or with the caller's own PKCS#11 token key and its PIN (use_token, pin); neither passphrase nor PIN is stored", tag: "actions"},
		{method: "POST", path: p + "/agreements/:id/documents", handler: s.upload, auth: true, heavy: true, body: "multipart", query: []string{"kind", "revision", "note"}, summary: "Upload a document version (PDF, streamed, size-limited)", tag: "documents", okStatus: 201},
		{method: "GET", path: p + "/agreements/:id/documents", handler: s.listDocuments, auth: true, summary: "List the agreement's document versions", tag: "documents"},
		{method: "GET", path: p + "/agreements/:id/documents/:kind/:version", handler: s.download, auth: true, heavy: true, query: []string{"original", "copy"}, produces: "application/pdf", summary: "Download a version (\"latest\" for the newest): signed texts and CTCs as the signed original byte for byte, other versions as a stamped uncontrolled copy; ?original=1 for the stored bytes, ?copy=1 for a marked uncontrolled copy (of a signed text: naming the original, recognised by verify)", tag: "documents"},

		{method: "POST", path: p + "/monev/rounds", handler: s.openMonev, auth: true, body: "json", summary: "Open monev rounds (process C) for signed agreements", tag: "monev", okStatus: 201},
		{method: "GET", path: p + "/deadlines", handler: s.deadlines, auth: true, summary: "Overdue, due soon and on-time steps; agreements expiring soon", tag: "deadlines"},
		{method: "GET", path: p + "/search", handler: s.search, auth: true, query: searchParams, summary: "Search the archive: text, filters, facets", tag: "search"},
		{method: "GET", path: p + "/users", handler: s.listUsers, auth: true, summary: "ADMIN: every account with its registered signing certificates", tag: "users"},
		{method: "GET", path: p + "/users/:username/certificates", handler: s.listCertificates, auth: true, summary: "ADMIN: a user's signing certificates, revoked ones included", tag: "users"},
		{method: "POST", path: p + "/users/:username/certificates", handler: s.addCertificate, auth: true, body: "pem/der or multipart", summary: "ADMIN: register a signing certificate (PEM or DER) to a user", tag: "users", okStatus: 201},
		{method: "DELETE", path: p + "/users/:username/certificates/:fingerprint", handler: s.revokeCertificate, auth: true, query: []string{"reason"}, summary: "ADMIN: revoke a signing certificate (kept, marked revoked)", tag: "users"},
		{method: "POST", path: p + "/verify", handler: s.verify, auth: true, heavy: true, body: "multipart", summary: "Verify the signatures of any PDF", tag: "verify"},
		{method: "GET", path: p + "/public/verify/:id", handler: s.publicVerify, heavy: true, summary: "Public verification of an agreement's signed text (the QR code's target)", tag: "verify"},
	}
}
