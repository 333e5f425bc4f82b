package api

import (
	"io"
	"slices"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/bpom/naskah"
	"github.com/bpom/naskah/pipeline"
)

// maxCertBytes bounds a certificate upload: a certificate is a few KB.
const maxCertBytes = 64 << 10

// userEntry is one account with its registered signing certificates, for ADMIN.
type userEntry struct {
	Username     string                 `json:"username"`
	Name         string                 `json:"name"`
	Role         naskah.Role            `json:"role"`
	Unit         string                 `json:"unit,omitempty"`
	Certificates []pipeline.Certificate `json:"certificates"`
}

func requireAdmin(c *fiber.Ctx) error {
	if actor(c).Role != naskah.RoleAdmin {
		return naskah.Errorf(naskah.EFORBIDDEN, "hanya ADMIN yang boleh mengelola sertifikat penandatanganan — only ADMIN may manage signing certificates")
	}
	return nil
}

// knownUser returns the configured user, or ENOTFOUND: certificates are
// bound only to accounts that exist.
func (s *Server) knownUser(name string) (User, error) {
	i := slices.IndexFunc(s.cfg.Users, func(u User) bool { return u.Username == name })
	if i < 0 {
		return User{}, naskah.Errorf(naskah.ENOTFOUND, "pengguna %q tidak ada — user %q does not exist", name, name)
	}
	return s.cfg.Users[i], nil
}

// accountNames gives the engine each account's full name, so a
// certificate registered to an account must name its holder.
func accountNames(users []User) func(string) string {
	names := make(map[string]string, len(users))
	for _, u := range users {
		names[u.Username] = u.Name
	}
	return func(user string) string { return names[user] }
}

// listUsers lists every account with its certificates (ADMIN only).
func (s *Server) listUsers(c *fiber.Ctx) error {
	if err := requireAdmin(c); err != nil {
		return err
	}
	all, err := s.engine.AllCertificates(c.UserContext())
	if err != nil {
		return err
	}
	out := make([]userEntry, 0, len(s.cfg.Users))
	for _, u := range s.cfg.Users {
		cs := all[u.Username]
		if cs == nil {
			cs = []pipeline.Certificate{}
		}
		out = append(out, userEntry{Username: u.Username, Name: u.Name, Role: u.Role, Unit: u.Unit, Certificates: cs})
	}
	return c.JSON(fiber.Map{"users": out})
}

func (s *Server) listCertificates(c *fiber.Ctx) error {
	if err := requireAdmin(c); err != nil {
		return err
	}
	u, err := s.knownUser(c.Params("username"))
	if err != nil {
		return err
	}
	cs, err := s.engine.Certificates(c.UserContext(), u.Username)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"user": u.Username, "certificates": cs})
}

// addCertificate registers a certificate sent as the body (PEM or DER, any
// content type but multipart) or as a multipart part named "file".
func (s *Server) addCertificate(c *fiber.Ctx) error {
	if err := requireAdmin(c); err != nil {
		return err
	}
	u, err := s.knownUser(c.Params("username"))
	if err != nil {
		return err
	}
	var data []byte
	// force: the ADMIN confirms a certificate whose holder is not the account's name.
	force := c.QueryBool("force")
	if mt, _ := mediaType(c); mt == fiber.MIMEMultipartForm {
		mr, err := s.multipartReader(c, maxCertBytes, "certificate")
		if err != nil {
			return err
		}
		for data == nil {
			part, err := mr.NextPart()
			if err == io.EOF {
				return naskah.Errorf(naskah.EINVALID, "formulir tidak memuat bagian \"file\" — the form has no part named \"file\": attach the certificate (PEM or DER)")
			}
			if err != nil {
				return multipartError(err)
			}
			if part.FormName() == "force" {
				v, _ := io.ReadAll(io.LimitReader(part, 16))
				force = force || strings.EqualFold(strings.TrimSpace(string(v)), "true") || strings.TrimSpace(string(v)) == "1"
			}
			if part.FormName() == "file" {
				if data, err = io.ReadAll(newLimitedReader(part, maxCertBytes, "certificate")); err != nil {
					return multipartError(err)
				}
			}
		}
	} else if data, err = io.ReadAll(newLimitedReader(body(c), maxCertBytes, "certificate")); err != nil {
		return multipartError(err)
	}
	cert, err := s.engine.RegisterCertificateWith(c.UserContext(), actor(c), u.Username, data, pipeline.RegisterOptions{AccountName: u.Name, Force: force})
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"user": u.Username, "certificate": cert})
}

// revokeCertificate revokes (never deletes) a certificate; the reason comes
// as ?reason= or a JSON body {"reason": "…"}.
func (s *Server) revokeCertificate(c *fiber.Ctx) error {
	if err := requireAdmin(c); err != nil {
		return err
	}
	u, err := s.knownUser(c.Params("username"))
	if err != nil {
		return err
	}
	var in struct {
		Reason string `json:"reason"`
	}
	if err := s.decodeJSON(c, &in); err != nil {
		return err
	}
	if in.Reason == "" {
		in.Reason = c.Query("reason")
	}
	cert, err := s.engine.RevokeCertificate(c.UserContext(), actor(c), u.Username, c.Params("fingerprint"), strings.TrimSpace(in.Reason))
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"user": u.Username, "certificate": cert})
}
