//go:build cgo

package pkcs11

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/ThalesGroup/crypto11"
	p11 "github.com/miekg/pkcs11"

	"github.com/bpom/naskah"
	"github.com/bpom/naskah/pipeline/pdf"
)

// built: this build can load PKCS#11 libraries.
const built = true

// modules holds one lock per PKCS#11 library for the whole process.
// PKCS#11 keeps the login state per token and process, shared by all its
// sessions: while one signature is logged in, a second login to the same
// token is answered CKR_USER_ALREADY_LOGGED_IN, which crypto11 takes as
// success whatever PIN it was given. One signature at a time per module
// closes that gap (one token can be reached by more than one label, so
// the lock is per module, not per token). A signature holds it for a few
// milliseconds, plus the TSA's answer when one is configured.
var modules sync.Map // module path → chan struct{} of capacity 1

func lockModule(ctx context.Context, module string) (func(), error) {
	v, _ := modules.LoadOrStore(module, make(chan struct{}, 1))
	ch := v.(chan struct{})
	select {
	case ch <- struct{}{}:
		return func() { <-ch }, nil
	case <-ctx.Done():
		return nil, naskah.WrapError(naskah.EUNAVAILABLE, ctx.Err(), "Token sedang dipakai untuk tanda tangan lain: coba lagi sebentar lagi — The token is busy with another signature: try again in a moment")
	}
}

// open logs in to k's token and finds k's key and certificate. The module
// is initialised for this signature and finalised by release (crypto11
// counts its users), so no session, login or PIN outlives it.
func open(ctx context.Context, module string, k key, pin string) (*pdf.Signer, func(), error) {
	unlock, err := lockModule(ctx, module)
	if err != nil {
		return nil, nil, err
	}
	cfg := &crypto11.Config{Path: module, TokenLabel: k.Token, Pin: pin, MaxSessions: 2}
	c, err := crypto11.Configure(cfg)
	cfg.Pin = "" // crypto11 keeps cfg: it needs the PIN only to log in
	if err != nil {
		unlock()
		return nil, nil, loginError(k.Token, err)
	}
	var once sync.Once
	release := func() {
		once.Do(func() {
			c.Close() // waits for a signature in progress, then closes every session: the token logs out
			unlock()
		})
	}
	s, err := findSigner(c, k)
	if err != nil {
		release()
		return nil, nil, err
	}
	return s, release, nil
}

// findSigner finds k's private key, refuses one that could leave the
// token, and pairs it with its certificate.
func findSigner(c *crypto11.Context, k key) (*pdf.Signer, error) {
	var label []byte
	if k.Label != "" {
		label = []byte(k.Label)
	}
	name := k.Label
	if name == "" {
		name = "id " + k.ID
	}
	priv, err := c.FindKeyPair(k.id, label)
	if err != nil {
		return nil, naskah.WrapError(naskah.EUNAVAILABLE, fmt.Errorf("pkcs11: find key %s on %s: %w", name, k.Token, err),
			"Kunci %q tidak ada pada token %q: minta administrator memeriksa pemetaan pkcs11.keys — Key %q is not on token %q: ask the administrator to check pkcs11.keys", name, k.Token, name, k.Token)
	}
	if err := checkCustody(c, priv, name, k.Token); err != nil {
		return nil, err
	}
	cert, chain := k.cert, k.chain
	if cert == nil {
		id, err := c.GetAttribute(priv, crypto11.CkaId)
		if err == nil && id != nil && len(id.Value) > 0 {
			cert, err = c.FindCertificate(id.Value, nil, nil)
		}
		if cert == nil && err == nil && label != nil {
			cert, err = c.FindCertificate(nil, label, nil)
		}
		if cert == nil {
			if err == nil {
				err = errors.New("no certificate object")
			}
			return nil, naskah.WrapError(naskah.EUNAVAILABLE, fmt.Errorf("pkcs11: certificate of %s on %s: %w", name, k.Token, err),
				"Sertifikat untuk kunci %q tidak ada pada token %q: impor sertifikat ke token, atau minta administrator mengisi pkcs11.keys[].certificate — The certificate of key %q is not on token %q: import it into the token, or ask the administrator to set pkcs11.keys[].certificate", name, k.Token, name, k.Token)
		}
	}
	type equaler interface{ Equal(crypto.PublicKey) bool }
	if pub, ok := priv.Public().(equaler); !ok || !pub.Equal(cert.PublicKey) {
		return nil, naskah.Errorf(naskah.EUNAVAILABLE, "Sertifikat %q bukan milik kunci %q pada token %q: minta administrator memeriksa pkcs11.keys — The certificate of %q does not belong to key %q on token %q: ask the administrator to check pkcs11.keys",
			cert.Subject.CommonName, name, k.Token, cert.Subject.CommonName, name, k.Token)
	}
	return pdf.NewSigner(tokenKey{priv, k.Token}, cert, chain), nil
}

