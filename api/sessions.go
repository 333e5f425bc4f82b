package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/bpom/naskah"
	"github.com/bpom/naskah/storage"
)

// Sessions live in storage, one object per session, so that a logout, a
// password change or an ADMIN's revocation is seen by every replica and
// survives a restart. The token stays a signed value (user, absolute
// expiry, session id); the record adds what a signature cannot: revocation,
// the idle timeout and the list a user sees.
const (
	sessionPrefix = "sessions/"
	// sessionTouch is how stale last_seen may get before a request writes
	// it again: the idle timeout's granularity, and the write rate it costs.
	sessionTouch = time.Minute
)

// Session is one login as its user and an ADMIN see it.
type Session struct {
	ID        string     `json:"id"`
	User      string     `json:"user"`
	Created   time.Time  `json:"created"`
	LastSeen  time.Time  `json:"last_seen"`
	Expires   time.Time  `json:"expires"` // absolute end, whatever the activity
	Client    string     `json:"client,omitempty"`
	UserAgent string     `json:"user_agent,omitempty"`
	Revoked   *time.Time `json:"revoked,omitempty"`
	RevokedBy string     `json:"revoked_by,omitempty"`
	Current   bool       `json:"current,omitempty"` // the session of the request that lists
	// PasswordTag binds the session to the password it was opened with:
	// a changed password_hash ends it. Stored only: a listing clears it,
	// and an empty one is left out of the JSON.
	PasswordTag string `json:"password_tag,omitempty"`
}

// sessions reads and writes session records.
type sessions struct {
	store  storage.Store
	secret []byte
	idle   time.Duration
	now    func() time.Time
}

func userDir(user string) string {
	h := sha256.Sum256([]byte(user))
	return sessionPrefix + hex.EncodeToString(h[:16]) + "/"
}

func sessionKey(user, id string) string { return userDir(user) + id + ".json" }

func (ss *sessions) passwordTag(hash string) string {
	m := sha256.Sum256(append(append([]byte{}, ss.secret...), "\x00pw\x00"+hash...))
	return hex.EncodeToString(m[:8])
}

func (ss *sessions) create(ctx context.Context, rec *Session) error {
	_, err := ss.put(ctx, rec, "")
	return err
}

func (ss *sessions) put(ctx context.Context, rec *Session, etag string) (string, error) {
	b, err := json.Marshal(rec)
	if err != nil {
		return "", err
	}
	info, err := ss.store.Put(ctx, sessionKey(rec.User, rec.ID), bytes.NewReader(b), storage.PutOptions{Size: int64(len(b)),
		ContentType: "application/json", IfMatch: etag, IfNoneMatch: etag == ""})
	if err != nil {
		return "", fmt.Errorf("session %s: %w", rec.ID, err)
	}
	return info.ETag, nil
}

func (ss *sessions) load(ctx context.Context, user, id string) (*Session, string, error) {
	rc, info, err := ss.store.Get(ctx, sessionKey(user, id), storage.GetOptions{})
	if err != nil {
		return nil, "", err
	}
	defer rc.Close()
	var rec Session
	if err := json.NewDecoder(rc).Decode(&rec); err != nil {
		return nil, "", fmt.Errorf("session %s: %w", id, err)
	}
	return &rec, info.ETag, nil
}

// live reports why rec no longer admits requests, or "" when it does.
func (ss *sessions) live(rec *Session, passwordHash string, now time.Time) string {
	switch {
	case rec.Revoked != nil:
		return "revoked"
	case !now.Before(rec.Expires):
		return "expired"
	case ss.idle > 0 && now.Sub(rec.LastSeen) >= ss.idle:
		return "idle"
	case rec.PasswordTag != ss.passwordTag(passwordHash):
		return "password changed"
	}
	return ""
}

// check admits a request on session id of user: EUNAUTHORIZED when the
// session is unknown or ended, the storage error when storage is down.
// It refreshes last_seen at most once per sessionTouch (a lost race with
// another replica's refresh is harmless).
func (ss *sessions) check(ctx context.Context, user, id, passwordHash string) error {
	rec, etag, err := ss.load(ctx, user, id)
	if naskah.ErrorCode(err) == naskah.ENOTFOUND {
		return errSessionEnded
	}
	if err != nil {
		return err
	}
	now := ss.now()
	if ss.live(rec, passwordHash, now) != "" {
		return errSessionEnded
	}
	if now.Sub(rec.LastSeen) >= sessionTouch {
		rec.LastSeen = now
		if _, err := ss.put(ctx, rec, etag); err != nil && naskah.ErrorCode(err) != naskah.ECONFLICT {
			return err
		}
	}
	return nil
}

var errSessionEnded = naskah.Errorf(naskah.EUNAUTHORIZED, "Sesi Anda telah berakhir atau dicabut: masuk lagi — Your session ended or was revoked: log in again")

// revoke ends session id of user; ending an ended or unknown session is
// not an error. Conditional writes retry over a concurrent refresh.
func (ss *sessions) revoke(ctx context.Context, user, id, by string) error {
	for range 5 {
		rec, etag, err := ss.load(ctx, user, id)
		if naskah.ErrorCode(err) == naskah.ENOTFOUND {
			return nil
		}
		if err != nil {
			return err
		}
		if rec.Revoked != nil {
			return nil
		}
		now := ss.now()
		rec.Revoked, rec.RevokedBy = &now, by
		_, err = ss.put(ctx, rec, etag)
		if naskah.ErrorCode(err) != naskah.ECONFLICT {
			return err
		}
	}
	return naskah.Errorf(naskah.EUNAVAILABLE, "Sesi sedang diubah bersamaan: coba lagi — The session is being changed concurrently: try again")
}

