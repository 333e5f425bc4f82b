package api

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"golang.org/x/crypto/bcrypt"

	"github.com/bpom/naskah"
)

// Cookie and header names the UI uses.
const (
	SessionCookie = "naskah_session"
	CSRFHeader    = "X-CSRF-Token"
	CSRFFormField = "_csrf"
)

const (
	localActor    = "naskah.actor"
	localByCookie = "naskah.cookie"
	localSession  = "naskah.session"
)

// auth holds the users and the login rate limiter. Sessions are signed
// tokens, not server state, so any replica accepts them; a logout is
// remembered by this replica until the token would have expired.
type auth struct {
	users   map[string]User
	tokens  map[[32]byte]string // sha256(static token) → username
	secret  []byte
	ttl     time.Duration
	secure  bool
	now     func() time.Time
	limiter *throttle
	// dummy is compared against when the user is unknown, so that a
	// wrong username costs as much time as a wrong password.
	dummy []byte

	mu      sync.Mutex
	revoked map[string]time.Time // session token → its expiry
}

func newAuth(cfg Config, now func() time.Time) *auth {
	if now == nil {
		now = time.Now
	}
	a := &auth{users: map[string]User{}, tokens: map[[32]byte]string{}, secret: cfg.SessionSecret, ttl: cfg.SessionTTL,
		secure: strings.HasPrefix(cfg.PublicBaseURL, "https://"), now: now, revoked: map[string]time.Time{},
		limiter: newThrottle(cfg.LoginRate, now)}
	for _, u := range cfg.Users {
		a.users[u.Username] = u
		for _, t := range u.Tokens {
			a.tokens[sha256.Sum256([]byte(t))] = u.Username
		}
	}
	a.dummy, _ = bcrypt.GenerateFromPassword([]byte("naskah-dummy-password"), bcrypt.DefaultCost)
	return a
}

// Login checks a password and returns the actor and a session token,
// usable as a bearer token or as the session cookie's value. It is
// throttled per client address and account (see throttle); pass "" as ip
// to skip that, e.g. from a trusted command line.
func (s *Server) Login(ctx context.Context, ip, user, pass string) (naskah.Actor, string, error) {
	a := s.auth
	if ip != "" {
		if wait := a.limiter.begin(ip, user); wait > 0 {
			return naskah.Actor{}, "", rateLimitedError(wait)
		}
	}
	u, ok := a.users[user]
	hash := a.dummy
	if ok && u.PasswordHash != "" {
		hash = []byte(u.PasswordHash)
	}
	if err := bcrypt.CompareHashAndPassword(hash, []byte(pass)); err != nil || !ok || u.PasswordHash == "" {
		return naskah.Actor{}, "", naskah.Errorf(naskah.EUNAUTHORIZED, "wrong username or password: check both and try again")
	}
	if ip != "" {
		a.limiter.succeed(ip, user)
	}
	return u.Actor(), a.issue(user), nil
}

// Logout ends a session token on this replica.
func (s *Server) Logout(token string) {
	a := s.auth
	if _, exp, ok := a.parse(token); ok {
		a.mu.Lock()
		defer a.mu.Unlock()
		now := a.now()
		for t, e := range a.revoked {
			if now.After(e) {
				delete(a.revoked, t)
			}
		}
		a.revoked[token] = exp
	}
}

// rateLimitedError is a refused login attempt: 429 with Retry-After.
func rateLimitedError(wait time.Duration) *naskah.Error {
	secs := int((wait + time.Second - 1) / time.Second)
	return &naskah.Error{Code: naskah.ERATELIMITED, RetryAfter: wait,
		Message: fmt.Sprintf("Terlalu banyak percobaan masuk: tunggu %d detik lalu coba lagi — Too many login attempts: wait %d seconds and try again", secs, secs)}
}

// issue returns a session token: payload "user\x00expiry\x00nonce", then
// its HMAC, both base64url.
func (a *auth) issue(user string) string {
	var tail [8 + 12]byte
	binary.BigEndian.PutUint64(tail[:8], uint64(a.now().Add(a.ttl).Unix()))
	_, _ = rand.Read(tail[8:])
	payload := append([]byte(user+"\x00"), tail[:]...)
	return base64.RawURLEncoding.EncodeToString(payload) + "." + base64.RawURLEncoding.EncodeToString(a.mac("session", payload))
}

