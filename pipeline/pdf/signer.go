package pdf

import (
	"crypto"
	"crypto/x509"
)

// NewSigner returns the signing identity of a key held elsewhere (a
// PKCS#11 token, a signing service), named from its certificate as
// LoadPKCS12 names a keystore's.
func NewSigner(key crypto.Signer, cert *x509.Certificate, chain []*x509.Certificate) *Signer {
	s := &Signer{Key: key, Certificate: cert, Chain: chain, Name: cert.Subject.CommonName}
	for _, n := range cert.Subject.Names {
		if n.Type.Equal(oidTitle) {
			s.Title, _ = n.Value.(string)
		}
	}
	return s
}
