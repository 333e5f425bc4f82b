package web

import (
	"context"
	"net/http"

	"github.com/gofiber/fiber/v2"

	"github.com/bpom/naskah"
	"github.com/bpom/naskah/api"
)

// SessionManager is an optional capability of Auth (checked with a type
// assertion): the signed-in user's own sessions, listed and ended.
type SessionManager interface {
	// Sessions lists the live sessions of the token's user, the token's
	// own marked Current.
	Sessions(ctx context.Context, token string) ([]api.Session, error)
	// EndSession ends one of the token's user's sessions on every replica;
	// an unknown id is ENOTFOUND or nothing.
	EndSession(ctx context.Context, token, id string) error
}

type sessionsData struct {
	Sessions []api.Session
	Enabled  bool
}

func (u *UI) sessionsPage(c *fiber.Ctx, actor naskah.Actor) error {
	v := u.newView(c, u.tr(c, "ses.title"), "sessions")
	d := sessionsData{}
	if m, ok := u.auth.(SessionManager); ok {
		tok, _ := c.Locals(localToken).(string)
		list, err := m.Sessions(c.UserContext(), tok)
		if err != nil {
			return u.errorPage(c, statusOf(err), u.userMessage(c, err))
		}
		d.Sessions, d.Enabled = list, true
	}
	if c.Query("done") == "1" {
		v.Flash = u.tr(c, "ses.ended")
	}
	v.Data = d
	return u.render(c, http.StatusOK, "sessions", v)
}

func (u *UI) endSession(c *fiber.Ctx, actor naskah.Actor) error {
	m, ok := u.auth.(SessionManager)
	if !ok {
		return u.errorPage(c, http.StatusNotFound, u.tr(c, "ses.none"))
	}
	tok, _ := c.Locals(localToken).(string)
	id := param(c, "id")
	if err := m.EndSession(c.UserContext(), tok, id); err != nil {
		return u.errorPage(c, statusOf(err), u.userMessage(c, err))
	}
	if _, err := u.auth.ActorFromSession(c.UserContext(), tok); naskah.ErrorCode(err) == naskah.EUNAUTHORIZED {
		return u.logout(c) // the user ended the session of this browser
	}
	return u.redirect(c, "/sessions?done=1")
}