func (a *auth) mac(purpose string, b []byte) []byte {
	m := hmac.New(sha256.New, a.secret)
	m.Write([]byte(purpose + "\x00"))
	m.Write(b)
	return m.Sum(nil)
}

// parse checks a session token's signature and expiry.
func (a *auth) parse(token string) (user string, exp time.Time, ok bool) {
	p, sig, found := strings.Cut(token, ".")
	if !found {
		return "", time.Time{}, false
	}
	payload, err1 := base64.RawURLEncoding.DecodeString(p)
	mac, err2 := base64.RawURLEncoding.DecodeString(sig)
	if err1 != nil || err2 != nil || len(payload) < 21 || !hmac.Equal(mac, a.mac("session", payload)) {
		return "", time.Time{}, false
	}
	tail := payload[len(payload)-20:]
	user = string(payload[:len(payload)-21])
	exp = time.Unix(int64(binary.BigEndian.Uint64(tail[:8])), 0)
	if !a.now().Before(exp) {
		return "", time.Time{}, false
	}
	return user, exp, true
}

// actorFor resolves a bearer or session token to a configured user.
func (a *auth) actorFor(token string) (naskah.Actor, bool) {
	if token == "" {
		return naskah.Actor{}, false
	}
	if name, ok := a.tokens[sha256.Sum256([]byte(token))]; ok {
		return a.users[name].Actor(), true
	}
	name, _, ok := a.parse(token)
	if !ok {
		return naskah.Actor{}, false
	}
	a.mu.Lock()
	_, gone := a.revoked[token]
	a.mu.Unlock()
	u, exists := a.users[name]
	if gone || !exists {
		return naskah.Actor{}, false
	}
	return u.Actor(), true
}

// CSRFToken returns the CSRF token bound to a session token: the UI puts
// it in the X-CSRF-Token header or the _csrf form field.
func (s *Server) CSRFToken(session string) string {
	return base64.RawURLEncoding.EncodeToString(s.auth.mac("csrf", []byte(session)))
}

// ActorFromRequest returns the signed-in actor of a request: from the
// Authorization bearer token, else from the session cookie.
func (s *Server) ActorFromRequest(c *fiber.Ctx) (naskah.Actor, bool) {
	if a, ok := c.Locals(localActor).(naskah.Actor); ok {
		return a, true
	}
	token, cookie := credentials(c)
	actor, ok := s.auth.actorFor(token)
	if ok {
		c.Locals(localActor, actor)
		c.Locals(localByCookie, cookie)
		c.Locals(localSession, token)
	}
	return actor, ok
}

func credentials(c *fiber.Ctx) (token string, cookie bool) {
	if h := c.Get(fiber.HeaderAuthorization); h != "" {
		scheme, t, _ := strings.Cut(h, " ")
		if strings.EqualFold(scheme, "Bearer") {
			return strings.TrimSpace(t), false
		}
		return "", false
	}
	return c.Cookies(SessionCookie), true
}

