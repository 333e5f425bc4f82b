package api

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/bpom/naskah"
	"github.com/bpom/naskah/pipeline"
	"github.com/bpom/naskah/pipeline/pdf"
)

// DemoUser is a demo account with its one-time password and, for the
// officials who sign, a development keystore.
type DemoUser struct {
	User               User   `json:"user"`
	Password           string `json:"-"` // known only when just created
	Keystore           string `json:"keystore,omitempty"`
	KeystorePassphrase string `json:"-"`
	// Certificate is the PEM file of the keystore's certificate, registered
	// to the user by RegisterCertificates.
	Certificate string `json:"certificate,omitempty"`
}

// Demo is the demo data in a data directory: users.json (bcrypt hashes
// only) and keys/ (a development CA and PKCS#12 keystores).
type Demo struct {
	Users   []DemoUser
	CACert  string // PEM file of the development CA: the engine's trust root
	Created bool   // created now: the passwords are known and should be printed once
}

// DemoMitraUnit is the partner the demo MITRA user represents: initiate
// demo agreements with this partner name so that MITRA sees them.
const DemoMitraUnit = "PT Farma Nusantara"

// demoAccounts are one user per SOP role; official is the dev keystore id.
func demoAccounts() []struct {
	user     User
	official *pdf.DevOfficial
} {
	const bpom = "Badan Pengawas Obat dan Makanan"
	off := func(id, name, title, org, country string) *pdf.DevOfficial {
		return &pdf.DevOfficial{ID: id, Name: name, Title: title, Organization: org, Country: country}
	}
	return []struct {
		user     User
		official *pdf.DevOfficial
	}{
		{User{Username: "kepala", Name: "Dr. Taruna Ikrar", Role: naskah.RoleKepala}, off("kepala", "Dr. Taruna Ikrar", "Kepala Badan Pengawas Obat dan Makanan", bpom, "ID")},
		{User{Username: "madya", Name: "Rina Kartika", Role: naskah.RoleMadya}, off("madya", "Rina Kartika", "Pejabat Pimpinan Tinggi Madya", bpom, "ID")},
		{User{Username: "pratama", Name: "Agus Salim", Role: naskah.RolePratama}, off("pratama", "Agus Salim", "Pejabat Pimpinan Tinggi Pratama", bpom, "ID")},
		{User{Username: "sestama", Name: "Siti Rahmawati", Role: naskah.RoleSestama}, nil},
		{User{Username: "bkh", Name: "Dewi Lestari", Role: naskah.RoleBKH}, nil},
		{User{Username: "bho", Name: "Hendra Wijaya", Role: naskah.RoleBHO}, nil},
		{User{Username: "unit", Name: "Yusuf Hidayat", Role: naskah.RoleUnit, Unit: "Direktorat Pengawasan Obat"}, nil},
		{User{Username: "upt", Name: "Budi Santoso", Role: naskah.RoleUPT, Unit: "BBPOM Bandung"}, off("kepala-upt", "Budi Santoso", "Kepala Balai Besar POM di Bandung", bpom, "ID")},
		{User{Username: "kemenlu", Name: "Ayu Pratiwi", Role: naskah.RoleKemenlu}, nil},
		{User{Username: "mitra", Name: "Dr. Maria Gonzalez", Role: naskah.RoleMitra, Unit: DemoMitraUnit}, off("mitra", "Dr. Maria Gonzalez", "Direktur Utama", DemoMitraUnit, "ID")},
		{User{Username: "admin", Name: "Administrator Naskah", Role: naskah.RoleAdmin}, nil},
	}
}

