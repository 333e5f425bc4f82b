package web

import (
	"bytes"
	"fmt"
	"html"
	"html/template"
	"io/fs"
	"net/url"
	"strings"
	"time"

	"github.com/bpom/naskah"
	"github.com/bpom/naskah/search"
	"github.com/gofiber/fiber/v2"
)

// view is what every page template gets: the page's own data in Data, plus
// the language, the user, the CSRF token and per-field errors.
type view struct {
	Lang   string
	Actor  *naskah.Actor
	CSRF   string
	Title  string
	Nav    string // which menu item is current
	URL    string // the page's path and query, for the language switch
	Flash  string
	Error  string            // an error about the whole form
	Errors map[string]string // field name → message shown next to the field
	Form   map[string]string // values to put back into a form after an error
	Data   any
	now    time.Time
}

// T translates a message key.
func (v *view) T(key string) string { return translate(v.Lang, key) }

// Tf translates a key whose text has fmt verbs.
func (v *view) Tf(key string, args ...any) string {
	return fmt.Sprintf(translate(v.Lang, key), args...)
}

// En reports whether the page is in English.
func (v *view) En() bool { return v.Lang == "en" }

// LangURL is the current page in the other language.
func (v *view) LangURL(lang string) string {
	u, err := url.Parse(v.URL)
	if err != nil {
		return "/?lang=" + lang
	}
	q := u.Query()
	q.Set("lang", lang)
	u.RawQuery = q.Encode()
	return u.String()
}

// Date formats t in WIB, as Indonesian offices write dates.
func (v *view) Date(t any) string {
	var tt time.Time
	switch x := t.(type) {
	case time.Time:
		tt = x
	case *time.Time:
		if x == nil {
			return "—"
		}
		tt = *x
	default:
		return ""
	}
	if tt.IsZero() {
		return "—"
	}
	tt = tt.In(naskah.Jakarta)
	months := monthsID
	if v.En() {
		months = monthsEN
	}
	return fmt.Sprintf("%d %s %d", tt.Day(), months[tt.Month()-1], tt.Year())
}

// DateTime formats t with its time of day in WIB.
func (v *view) DateTime(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return v.Date(t) + " " + t.In(naskah.Jakarta).Format("15:04") + " WIB"
}

// Activity is a step's name in the page's language: the SOP's own words in
// Indonesian.
func (v *view) Activity(id naskah.StepID) string {
	s := naskah.LookupStep(id)
	if s == nil {
		if id == naskah.StepDone {
			return v.T("step.done")
		}
		return string(id)
	}
	if v.En() {
		return s.English
	}
	return s.Activity
}

// DocTitle is a document kind's name: the SOP's term, with the English
// gloss on English pages.
func (v *view) DocTitle(k naskah.DocumentKind) string {
	if v.En() {
		if e, ok := docKindsEN[k]; ok {
			return e
		}
	}
	return k.Title()
}

// RoleTitle is a role's name.
func (v *view) RoleTitle(r naskah.Role) string { return r.Title() }

// StatusClass is the CSS class of a deadline status.
func (v *view) StatusClass(s naskah.DeadlineStatus) string { return "st-" + string(s) }

// ErrFor returns the error shown next to a field.
func (v *view) ErrFor(field string) string { return v.Errors[field] }

// Val returns a form value to put back.
func (v *view) Val(field string) string { return v.Form[field] }

// Snippet renders a search snippet: the index marks matches with
// <mark>…</mark> and promises the rest is escaped; we do not rely on that
// promise — every piece outside the marks is unescaped and escaped again,
// so the only markup that reaches the page is <mark>.
func (v *view) Snippet(s string) template.HTML {
	var b strings.Builder
	open := false
	for s != "" {
		i := strings.Index(s, "<mark>")
		j := strings.Index(s, "</mark>")
		next, tag := -1, ""
		switch {
		case i >= 0 && (j < 0 || i < j):
			next, tag = i, "<mark>"
		case j >= 0:
			next, tag = j, "</mark>"
		}
		if next < 0 {
			b.WriteString(template.HTMLEscapeString(html.UnescapeString(s)))
			break
		}
		b.WriteString(template.HTMLEscapeString(html.UnescapeString(s[:next])))
		if tag == "<mark>" && !open {
			b.WriteString("<mark>")
			open = true
		} else if tag == "</mark>" && open {
			b.WriteString("</mark>")
			open = false
		}
		s = s[next+len(tag):]
	}
	if open {
		b.WriteString("</mark>")
	}
	return template.HTML(b.String())
}

var (
	monthsID = [12]string{"Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober", "November", "Desember"}
	monthsEN = [12]string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}
)