// requireActor refuses requests without a valid token (401) and, for
// cookie sessions, state-changing requests without the CSRF token.
func (s *Server) requireActor(c *fiber.Ctx) error {
	if _, ok := s.ActorFromRequest(c); !ok {
		c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="naskah"`)
		return naskah.Errorf(naskah.EUNAUTHORIZED, "you are not signed in or your session expired: log in (POST %s/login) and send the token as \"Authorization: Bearer <token>\"", Prefix)
	}
	return s.CheckCSRF(c)
}

// CheckCSRF is middleware for cookie sessions: a POST, PUT, PATCH or
// DELETE must carry the session's CSRF token. Bearer requests pass: a
// browser never adds that header on its own.
func (s *Server) CheckCSRF(c *fiber.Ctx) error {
	switch c.Method() {
	case fiber.MethodGet, fiber.MethodHead, fiber.MethodOptions:
		return c.Next()
	}
	if _, ok := s.ActorFromRequest(c); !ok {
		return c.Next() // requireActor or the handler decides
	}
	if byCookie, _ := c.Locals(localByCookie).(bool); !byCookie {
		return c.Next()
	}
	session, _ := c.Locals(localSession).(string)
	got := c.Get(CSRFHeader)
	if got == "" && strings.HasPrefix(c.Get(fiber.HeaderContentType), fiber.MIMEApplicationForm) {
		got = c.FormValue(CSRFFormField)
	}
	if subtle.ConstantTimeCompare([]byte(got), []byte(s.CSRFToken(session))) != 1 {
		return naskah.Errorf(naskah.EFORBIDDEN, "the form's security token (CSRF) is missing or stale: reload the page and try again")
	}
	return c.Next()
}

// SetSessionCookie sets the session cookie for a token from Login.
func (s *Server) SetSessionCookie(c *fiber.Ctx, token string) {
	c.Cookie(&fiber.Cookie{Name: SessionCookie, Value: token, Path: "/", HTTPOnly: true, Secure: s.auth.secure,
		SameSite: fiber.CookieSameSiteLaxMode, Expires: s.auth.now().Add(s.auth.ttl)})
}

// ClearSessionCookie removes the session cookie.
func (s *Server) ClearSessionCookie(c *fiber.Ctx) {
	c.Cookie(&fiber.Cookie{Name: SessionCookie, Value: "", Path: "/", HTTPOnly: true, Secure: s.auth.secure,
		SameSite: fiber.CookieSameSiteLaxMode, Expires: time.Unix(1, 0)})
}

// limiter is a token bucket per key, for login attempts.
type limiter struct {
	rate RateLimit
	now  func() time.Time
	mu   sync.Mutex
	b    map[string]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

func newLimiter(r RateLimit, now func() time.Time) *limiter {
	return &limiter{rate: r, now: now, b: map[string]*bucket{}}
}

// take spends one attempt and returns 0, or how long to wait for one.
func (l *limiter) take(key string) time.Duration { return l.use(key, 1) }

// wait returns how long until key has an attempt, spending none.
func (l *limiter) wait(key string) time.Duration { return l.use(key, 0) }

// refund gives back an attempt spent by take.
func (l *limiter) refund(key string) { l.use(key, -1) }

// use refills key's bucket and spends n attempts when it has them
// (n = 0 only looks, n < 0 gives back), returning the wait otherwise.
func (l *limiter) use(key string, n float64) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	every := l.rate.Per / time.Duration(l.rate.Burst)
	if len(l.b) > 100000 {
		// Bound memory under a spray of usernames: drop buckets that
		// have refilled.
		for k, b := range l.b {
			if now.Sub(b.at) >= l.rate.Per {
				delete(l.b, k)
			}
		}
	}
	b, ok := l.b[key]
	if !ok {
		b = &bucket{tokens: float64(l.rate.Burst), at: now}
		l.b[key] = b
	}
	b.tokens = min(float64(l.rate.Burst), b.tokens+float64(now.Sub(b.at))/float64(every))
	b.at = now
	if n < 0 {
		b.tokens = min(float64(l.rate.Burst), b.tokens-n)
		return 0
	}
	if b.tokens < 1 {
		return time.Duration((1 - b.tokens) * float64(every))
	}
	b.tokens -= n
	return 0
}

// SessionAuth is the web UI's view of authentication: sessions are the same
// signed tokens the API issues, carried in a cookie.
type SessionAuth struct{ s *Server }

// WebAuth returns the session authentication for the web UI.
func (s *Server) WebAuth() SessionAuth { return SessionAuth{s} }

// Login checks a password, throttled per client address (from ClientIP)
// and account like the API's login.
func (w SessionAuth) Login(ctx context.Context, client, user, pass string) (naskah.Actor, string, error) {
	if client == "" {
		client = "unknown"
	}
	return w.s.Login(ctx, client, user, pass)
}

// ClientIP is Server.ClientIP, for the UI's Deps.
func (w SessionAuth) ClientIP(c *fiber.Ctx) string { return w.s.ClientIP(c) }

// ActorFromSession returns the actor of a session token.
func (w SessionAuth) ActorFromSession(ctx context.Context, token string) (naskah.Actor, bool) {
	return w.s.auth.actorFor(token)
}

// Logout ends a session token on this replica.
func (w SessionAuth) Logout(ctx context.Context, token string) error {
	w.s.Logout(token)
	return nil
}
