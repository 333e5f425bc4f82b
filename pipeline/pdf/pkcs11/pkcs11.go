// Package pkcs11 signs with keys that never leave a PKCS#11 token (an HSM,
// a smart card, SoftHSM). The configuration maps each Naskah user to a
// token and a key on it; the official gives the token's PIN at signing
// time, it opens one session for that signature and is then dropped.
//
// Built without cgo (the release image), the package still parses and
// checks its configuration, but Open answers EUNAVAILABLE.
package pkcs11

import (
	"context"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/bpom/naskah"
	"github.com/bpom/naskah/pipeline/pdf"
)

// Config is the `pkcs11` section of Naskah's configuration.
type Config struct {
	Module string `yaml:"module"` // path of the PKCS#11 library (.so), e.g. /usr/lib/softhsm/libsofthsm2.so
	Keys   []Key  `yaml:"keys"`
}

// Key maps one Naskah user to their signing key on a token. The user is
// the only one who can sign with it: the engine looks keys up by the
// acting user's name, never by a name the request carries.
type Key struct {
	User  string `yaml:"user"`  // Naskah username
	Token string `yaml:"token"` // token label, as `softhsm2-util --show-slots` or `pkcs11-tool -L` prints it
	Label string `yaml:"key"`   // private key label (CKA_LABEL)
	ID    string `yaml:"id"`    // private key CKA_ID in hex; optional when the label is unique
	// Certificate is a PEM file with the key's certificate first and then
	// its chain; empty: the certificate stored on the token with the key's
	// CKA_ID (or label).
	Certificate string `yaml:"certificate"`
	Chain       string `yaml:"chain"` // PEM file of intermediate CAs, nearest first (optional)
}

// Enabled reports whether any key is configured.
func (c Config) Enabled() bool { return len(c.Keys) > 0 }

// Problems lists every mistake in the configuration, each with what to do.
func (c Config) Problems() []string {
	var ps []string
	if len(c.Keys) > 0 && c.Module == "" {
		ps = append(ps, "pkcs11.keys is set but pkcs11.module is not: set NASKAH_PKCS11_MODULE to the token's PKCS#11 library, e.g. /usr/lib/softhsm/libsofthsm2.so")
	}
	if len(c.Keys) > 0 && !built {
		ps = append(ps, "pkcs11.keys is set but this naskah was built without cgo, so it cannot load a PKCS#11 library: build it with CGO_ENABLED=1")
	}
	if c.Module != "" {
		if !filepath.IsAbs(c.Module) {
			ps = append(ps, fmt.Sprintf("pkcs11.module %q: give the absolute path of the .so file", c.Module))
		} else if fi, err := os.Stat(c.Module); err != nil || fi.IsDir() {
			ps = append(ps, fmt.Sprintf("pkcs11.module %s does not exist: install the token's PKCS#11 library (Debian: softhsm2, opensc) or correct the path", c.Module))
		}
	}
	seen := map[string]bool{}
	for i, k := range c.Keys {
		at := fmt.Sprintf("pkcs11.keys[%d]", i)
		if k.User == "" {
			ps = append(ps, at+": user is empty: name the Naskah user whose key this is")
		} else if seen[k.User] {
			ps = append(ps, fmt.Sprintf("%s: user %q has a key already: give each user one token key", at, k.User))
		}
		seen[k.User] = true
		if k.Token == "" {
			ps = append(ps, at+": token is empty: give the token's label")
		}
		if k.Label == "" && k.ID == "" {
			ps = append(ps, at+": give the key's label (key) or its CKA_ID in hex (id)")
		}
		if _, err := hex.DecodeString(k.ID); err != nil {
			ps = append(ps, fmt.Sprintf("%s: id %q is not hex: write the CKA_ID as hex digits, e.g. 01a2", at, k.ID))
		}
		for _, f := range []struct{ name, path string }{{"certificate", k.Certificate}, {"chain", k.Chain}} {
			if f.path == "" {
				continue
			}
			if _, err := readCerts(f.path); err != nil {
				ps = append(ps, fmt.Sprintf("%s: %s: %v", at, f.name, err))
			}
		}
	}
	return ps
}

