// Package devca issues development and test certificates: a CA, signing
// certificates for officials, a TSA and an OCSP responder certificate.
// Never for production: keys are generated in memory without a ceremony.
package devca

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"math/big"
	"time"
)

// OIDTitle is the X.520 title attribute (the official's position).
var OIDTitle = asn1.ObjectIdentifier{2, 5, 4, 12}

// oidDocumentSigning is the RFC 9336 document-signing extended key usage.
var oidDocumentSigning = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 36}

// CA is a certificate authority with its key in memory.
type CA struct {
	Cert *x509.Certificate
	Key  crypto.Signer
}

// Spec describes a certificate to issue.
type Spec struct {
	CommonName   string
	Title        string
	Organization string
	Country      string
	OCSPServer   []string
	CRL          []string
	NotBefore    time.Time
	NotAfter     time.Time
	TSA          bool // a timestamping certificate instead of a signing one
	OCSP         bool // an OCSP responder certificate
	CA           bool // an intermediate CA

	// Key is the key type of a new key: "" or "rsa2048", "rsa3072",
	// "rsa4096", "p256", "p384", "p521".
	Key string
	// SerialNumber is the subject's serialNumber attribute (the NIK).
	SerialNumber string
	// KeyUsage and ExtKeyUsage, when set, replace the defaults of a signing
	// certificate (tests of certificate purpose). NoKeyUsage leaves the
	// extension out; NoExtKeyUsage leaves EKU out.
	KeyUsage           x509.KeyUsage
	ExtKeyUsage        []x509.ExtKeyUsage
	UnknownExtKeyUsage []asn1.ObjectIdentifier
	NoKeyUsage         bool
	NoExtKeyUsage      bool
	// SignatureAlgorithm is how the CA signs this certificate (default: the
	// CA key's usual algorithm); tests use SHA-1 to check it is refused.
	SignatureAlgorithm x509.SignatureAlgorithm
}

// NewKey generates a key of the given type (see Spec.Key).
func NewKey(kind string) (crypto.Signer, error) {
	switch kind {
	case "", "rsa2048":
		return rsa.GenerateKey(rand.Reader, 2048)
	case "rsa3072":
		return rsa.GenerateKey(rand.Reader, 3072)
	case "rsa4096":
		return rsa.GenerateKey(rand.Reader, 4096)
	case "p256":
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "p384":
		return ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case "p521":
		return ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	}
	return nil, fmt.Errorf("devca: unknown key type %q", kind)
}

// NewCA returns a self-signed root CA valid for ten years from now.
func NewCA(name string, now time.Time) (*CA, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: name, Organization: []string{"Badan Pengawas Obat dan Makanan (development)"}, Country: []string{"ID"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.AddDate(10, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &CA{Cert: cert, Key: key}, nil
}

// Issue creates a key and a certificate for spec signed by ca.
func (ca *CA) Issue(spec Spec) (*x509.Certificate, crypto.Signer, error) {
	key, err := NewKey(spec.Key)
	if err != nil {
		return nil, nil, err
	}
	cert, err := ca.IssueFor(spec, key.Public())
	return cert, key, err
}

// IssueFor signs a certificate for spec over an existing public key (used
// to forge look-alike certificates in tampering tests).
func (ca *CA) IssueFor(spec Spec, pub crypto.PublicKey) (*x509.Certificate, error) {
	if spec.NotBefore.IsZero() {
		spec.NotBefore = time.Now().Add(-time.Hour)
	}
	if spec.NotAfter.IsZero() {
		spec.NotAfter = spec.NotBefore.AddDate(3, 0, 0)
	}
	subject := pkix.Name{CommonName: spec.CommonName}
	if spec.Organization != "" {
		subject.Organization = []string{spec.Organization}
	}
	if spec.Country != "" {
		subject.Country = []string{spec.Country}
	}
	subject.SerialNumber = spec.SerialNumber
	if spec.Title != "" {
		subject.ExtraNames = append(subject.ExtraNames, pkix.AttributeTypeAndValue{Type: OIDTitle, Value: spec.Title})
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               subject,
		NotBefore:             spec.NotBefore,
		NotAfter:              spec.NotAfter,
		OCSPServer:            spec.OCSPServer,
		CRLDistributionPoints: spec.CRL,
		BasicConstraintsValid: true,
		SignatureAlgorithm:    spec.SignatureAlgorithm,
	}
	switch {
	case spec.CA:
		tmpl.IsCA = true
		tmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign
	case spec.TSA:
		tmpl.KeyUsage = x509.KeyUsageDigitalSignature
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageTimeStamping}
		// RFC 3161 2.3: the TSA's extendedKeyUsage is critical (pdfcpu
		// refuses a document timestamp otherwise); Go writes it
		// non-critical, so it goes in as an extra extension, which wins.
		eku, err := asn1.Marshal([]asn1.ObjectIdentifier{{1, 3, 6, 1, 5, 5, 7, 3, 8}})
		if err != nil {
			return nil, err
		}
		tmpl.ExtraExtensions = append(tmpl.ExtraExtensions, pkix.Extension{Id: asn1.ObjectIdentifier{2, 5, 29, 37}, Critical: true, Value: eku})
	case spec.OCSP:
		tmpl.KeyUsage = x509.KeyUsageDigitalSignature
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageOCSPSigning}
	default:
		// NSS (pdfsig, Firefox) checks signers as e-mail signers: it wants
		// digitalSignature or nonRepudiation and, with an EKU, emailProtection.
		tmpl.KeyUsage = x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageEmailProtection}
		tmpl.UnknownExtKeyUsage = []asn1.ObjectIdentifier{oidDocumentSigning}
		if spec.KeyUsage != 0 || spec.NoKeyUsage {
			tmpl.KeyUsage = spec.KeyUsage
		}
		if spec.ExtKeyUsage != nil || spec.UnknownExtKeyUsage != nil || spec.NoExtKeyUsage {
			tmpl.ExtKeyUsage, tmpl.UnknownExtKeyUsage = spec.ExtKeyUsage, spec.UnknownExtKeyUsage
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, pub, ca.Key)
	if err != nil {
		return nil, fmt.Errorf("devca: issue %s: %w", spec.CommonName, err)
	}
	return x509.ParseCertificate(der)
}

func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		panic(err)
	}
	return n
}
