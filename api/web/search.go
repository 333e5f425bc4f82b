package web

import (
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/bpom/naskah"
	"github.com/bpom/naskah/search"
	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"
)

// facetFields are the facets the search page offers, in display order.
var facetFields = []string{search.FieldKind, search.FieldScope, search.FieldPartnerKind, search.FieldPartnerCountry,
	search.FieldUnit, search.FieldStatus, search.FieldYearSigned, search.FieldDocumentKind}

type facetValue struct {
	Value, Label string
	Count        int
	Selected     bool
	URL          string // the page with this value toggled
}

type facetGroup struct {
	Field  string
	Values []facetValue
}

type searchData struct {
	Q        string
	Searched bool
	Result   *search.Result
	Facets   []facetGroup
	Filtered bool
	Prev     string
	Next     string
}

func (u *UI) search(c *fiber.Ctx, actor naskah.Actor) error {
	v := u.newView(c, u.tr(c, "srch.title"), "search")
	vals, _ := url.ParseQuery(string(c.Request().URI().QueryString()))
	d := searchData{Q: strings.TrimSpace(vals.Get("q"))}
	filters := map[string][]string{}
	for _, f := range facetFields {
		if vs := vals["f."+f]; len(vs) > 0 {
			filters[f] = vs
			d.Filtered = true
		}
	}
	offset, _ := strconv.Atoi(vals.Get("offset"))
	if offset < 0 {
		offset = 0
	}
	d.Searched = d.Q != "" || d.Filtered
	if d.Searched {
		res, err := u.eng.Search(c.UserContext(), actor, search.Query{Text: d.Q, Filters: filters, Facets: facetFields,
			Highlight: true, Offset: offset, Limit: search.DefaultLimit})
		if err != nil {
			v.Errors["q"] = u.userMessage(c, err)
		} else {
			d.Result = res
			for _, f := range facetFields {
				g := facetGroup{Field: f}
				for _, fc := range res.Facets[f] {
					g.Values = append(g.Values, facetValue{Value: fc.Value, Label: v.facetLabel(f, fc.Value), Count: fc.Count,
						Selected: slices.Contains(filters[f], fc.Value), URL: toggleURL(vals, "f."+f, fc.Value)})
				}
				// A selected value with no matches left still shows, so it can be cleared.
				for _, s := range filters[f] {
					if !slices.ContainsFunc(g.Values, func(x facetValue) bool { return x.Value == s }) {
						g.Values = append(g.Values, facetValue{Value: s, Label: v.facetLabel(f, s), Selected: true, URL: toggleURL(vals, "f."+f, s)})
					}
				}
				if len(g.Values) > 0 {
					d.Facets = append(d.Facets, g)
				}
			}
			if offset > 0 {
				d.Prev = pageURL(vals, max(0, offset-search.DefaultLimit))
			}
			if offset+len(res.Hits) < res.Total {
				d.Next = pageURL(vals, offset+search.DefaultLimit)
			}
		}
	}
	v.Data = d
	return u.render(c, http.StatusOK, "search", v)
}

// toggleURL is the search page with value added to or removed from key.
func toggleURL(vals url.Values, key, value string) string {
	q := url.Values{}
	for k, vs := range vals {
		if k != "offset" && k != "lang" {
			q[k] = slices.Clone(vs)
		}
	}
	if i := slices.Index(q[key], value); i >= 0 {
		q[key] = slices.Delete(q[key], i, i+1)
	} else {
		q[key] = append(q[key], value)
	}
	return "/search?" + q.Encode()
}

func pageURL(vals url.Values, offset int) string {
	q := url.Values{}
	for k, vs := range vals {
		if k != "lang" {
			q[k] = slices.Clone(vs)
		}
	}
	q.Set("offset", strconv.Itoa(offset))
	return "/search?" + q.Encode()
}

// facetLabel is a facet value as a person reads it.
func (v *view) facetLabel(field, value string) string {
	switch field {
	case search.FieldKind:
		if t := naskah.AgreementKind(value).Title(); t != "" {
			return t
		}
	case search.FieldScope:
		return v.T("scope." + value)
	case search.FieldPartnerKind:
		if t := naskah.PartnerKind(value).Title(); t != "" {
			return t
		}
	case search.FieldStatus:
		return v.T("status." + value)
	case search.FieldDocumentKind:
		return v.DocTitle(naskah.DocumentKind(value))
	case search.FieldStep:
		return value + " " + v.Activity(naskah.StepID(value))
	}
	return value
}

