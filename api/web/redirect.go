package web

import (
	"net/http"

	"github.com/gofiber/fiber/v2"
)

// maxRedirect bounds a redirect target; a longer one is not a page of ours.
const maxRedirect = 2048

// LocalTarget decides every redirect target of the UI: it returns s when s
// is a same-origin path — a single leading "/", printable ASCII without
// spaces, backslashes or control characters — and false otherwise.
// Browsers drop tabs and newlines and read "\" as "/", so "/\t/evil" and
// "/\evil" leave the site; a CR or LF would end the Location header.
func LocalTarget(s string) (string, bool) {
	if len(s) == 0 || len(s) > maxRedirect || s[0] != '/' {
		return "", false
	}
	if len(s) > 1 && (s[1] == '/' || s[1] == '\\') {
		return "", false
	}
	for i := 0; i < len(s); i++ {
		if b := s[i]; b <= ' ' || b >= 0x7f || b == '\\' {
			return "", false
		}
	}
	return s, true
}

// redirect answers 303 to target when LocalTarget accepts it, else to "/".
// Every redirect of the UI goes through here.
func (u *UI) redirect(c *fiber.Ctx, target string) error {
	t, ok := LocalTarget(target)
	if !ok {
		u.log.Warn("web: refused redirect target", "path", c.Path(), "target", target)
		t = "/"
	}
	return c.Redirect(t, http.StatusSeeOther)
}