// checkCustody refuses a key the token would hand out: Naskah promises that
// a token key never leaves the token, so it must be private, sensitive and
// not extractable.
func checkCustody(c *crypto11.Context, priv crypto11.Signer, name, token string) error {
	attrs, err := c.GetAttributes(priv, []crypto11.AttributeType{crypto11.CkaPrivate, crypto11.CkaSensitive, crypto11.CkaExtractable})
	if err != nil {
		return naskah.WrapError(naskah.EUNAVAILABLE, fmt.Errorf("pkcs11: attributes of %s on %s: %w", name, token, err),
			"Token %q tidak dapat dibaca: coba lagi, atau hubungi administrator — Token %q could not be read: try again, or contact the administrator", token, token)
	}
	flag := func(t crypto11.AttributeType) (bool, bool) {
		a := attrs[t]
		if a == nil || len(a.Value) != 1 {
			return false, false
		}
		return a.Value[0] != 0, true
	}
	private, ok1 := flag(crypto11.CkaPrivate)
	sensitive, ok2 := flag(crypto11.CkaSensitive)
	extractable, ok3 := flag(crypto11.CkaExtractable)
	if !ok1 || !ok2 || !ok3 || !private || !sensitive || extractable {
		return naskah.Errorf(naskah.EFORBIDDEN, "Kunci %q pada token %q dapat dikeluarkan dari token (CKA_EXTRACTABLE, CKA_SENSITIVE, CKA_PRIVATE): Naskah hanya menandatangani dengan kunci yang tidak dapat keluar dari token; buat kunci baru di dalam token — Key %q on token %q can leave the token (CKA_EXTRACTABLE, CKA_SENSITIVE, CKA_PRIVATE): Naskah signs only with keys that cannot; generate a new key inside the token",
			name, token, name, token)
	}
	return nil
}

// loginError translates crypto11's Configure errors. Each message says what
// the official or the administrator can do.
func loginError(token string, err error) error {
	var code p11.Error
	if errors.As(err, &code) {
		switch code {
		case p11.CKR_PIN_INCORRECT, p11.CKR_PIN_INVALID, p11.CKR_PIN_LEN_RANGE:
			return naskah.WrapError(naskah.EFORBIDDEN, err, "PIN token salah: masukkan PIN token Anda; token terkunci setelah beberapa kali salah — The token PIN is wrong: enter your token's PIN; the token locks after several wrong tries")
		case p11.CKR_PIN_LOCKED:
			return naskah.WrapError(naskah.EFORBIDDEN, err, "Token %q terkunci karena PIN salah berulang kali: minta administrator membuka kuncinya dengan PIN SO — Token %q is locked after too many wrong PINs: ask the administrator to unlock it with the SO PIN", token, token)
		case p11.CKR_PIN_EXPIRED:
			return naskah.WrapError(naskah.EFORBIDDEN, err, "PIN token %q kedaluwarsa: ganti PIN dengan aplikasi token Anda — The PIN of token %q has expired: change it with your token's tool", token, token)
		case p11.CKR_USER_PIN_NOT_INITIALIZED:
			return naskah.WrapError(naskah.EUNAVAILABLE, err, "PIN pengguna token %q belum diatur: minta administrator menyiapkan token — The user PIN of token %q is not set: ask the administrator to initialise the token", token, token)
		}
	}
	msg := err.Error()
	switch {
	case strings.Contains(msg, "could not find PKCS#11 token"):
		return naskah.WrapError(naskah.EUNAVAILABLE, err, "Token %q tidak ditemukan: pastikan token terpasang, lalu coba lagi — Token %q was not found: make sure it is plugged in, then try again", token, token)
	case strings.Contains(msg, "failed to create module context"):
		return naskah.WrapError(naskah.EUNAVAILABLE, err, "Modul PKCS#11 tidak dapat dimuat di server: hubungi administrator — The PKCS#11 module could not be loaded on the server: contact the administrator")
	}
	return naskah.WrapError(naskah.EUNAVAILABLE, err, "Token %q tidak dapat dibuka: coba lagi, atau hubungi administrator — Token %q could not be opened: try again, or contact the administrator", token, token)
}

// tokenKey is the token's crypto.Signer with its failures in our terms, so
// that a token pulled out mid-signature reads as such, not as a damaged PDF.
type tokenKey struct {
	crypto11.Signer
	token string
}

func (k tokenKey) Sign(rand io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	sig, err := k.Signer.Sign(rand, digest, opts)
	if err != nil {
		return nil, naskah.WrapError(naskah.EUNAVAILABLE, fmt.Errorf("pkcs11: sign on %s: %w", k.token, err),
			"Token %q gagal membuat tanda tangan: pastikan token terpasang, lalu coba lagi — Token %q failed to sign: make sure it is plugged in, then try again", k.token, k.token)
	}
	return sig, nil
}