// HitURL links a hit to its agreement (and document version).
func (v *view) HitURL(h search.Hit) string {
	if h.Type == search.TypeVersion && h.Doc.DocumentKind != "" {
		return "/agreements/" + url.PathEscape(h.AgreementID) + "#doc-" + h.Doc.DocumentKind
	}
	return "/agreements/" + url.PathEscape(h.AgreementID)
}

// SnippetFields lists a hit's snippet fields in a stable order.
func (v *view) SnippetFields(h search.Hit) []string {
	var fs []string
	for f := range h.Snippets {
		fs = append(fs, f)
	}
	sort.Strings(fs)
	return fs
}

// --- monev ---

type monevRound struct {
	A         *naskah.Agreement
	Monitored *naskah.Agreement
	Deadline  naskah.DeadlineStatus
}

type monevData struct {
	Rounds    []monevRound
	Eligible  []*naskah.Agreement // signed agreements that can be monitored
	CanOpen   bool
	RequestID string
}

func (u *UI) monevData(c *fiber.Ctx, actor naskah.Actor) (monevData, error) {
	all, err := u.eng.List(c.UserContext(), actor)
	if err != nil {
		return monevData{}, err
	}
	byID := map[string]*naskah.Agreement{}
	for _, a := range all {
		byID[a.ID] = a
	}
	d := monevData{CanOpen: actor.Role == naskah.RoleBKH}
	now := u.now()
	for _, a := range all {
		if a.Process == naskah.ProcessMonitoring {
			r := monevRound{A: a, Monitored: byID[a.Monitors], Deadline: naskah.DeadlineNone}
			if cur := a.Current(); cur != nil {
				r.Deadline = cur.Status(now, u.eng.Calendar)
			}
			d.Rounds = append(d.Rounds, r)
		} else if a.Status == naskah.StatusCompleted {
			d.Eligible = append(d.Eligible, a)
		}
	}
	sort.SliceStable(d.Rounds, func(i, j int) bool { return d.Rounds[i].A.Period > d.Rounds[j].A.Period })
	return d, nil
}

func (u *UI) monev(c *fiber.Ctx, actor naskah.Actor) error {
	d, err := u.monevData(c, actor)
	if err != nil {
		return u.errorPage(c, statusOf(err), u.userMessage(c, err))
	}
	v := u.newView(c, u.tr(c, "monev.title"), "monev")
	if n := c.Query("opened"); n != "" {
		v.Flash = v.Tf("monev.opened", atoi(n))
	}
	v.Data = d
	return u.render(c, http.StatusOK, "monev", v)
}

func atoi(s string) int { n, _ := strconv.Atoi(s); return n }

func (u *UI) openMonev(c *fiber.Ctx, actor naskah.Actor) error {
	period := form(c, "period")
	var ids []string
	if mf, err := c.MultipartForm(); err == nil {
		for _, id := range mf.Value["ids"] {
			ids = append(ids, utils.CopyString(id))
		}
	} else {
		c.Request().PostArgs().VisitAll(func(k, val []byte) {
			if string(k) == "ids" {
				ids = append(ids, string(val))
			}
		})
	}
	var opened int
	err := error(nil)
	if actor.Role != naskah.RoleBKH {
		err = naskah.Errorf(naskah.EFORBIDDEN, "%s", u.tr(c, "monev.cannot"))
	} else {
		var rs []*naskah.Agreement
		rs, err = u.eng.OpenMonevRound(c.UserContext(), actor, period, ids)
		opened = len(rs)
	}
	if err != nil {
		d, derr := u.monevData(c, actor)
		if derr != nil {
			return u.errorPage(c, statusOf(derr), u.userMessage(c, derr))
		}
		v := u.newView(c, u.tr(c, "monev.title"), "monev")
		v.Errors["period"] = u.userMessage(c, err)
		v.Form["period"] = period
		v.Data = d
		return u.render(c, statusOf(err), "monev", v)
	}
	return u.redirect(c, "/monev?opened="+strconv.Itoa(opened))
}