// parsePages parses each page template together with the layout, so every
// page defines its own "content" block.
func parsePages() map[string]*template.Template {
	funcs := template.FuncMap{
		"short": func(s string) string {
			if len(s) > 12 {
				return s[:12]
			}
			return s
		},
		"kb": func(n int64) string {
			if n >= 1<<20 {
				return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
			}
			return fmt.Sprintf("%d KB", (n+1023)/1024)
		},
		"join": strings.Join,
		"has": func(list []naskah.ActionKind, k naskah.ActionKind) bool {
			for _, x := range list {
				if x == k {
					return true
				}
			}
			return false
		},
		"add": func(a, b int) int { return a + b },
		"hasKind": func(list []naskah.DocumentKind, k naskah.DocumentKind) bool {
			for _, x := range list {
				if x == k {
					return true
				}
			}
			return false
		},
		"docKind":     func(s string) naskah.DocumentKind { return naskah.DocumentKind(s) },
		"deref":       func(t *time.Time) time.Time { return *t },
		"randomID":    func() string { return randomHex(12) },
		"actionLabel": actionLabel,
		// copyLink is our own verification page of the agreement a marked
		// copy names; the URL written in the copy itself is never linked.
		"copyLink": func(id string) string {
			if !search.ValidID(id) {
				return ""
			}
			return "/verify/" + id
		},
		// Argument bundles for the partial templates.
		"dl":  func(v *view, l any) map[string]any { return map[string]any{"V": v, "L": l} },
		"rep": func(v *view, r any) map[string]any { return map[string]any{"V": v, "R": r} },
		"yn":  func(v *view, b bool) map[string]any { return map[string]any{"V": v, "B": b} },
		"fld": func(v *view, name, label, typ string, required bool) map[string]any {
			return map[string]any{"V": v, "Name": name, "Label": label, "Type": typ, "Required": required}
		},
	}
	base := template.Must(template.New("layout.html").Funcs(funcs).ParseFS(assets, "templates/layout.html", "templates/_*.html"))
	names, err := fs.Glob(assets, "templates/*.html")
	if err != nil {
		panic(err)
	}
	pages := map[string]*template.Template{}
	for _, n := range names {
		name := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if name == "layout" || strings.HasPrefix(name, "_") {
			continue
		}
		pages[name] = template.Must(template.Must(base.Clone()).ParseFS(assets, n))
	}
	return pages
}

// newView fills the common part of a page's view.
func (u *UI) newView(c *fiber.Ctx, title, nav string) *view {
	v := &view{Lang: lang(c), CSRF: csrfOf(c), Title: title, Nav: nav, URL: c.OriginalURL(),
		Errors: map[string]string{}, Form: map[string]string{}, now: u.now()}
	if a, ok := c.Locals(localActor).(naskah.Actor); ok {
		v.Actor = &a
	}
	return v
}

func lang(c *fiber.Ctx) string {
	if l, ok := c.Locals(localLang).(string); ok {
		return l
	}
	return "id"
}

func csrfOf(c *fiber.Ctx) string {
	s, _ := c.Locals(localCSRF).(string)
	return s
}

func (u *UI) tr(c *fiber.Ctx, key string) string { return translate(lang(c), key) }

// render executes a page template with status.
func (u *UI) render(c *fiber.Ctx, status int, page string, v *view) error {
	t, ok := u.pages[page]
	if !ok {
		return fmt.Errorf("web: no template %q", page)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		u.log.Error("web: render", "page", page, "err", err)
		return c.Status(fiber.StatusInternalServerError).SendString("internal error")
	}
	c.Set("Cache-Control", "no-store")
	c.Type("html", "utf-8")
	return c.Status(status).Send(buf.Bytes())
}

// errorPage shows a message on its own page (or as JSON to the upload script).
func (u *UI) errorPage(c *fiber.Ctx, status int, msg string) error {
	if isXHR(c) {
		return c.Status(status).JSON(fiber.Map{"error": msg})
	}
	v := u.newView(c, u.tr(c, "err.title"), "")
	v.Error = msg
	return u.render(c, status, "error", v)
}

func urlQueryEscape(s string) string { return url.QueryEscape(s) }

// actionLabel is the button text of an action at a step: the SOP's own
// words for decisions (Setuju / Tidak …) on Indonesian pages.
func actionLabel(v *view, st *naskah.Step, k naskah.ActionKind) string {
	if st != nil && !v.En() {
		switch {
		case k == st.Finish && st.ApproveLabel != "":
			return st.ApproveLabel
		case k == naskah.ActionReject && st.RejectLabel != "":
			return st.RejectLabel
		}
	}
	return v.T("act." + string(k))
}
