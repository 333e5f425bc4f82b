package api

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"golang.org/x/crypto/bcrypt"

	"github.com/bpom/naskah"
	"github.com/bpom/naskah/storage"
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
// tokens naming a session record in storage (see sessions), so any
// replica accepts them and every replica sees a logout.
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
	dummy    []byte
	sessions *sessions
}

func newAuth(cfg Config, now func() time.Time, store storage.Store) *auth {
	if now == nil {
		now = time.Now
	}
	a := &auth{users: map[string]User{}, tokens: map[[32]byte]string{}, secret: cfg.SessionSecret, ttl: cfg.SessionTTL,
		secure: strings.HasPrefix(cfg.PublicBaseURL, "https://"), now: now,
		limiter:  newThrottle(cfg.LoginRate, now),
		sessions: &sessions{store: store, secret: cfg.SessionSecret, idle: cfg.SessionIdle, now: now}}
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
	token, rec := a.issue(user)
	rec.Client, rec.PasswordTag = ip, a.sessions.passwordTag(u.PasswordHash)
	if err := a.sessions.create(ctx, rec); err != nil {
		return naskah.Actor{}, "", err
	}
	return u.Actor(), token, nil
}

// Logout ends a session token on every replica; ending an unknown or
// ended session is not an error.
func (s *Server) Logout(ctx context.Context, token string) error {
	user, _, id, ok := s.auth.parse(token)
	if !ok {
		return nil
	}
	return s.auth.sessions.revoke(ctx, user, id, user)
}

// rateLimitedError is a refused login attempt: 429 with Retry-After.
func rateLimitedError(wait time.Duration) *naskah.Error {
	secs := int((wait + time.Second - 1) / time.Second)
	return &naskah.Error{Code: naskah.ERATELIMITED, RetryAfter: wait,
		Message: fmt.Sprintf("Terlalu banyak percobaan masuk: tunggu %d detik lalu coba lagi — Too many login attempts: wait %d seconds and try again", secs, secs)}
}

// issue returns a session token and its record: payload
// "user\x00expiry nonce" (the nonce is the session id), then its HMAC,
// both base64url.
func (a *auth) issue(user string) (string, *Session) {
	var tail [8 + 12]byte
	now := a.now()
	exp := now.Add(a.ttl).Truncate(time.Second)
	binary.BigEndian.PutUint64(tail[:8], uint64(exp.Unix()))
	_, _ = rand.Read(tail[8:])
	payload := append([]byte(user+"\x00"), tail[:]...)
	token := base64.RawURLEncoding.EncodeToString(payload) + "." + base64.RawURLEncoding.EncodeToString(a.mac("session", payload))
	return token, &Session{ID: hex.EncodeToString(tail[8:]), User: user, Created: now, LastSeen: now, Expires: exp}
}

func (a *auth) mac(purpose string, b []byte) []byte {
	m := hmac.New(sha256.New, a.secret)
	m.Write([]byte(purpose + "\x00"))
	m.Write(b)
	return m.Sum(nil)
}

// parse checks a session token's signature and expiry.
func (a *auth) parse(token string) (user string, exp time.Time, id string, ok bool) {
	p, sig, found := strings.Cut(token, ".")
	if !found {
		return "", time.Time{}, "", false
	}
	payload, err1 := base64.RawURLEncoding.DecodeString(p)
	mac, err2 := base64.RawURLEncoding.DecodeString(sig)
	if err1 != nil || err2 != nil || len(payload) < 21 || !hmac.Equal(mac, a.mac("session", payload)) {
		return "", time.Time{}, "", false
	}
	tail := payload[len(payload)-20:]
	user = string(payload[:len(payload)-21])
	exp = time.Unix(int64(binary.BigEndian.Uint64(tail[:8])), 0)
	if !a.now().Before(exp) {
		return "", time.Time{}, "", false
	}
	return user, exp, hex.EncodeToString(tail[8:]), true
}

// actorFor resolves a bearer or session token to a configured user:
// EUNAUTHORIZED when the token is unknown, forged, expired or its session
// ended; a storage error (EUNAVAILABLE) when sessions cannot be read.
func (a *auth) actorFor(ctx context.Context, token string) (naskah.Actor, error) {
	if token == "" {
		return naskah.Actor{}, errNotSignedIn
	}
	if name, ok := a.tokens[sha256.Sum256([]byte(token))]; ok {
		return a.users[name].Actor(), nil
	}
	name, _, id, ok := a.parse(token)
	if !ok {
		return naskah.Actor{}, errNotSignedIn
	}
	u, exists := a.users[name]
	if !exists || u.PasswordHash == "" {
		return naskah.Actor{}, errNotSignedIn
	}
	if err := a.sessions.check(ctx, name, id, u.PasswordHash); err != nil {
		return naskah.Actor{}, err
	}
	return u.Actor(), nil
}

var errNotSignedIn = naskah.Errorf(naskah.EUNAUTHORIZED, "you are not signed in or your session expired: log in (POST %s/login) and send the token as \"Authorization: Bearer <token>\"", Prefix)

// CSRFToken returns the CSRF token bound to a session token: the UI puts
// it in the X-CSRF-Token header or the _csrf form field.
func (s *Server) CSRFToken(session string) string {
	return base64.RawURLEncoding.EncodeToString(s.auth.mac("csrf", []byte(session)))
}

// ActorFromRequest returns the signed-in actor of a request: from the
// Authorization bearer token, else from the session cookie.
func (s *Server) ActorFromRequest(c *fiber.Ctx) (naskah.Actor, bool) {
	a, err := s.actorOf(c)
	return a, err == nil
}

// actorOf is ActorFromRequest with the reason a request is not signed in.
func (s *Server) actorOf(c *fiber.Ctx) (naskah.Actor, error) {
	if a, ok := c.Locals(localActor).(naskah.Actor); ok {
		return a, nil
	}
	token, cookie := credentials(c)
	actor, err := s.auth.actorFor(c.UserContext(), token)
	if err == nil {
		c.Locals(localActor, actor)
		c.Locals(localByCookie, cookie)
		c.Locals(localSession, token)
	}
	return actor, err
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
	if _, err := s.actorOf(c); err != nil {
		if naskah.ErrorCode(err) != naskah.EUNAUTHORIZED {
			return err // sessions cannot be read: 503, not a logout
		}
		c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="naskah"`)
		return err
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

// ActorFromSession returns the actor of a live session token: EUNAUTHORIZED
// when there is none, EUNAVAILABLE when sessions cannot be read.
func (w SessionAuth) ActorFromSession(ctx context.Context, token string) (naskah.Actor, error) {
	return w.s.auth.actorFor(ctx, token)
}

// Logout ends a session token on every replica.
func (w SessionAuth) Logout(ctx context.Context, token string) error {
	return w.s.Logout(ctx, token)
}

// Sessions lists the live sessions of the token's user (web.SessionManager).
func (w SessionAuth) Sessions(ctx context.Context, token string) ([]Session, error) {
	user, _, id, ok := w.s.auth.parse(token)
	if !ok {
		return nil, errNotSignedIn
	}
	return w.s.Sessions(ctx, user, id)
}

// EndSession ends one of the token's user's sessions (web.SessionManager).
func (w SessionAuth) EndSession(ctx context.Context, token, id string) error {
	user, _, _, ok := w.s.auth.parse(token)
	if !ok {
		return errNotSignedIn
	}
	return w.s.EndSession(ctx, user, id, user)
}
