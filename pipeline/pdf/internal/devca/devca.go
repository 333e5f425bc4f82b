// Package devca issues development and test certificates: a CA, signing
// certificates for officials, a TSA and an OCSP responder certificate.
// Never for production: keys are generated in memory without a ceremony.
package devca

import (
	"crypto"
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
	key, err := rsa.GenerateKey(rand.Reader, 2048)
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
	}
	switch {
	case spec.CA:
		tmpl.IsCA = true
		tmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign
	case spec.TSA:
		tmpl.KeyUsage = x509.KeyUsageDigitalSignature
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageTimeStamping}
	case spec.OCSP:
		tmpl.KeyUsage = x509.KeyUsageDigitalSignature
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageOCSPSigning}
	default:
		// NSS (pdfsig, Firefox) checks signers as e-mail signers: it wants
		// digitalSignature or nonRepudiation and, with an EKU, emailProtection.
		tmpl.KeyUsage = x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageEmailProtection}
		tmpl.UnknownExtKeyUsage = []asn1.ObjectIdentifier{oidDocumentSigning}
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
