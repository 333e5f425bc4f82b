package pipeline

import (
	"context"

	"github.com/bpom/naskah"
	"github.com/bpom/naskah/pipeline/pdf"
)

// TokenKeys gives officials their own signing keys on PKCS#11 tokens;
// pkcs11.Signers is the implementation. Safe for concurrent use.
type TokenKeys interface {
	// Has reports whether user has a token key.
	Has(user string) bool
	// Open logs in to user's token with pin and returns user's signing
	// identity and release, which ends the token session. A wrong PIN is
	// EFORBIDDEN; a missing token, module or key EUNAVAILABLE. release may
	// be called more than once.
	Open(ctx context.Context, user, pin string) (*pdf.Signer, func(), error)
}

// HasToken reports whether user signs with a PKCS#11 token key.
func (e *Engine) HasToken(user string) bool {
	return e.Tokens != nil && e.Tokens.Has(user)
}

// signer opens the signing identity of a request: the keystore it carries,
// or the acting user's own token key. The token key is looked up by the
// actor alone, so nobody can sign with another user's token.
func (e *Engine) signer(ctx context.Context, r SignRequest) (*pdf.Signer, func(), error) {
	if !r.UseToken {
		s, err := pdf.LoadPKCS12(r.Keystore, r.Passphrase)
		return s, func() {}, err
	}
	if len(r.Keystore) > 0 {
		return nil, nil, naskah.Errorf(naskah.EINVALID, "Pilih salah satu: token atau berkas sertifikat, bukan keduanya — Choose one: your token or a keystore file, not both")
	}
	if !e.HasToken(r.Actor.User) {
		return nil, nil, naskah.Errorf(naskah.EINVALID, "Akun %s tidak memiliki kunci pada token PKCS#11: tandatangani dengan berkas sertifikat (.p12), atau minta ADMIN memetakan token Anda — Account %s has no key on a PKCS#11 token: sign with a keystore file (.p12), or ask ADMIN to map your token", r.Actor.User, r.Actor.User)
	}
	s, release, err := e.Tokens.Open(ctx, r.Actor.User, r.PIN)
	if err != nil {
		return nil, nil, err
	}
	return s, release, nil
}
