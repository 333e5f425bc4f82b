package web

import (
	"io"
	"net/http"
	"net/url"
	"sort"

	"github.com/gofiber/fiber/v2"

	"github.com/bpom/naskah"
	"github.com/bpom/naskah/pipeline"
)

// adminUser is one account on the admin page with its certificates.
type adminUser struct {
	Actor        naskah.Actor
	Certificates []pipeline.Certificate
}

type adminData struct {
	Users []adminUser
}

// adminUsers lists every account and its signing certificates, with a form
// to register one and a button to revoke one. ADMIN only.
func (u *UI) adminUsers(c *fiber.Ctx, actor naskah.Actor) error {
	if actor.Role != naskah.RoleAdmin {
		return u.errorPage(c, http.StatusForbidden, u.tr(c, "adm.forbidden"))
	}
	return u.renderAdmin(c, http.StatusOK, "", "")
}

func (u *UI) renderAdmin(c *fiber.Ctx, status int, flash, errMsg string) error {
	all, err := u.eng.AllCertificates(c.UserContext())
	if err != nil {
		return u.errorPage(c, statusOf(err), u.userMessage(c, err))
	}
	var d adminData
	seen := map[string]bool{}
	for _, a := range u.users {
		seen[a.User] = true
		d.Users = append(d.Users, adminUser{Actor: a, Certificates: all[a.User]})
	}
	// Certificates of accounts no longer configured stay visible.
	var rest []string
	for name := range all {
		if !seen[name] {
			rest = append(rest, name)
		}
	}
	sort.Strings(rest)
	for _, name := range rest {
		d.Users = append(d.Users, adminUser{Actor: naskah.Actor{User: name}, Certificates: all[name]})
	}
	v := u.newView(c, u.tr(c, "adm.title"), "admin")
	v.Data, v.Flash, v.Error = &d, flash, errMsg
	return u.render(c, status, "admin", v)
}

func (u *UI) adminAddCertificate(c *fiber.Ctx, actor naskah.Actor) error {
	if actor.Role != naskah.RoleAdmin {
		return u.errorPage(c, http.StatusForbidden, u.tr(c, "adm.forbidden"))
	}
	user := param(c, "username")
	fh, err := c.FormFile("file")
	if err != nil || fh.Size == 0 {
		return u.renderAdmin(c, http.StatusBadRequest, "", u.tr(c, "adm.nofile"))
	}
	f, err := fh.Open()
	if err != nil {
		return u.renderAdmin(c, http.StatusBadRequest, "", u.tr(c, "adm.nofile"))
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, 64<<10))
	if err == nil {
		_, err = u.eng.RegisterCertificate(c.UserContext(), actor, user, data)
	}
	if err != nil {
		return u.renderAdmin(c, statusOf(err), "", u.userMessage(c, err))
	}
	return c.Redirect("/admin/users?added="+url.QueryEscape(user)+"#u-"+url.QueryEscape(user), http.StatusSeeOther)
}

func (u *UI) adminRevokeCertificate(c *fiber.Ctx, actor naskah.Actor) error {
	if actor.Role != naskah.RoleAdmin {
		return u.errorPage(c, http.StatusForbidden, u.tr(c, "adm.forbidden"))
	}
	user := param(c, "username")
	if _, err := u.eng.RevokeCertificate(c.UserContext(), actor, user, param(c, "fingerprint"), form(c, "reason")); err != nil {
		return u.renderAdmin(c, statusOf(err), "", u.userMessage(c, err))
	}
	return c.Redirect("/admin/users?revoked="+url.QueryEscape(user)+"#u-"+url.QueryEscape(user), http.StatusSeeOther)
}