// list returns user's sessions that still admit requests, newest first;
// ended ones are removed from storage on the way.
func (ss *sessions) list(ctx context.Context, user, passwordHash string) ([]Session, error) {
	infos, err := ss.store.List(ctx, userDir(user))
	if err != nil {
		return nil, err
	}
	now := ss.now()
	var out []Session
	for _, info := range infos {
		id := strings.TrimSuffix(strings.TrimPrefix(info.Key, userDir(user)), ".json")
		rec, _, err := ss.load(ctx, user, id)
		if naskah.ErrorCode(err) == naskah.ENOTFOUND {
			continue
		}
		if err != nil {
			return nil, err
		}
		if why := ss.live(rec, passwordHash, now); why != "" {
			if why != "revoked" || now.After(rec.Expires) {
				_ = ss.store.Delete(ctx, info.Key, storage.DeleteOptions{}) // tidy; a revoked one stays until its expiry
			}
			continue
		}
		rec.PasswordTag = ""
		out = append(out, *rec)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Created.After(out[j].Created) })
	return out, nil
}

// revokeAll ends every session of user (an ADMIN's revocation).
func (ss *sessions) revokeAll(ctx context.Context, user, by string) (int, error) {
	infos, err := ss.store.List(ctx, userDir(user))
	if err != nil {
		return 0, err
	}
	n := 0
	for _, info := range infos {
		id := strings.TrimSuffix(strings.TrimPrefix(info.Key, userDir(user)), ".json")
		if err := ss.revoke(ctx, user, id, by); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// currentSession returns the user and session id of the request's session
// token ("" for a static API token).
func (s *Server) currentSession(c *fiber.Ctx) (user, id string) {
	t, _ := c.Locals(localSession).(string)
	user, _, id, ok := s.auth.parse(t)
	if !ok {
		return "", ""
	}
	return user, id
}

// Sessions lists the live sessions of user, marking current.
func (s *Server) Sessions(ctx context.Context, user, current string) ([]Session, error) {
	u, ok := s.auth.users[user]
	if !ok {
		return nil, naskah.Errorf(naskah.ENOTFOUND, "Pengguna %q tidak ada — There is no user %q", user, user)
	}
	list, err := s.auth.sessions.list(ctx, user, u.PasswordHash)
	for i := range list {
		list[i].Current = list[i].ID == current
	}
	return list, err
}

// EndSession ends session id of user, on behalf of by.
func (s *Server) EndSession(ctx context.Context, user, id, by string) error {
	if !validSessionID(id) {
		return naskah.Errorf(naskah.ENOTFOUND, "Sesi %q tidak ada — There is no session %q", id, id)
	}
	return s.auth.sessions.revoke(ctx, user, id, by)
}

func validSessionID(id string) bool {
	if len(id) != 24 {
		return false
	}
	_, err := hex.DecodeString(id)
	return err == nil && strings.ToLower(id) == id
}

func (s *Server) listSessions(c *fiber.Ctx) error {
	a := actor(c)
	user, current := a.User, ""
	if u, id := s.currentSession(c); u == a.User {
		current = id
	}
	if q := c.Query("user"); q != "" && q != a.User {
		if a.Role != naskah.RoleAdmin {
			return naskah.Errorf(naskah.EFORBIDDEN, "Hanya ADMIN yang melihat sesi pengguna lain — Only ADMIN sees other users' sessions")
		}
		user = q
	}
	list, err := s.Sessions(c.UserContext(), user, current)
	if err != nil {
		return err
	}
	if list == nil {
		list = []Session{}
	}
	return c.JSON(fiber.Map{"sessions": list})
}

func (s *Server) endSession(c *fiber.Ctx) error {
	a := actor(c)
	user := a.User
	if q := c.Query("user"); q != "" && q != a.User {
		if a.Role != naskah.RoleAdmin {
			return naskah.Errorf(naskah.EFORBIDDEN, "Hanya ADMIN yang mengakhiri sesi pengguna lain — Only ADMIN ends other users' sessions")
		}
		user = q
	}
	if err := s.EndSession(c.UserContext(), user, c.Params("id"), a.User); err != nil {
		return err
	}
	if u, id := s.currentSession(c); u == user && id == c.Params("id") {
		s.ClearSessionCookie(c)
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// revokeUserSessions is an ADMIN ending every session of a user (a lost
// laptop, a password reset).
func (s *Server) revokeUserSessions(c *fiber.Ctx) error {
	a := actor(c)
	if a.Role != naskah.RoleAdmin {
		return naskah.Errorf(naskah.EFORBIDDEN, "Hanya ADMIN yang mencabut semua sesi pengguna — Only ADMIN revokes all of a user's sessions")
	}
	user := c.Params("user")
	if _, ok := s.auth.users[user]; !ok {
		return naskah.Errorf(naskah.ENOTFOUND, "Pengguna %q tidak ada — There is no user %q", user, user)
	}
	n, err := s.auth.sessions.revokeAll(c.UserContext(), user, a.User)
	if err != nil {
		return err
	}
	s.log.Info("sessions revoked", "user", user, "by", a.User, "count", n)
	return c.JSON(fiber.Map{"revoked": n})
}