// Signers opens the configured users' token keys. Safe for concurrent use.
type Signers struct {
	module string
	keys   map[string]key // by user
}

type key struct {
	Key
	id    []byte
	cert  *x509.Certificate // nil: from the token
	chain []*x509.Certificate
}

// New checks cfg and reads its certificate files. Nothing is opened yet:
// a token is logged in to only when its user signs.
func New(cfg Config) (*Signers, error) {
	if ps := cfg.Problems(); len(ps) > 0 {
		return nil, naskah.Errorf(naskah.EINVALID, "pkcs11: %s", strings.Join(ps, "; "))
	}
	s := &Signers{module: cfg.Module, keys: map[string]key{}}
	for _, k := range cfg.Keys {
		kk := key{Key: k}
		kk.id, _ = hex.DecodeString(k.ID)
		if k.Certificate != "" {
			certs, err := readCerts(k.Certificate)
			if err != nil {
				return nil, naskah.Errorf(naskah.EINVALID, "pkcs11: certificate of %s: %v", k.User, err)
			}
			kk.cert, kk.chain = certs[0], certs[1:]
		}
		if k.Chain != "" {
			certs, err := readCerts(k.Chain)
			if err != nil {
				return nil, naskah.Errorf(naskah.EINVALID, "pkcs11: chain of %s: %v", k.User, err)
			}
			kk.chain = append(kk.chain, certs...)
		}
		s.keys[k.User] = kk
	}
	return s, nil
}

// Has reports whether user has a token key configured.
func (s *Signers) Has(user string) bool {
	if s == nil {
		return false
	}
	_, ok := s.keys[user]
	return ok
}

// Open logs in to user's own token with pin and returns the signing
// identity of user's key, and release, which logs out and closes the
// session; call it as soon as the signature is made (again is harmless).
// Until release, other signatures through the same module wait (bounded
// by ctx).
//
// A wrong PIN is EFORBIDDEN, as is a locked PIN or a key that can leave
// the token; a user without a token key or an empty PIN is EINVALID; a
// missing module, token, key or certificate is EUNAVAILABLE. The PIN is
// neither kept after Open returns nor part of any error.
func (s *Signers) Open(ctx context.Context, user, pin string) (signer *pdf.Signer, release func(), err error) {
	var k key
	ok := false
	if s != nil {
		k, ok = s.keys[user]
	}
	if !ok {
		return nil, nil, naskah.Errorf(naskah.EINVALID, "Akun %s tidak memiliki kunci pada token PKCS#11: tandatangani dengan berkas sertifikat (.p12), atau minta ADMIN memetakan token Anda — Account %s has no key on a PKCS#11 token: sign with a keystore file (.p12), or ask ADMIN to map your token", user, user)
	}
	if pin == "" {
		return nil, nil, naskah.Errorf(naskah.EINVALID, "Isi PIN token Anda — Enter your token PIN")
	}
	if fi, err := os.Stat(s.module); err != nil || fi.IsDir() {
		return nil, nil, naskah.WrapError(naskah.EUNAVAILABLE, fmt.Errorf("pkcs11: module %s: %w", s.module, err),
			"Modul PKCS#11 tidak ditemukan di server: hubungi administrator — The PKCS#11 module is missing on the server: contact the administrator")
	}
	return open(ctx, s.module, k, pin)
}

// readCerts reads a PEM file of certificates, at least one.
func readCerts(path string) ([]*x509.Certificate, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: check the path", path)
	}
	var certs []*x509.Certificate
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%s holds a damaged certificate: %v", path, err)
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 {
		return nil, fmt.Errorf("%s holds no PEM certificate: export it in PEM (-----BEGIN CERTIFICATE-----)", path)
	}
	return certs, nil
}