// EnsureDemo creates the demo users and keys in dir on first use and
// loads them afterwards. When it creates them it writes the passwords and
// keystore passphrases to out, once: they are not stored in clear.
func EnsureDemo(dir string, now time.Time, out io.Writer) (*Demo, error) {
	usersFile := filepath.Join(dir, "users.json")
	keys := filepath.Join(dir, "keys")
	b, err := os.ReadFile(usersFile)
	if err == nil {
		var users []DemoUser
		if err := json.Unmarshal(b, &users); err != nil {
			return nil, naskah.WrapError(naskah.EINVALID, err, "%s is damaged: delete it to create fresh demo users", usersFile)
		}
		return &Demo{Users: users, CACert: filepath.Join(keys, "ca.pem")}, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, naskah.WrapError(naskah.EINVALID, err, "cannot read %s: check the data directory's permissions", usersFile)
	}
	accounts := demoAccounts()
	var officials []pdf.DevOfficial
	for _, a := range accounts {
		if a.official != nil {
			officials = append(officials, *a.official)
		}
	}
	pki, err := pdf.GenerateDevPKI(keys, officials, now)
	if err != nil {
		return nil, err
	}
	demo := &Demo{CACert: pki.CACert, Created: true}
	for _, a := range accounts {
		pass := demoPassword()
		hash, err := bcrypt.GenerateFromPassword([]byte(pass), bcrypt.DefaultCost)
		if err != nil {
			return nil, fmt.Errorf("demo: hash password: %w", err)
		}
		u := DemoUser{User: a.user, Password: pass}
		u.User.PasswordHash = string(hash)
		if a.official != nil {
			for _, ks := range pki.Keystores {
				if ks.Official.ID == a.official.ID {
					u.Keystore, u.KeystorePassphrase = ks.Path, ks.Passphrase
					if u.Certificate, err = writeDemoCertificate(ks); err != nil {
						return nil, err
					}
				}
			}
		}
		demo.Users = append(demo.Users, u)
	}
	b, err = json.MarshalIndent(demo.Users, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("demo: encode users: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, naskah.WrapError(naskah.EINVALID, err, "cannot create %s: choose a writable data directory", dir)
	}
	if err := os.WriteFile(usersFile, b, 0o600); err != nil {
		return nil, naskah.WrapError(naskah.EINVALID, err, "cannot write %s: check the data directory's permissions", usersFile)
	}
	if out != nil {
		demo.Print(out)
	}
	return demo, nil
}

// writeDemoCertificate writes the keystore's certificate next to it as
// <id>.pem: the passphrase is known only now, and registration needs the
// certificate on every later start too.
func writeDemoCertificate(ks pdf.DevKeystore) (string, error) {
	p12, err := os.ReadFile(ks.Path)
	if err != nil {
		return "", fmt.Errorf("demo: read keystore: %w", err)
	}
	signer, err := pdf.LoadPKCS12(p12, ks.Passphrase)
	if err != nil {
		return "", err
	}
	path := strings.TrimSuffix(ks.Path, ".p12") + ".pem"
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: signer.Certificate.Raw}), 0o644); err != nil {
		return "", naskah.WrapError(naskah.EINVALID, err, "cannot write %s: check the data directory's permissions", path)
	}
	return path, nil
}

// RegisterCertificates binds each demo official's certificate to their
// account in the engine's store, once: a certificate already listed for
// the user (revoked ones too: an ADMIN's revocation stands) is left alone.
func (d *Demo) RegisterCertificates(ctx context.Context, e *pipeline.Engine) error {
	setup := naskah.Actor{User: "demo-setup", Role: naskah.RoleAdmin}
	for _, u := range d.Users {
		if u.Certificate == "" {
			continue
		}
		data, err := os.ReadFile(u.Certificate)
		if err != nil {
			return fmt.Errorf("demo: certificate of %s: %w", u.User.Username, err)
		}
		cert, err := pipeline.ParseCertificate(data)
		if err != nil {
			return err
		}
		have, err := e.Certificates(ctx, u.User.Username)
		if err != nil {
			return err
		}
		fp := pipeline.Fingerprint(cert)
		if slices.ContainsFunc(have, func(c pipeline.Certificate) bool { return c.Fingerprint == fp }) {
			continue
		}
		// Idempotent: a replica starting at the same time may register it first.
		if _, err := e.RegisterCertificateWith(ctx, setup, u.User.Username, data, pipeline.RegisterOptions{AccountName: u.User.Name}); err != nil {
			return fmt.Errorf("demo: register the certificate of %s: %w", u.User.Username, err)
		}
	}
	return nil
}

// ConfigUsers returns the users for Config.Users.
func (d *Demo) ConfigUsers() []User {
	out := make([]User, len(d.Users))
	for i, u := range d.Users {
		out[i] = u.User
	}
	return out
}

// Print writes the demo accounts; passwords only right after creation.
func (d *Demo) Print(w io.Writer) {
	fmt.Fprintln(w, "Demo users (development only; shown once, not stored in clear):")
	for _, u := range d.Users {
		unit := ""
		if u.User.Unit != "" {
			unit = " — " + u.User.Unit
		}
		fmt.Fprintf(w, "  %-8s %-8s password %-22s%s\n", u.User.Username, u.User.Role, orDash(u.Password), unit)
		if u.Keystore != "" {
			fmt.Fprintf(w, "  %-8s          keystore %s passphrase %s\n", "", u.Keystore, orDash(u.KeystorePassphrase))
		}
	}
	fmt.Fprintf(w, "Trust root (development CA): %s\n", d.CACert)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// demoPassword returns 16 characters of base32 (80 bits).
func demoPassword() string {
	b := make([]byte, 10)
	_, _ = rand.Read(b)
	return strings.ToLower(base32.StdEncoding.EncodeToString(b))
}
