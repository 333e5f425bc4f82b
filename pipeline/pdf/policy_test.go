package pdf_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"encoding/asn1"
	"strings"
	"testing"

	"github.com/bpom/naskah"
	"github.com/bpom/naskah/pipeline/pdf"
	"github.com/bpom/naskah/pipeline/pdf/pdftest"
	pdfreader "github.com/digitorus/pdf"
	"github.com/digitorus/pdfsign/sign"
)

// rawSign signs with pdfsign directly, bypassing every check of pdf.Sign:
// how a file signed elsewhere with a bad certificate or digest looks.
func rawSign(t *testing.T, data []byte, s *pdf.Signer, digest crypto.Hash) []byte {
	t.Helper()
	rdr, err := pdfreader.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	err = sign.Sign(bytes.NewReader(data), &out, rdr, int64(len(data)), sign.SignData{
		Signature:         sign.SignDataSignature{CertType: sign.ApprovalSignature, Info: sign.SignDataSignatureInfo{Name: s.Name}},
		Signer:            s.Key,
		DigestAlgorithm:   digest,
		Certificate:       s.Certificate,
		CertificateChains: [][]*x509.Certificate{append([]*x509.Certificate{s.Certificate}, s.Chain...)},
	})
	if err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// TestCertificatePurpose: a certificate whose keyUsage or EKU is not for
// signing documents is refused at sign and reported invalid at verify;
// the document-signing purposes are accepted.
func TestCertificatePurpose(t *testing.T) {
	f := mustFixture(t)
	in := pdftest.PDF()
	for _, tt := range []struct {
		name string
		opts pdftest.CertOpts
		ok   bool
	}{
		{"tls server", pdftest.CertOpts{KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}, false},
		{"key encipherment only", pdftest.CertOpts{KeyUsage: x509.KeyUsageKeyEncipherment, NoExtKeyUsage: true}, false},
		{"no extensions", pdftest.CertOpts{NoKeyUsage: true, NoExtKeyUsage: true}, true},
		{"non-repudiation, any EKU", pdftest.CertOpts{KeyUsage: x509.KeyUsageContentCommitment, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}, true},
		{"adobe document signing", pdftest.CertOpts{KeyUsage: x509.KeyUsageDigitalSignature, UnknownExtKeyUsage: []asn1.ObjectIdentifier{{1, 2, 840, 113583, 1, 1, 5}}}, true},
		{"microsoft document signing", pdftest.CertOpts{KeyUsage: x509.KeyUsageDigitalSignature, UnknownExtKeyUsage: []asn1.ObjectIdentifier{{1, 3, 6, 1, 4, 1, 311, 10, 3, 12}}}, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := f.pki.MustSignerWith(t, "Pejabat Uji", "", tt.opts)
			out, err := pdf.Sign(context.Background(), in, s, pdf.SignOptions{Roots: f.pki.Roots})
			if tt.ok {
				if err != nil {
					t.Fatalf("sign: %v", err)
				}
				if rep := MustVerify(t, out, f.verifyOp); !rep.Valid {
					t.Fatalf("got invalid, want valid: %+v", rep)
				}
				return
			}
			if naskah.ErrorCode(err) != naskah.EFORBIDDEN {
				t.Fatalf("sign: got %v, want EFORBIDDEN", err)
			}
			rep := MustVerify(t, rawSign(t, in, s, crypto.SHA256), f.verifyOp)
			if rep.Valid || !strings.Contains(strings.Join(rep.Signatures[0].Problems, " "), "not for signing") {
				t.Fatalf("verify: got valid=%v %v, want invalid: not for signing", rep.Valid, rep.Signatures[0].Problems)
			}
		})
	}
}

// TestWeakAlgorithms: SHA-1 as the CMS digest or in the signer's
// certificate is refused at sign and invalid at verify.
func TestWeakAlgorithms(t *testing.T) {
	f := mustFixture(t)
	in := pdftest.PDF()
	if _, err := pdf.Sign(context.Background(), in, f.kepala, pdf.SignOptions{Digest: crypto.SHA1, Roots: f.pki.Roots}); naskah.ErrorCode(err) != naskah.EINVALID {
		t.Fatalf("sign with SHA-1: got %v, want EINVALID", err)
	}
	rep := MustVerify(t, rawSign(t, in, f.kepala, crypto.SHA1), f.verifyOp)
	if rep.Valid {
		t.Fatalf("SHA-1 digest: got valid, want invalid")
	}
	t.Logf("SHA-1 digest: %v", rep.Signatures[0].Problems)

	weak := f.pki.MustSignerWith(t, "Pejabat SHA1", "", pdftest.CertOpts{SignatureAlgorithm: x509.SHA1WithRSA})
	if _, err := pdf.Sign(context.Background(), in, weak, pdf.SignOptions{}); naskah.ErrorCode(err) != naskah.EFORBIDDEN {
		t.Fatalf("sign with a SHA-1 certificate: got %v, want EFORBIDDEN", err)
	}
	// pkcs7 refuses to embed a chain whose link is SHA-1: the leaf alone.
	leaf := *weak
	leaf.Chain = nil
	rep = MustVerify(t, rawSign(t, in, &leaf, crypto.SHA256), f.verifyOp)
	if rep.Valid {
		t.Fatalf("SHA-1 certificate: got valid, want invalid")
	}
	t.Logf("SHA-1 certificate: %v", rep.Signatures[0].Problems)
}

// TestSignUntrustedChain: a keystore whose chain does not reach the roots
// is refused before a signature is made.
func TestSignUntrustedChain(t *testing.T) {
	f := mustFixture(t)
	other := pdftest.MustPKI(t).MustSigner(t, "Orang Lain", "Direktur", "")
	_, err := pdf.Sign(context.Background(), pdftest.PDF(), other, pdf.SignOptions{Roots: f.pki.Roots})
	if naskah.ErrorCode(err) != naskah.EFORBIDDEN {
		t.Fatalf("got %v, want EFORBIDDEN", err)
	}
}

// TestClaimedName: a /Name that names someone other than the
// certificate's holder is shown as claimed and is a problem.
func TestClaimedName(t *testing.T) {
	f := mustFixture(t)
	s := *f.kepala
	s.Name = "Dr. Maria Gonzalez"
	rep := MustVerify(t, rawSign(t, pdftest.PDF(), &s, crypto.SHA256), f.verifyOp)
	sr := rep.Signatures[0]
	if sr.SignerName != f.kepala.Certificate.Subject.CommonName || sr.ClaimedName != "Dr. Maria Gonzalez" {
		t.Fatalf("got signer %q claimed %q, want the certificate's holder and the claim", sr.SignerName, sr.ClaimedName)
	}
	if rep.Valid || !strings.Contains(strings.Join(sr.Problems, " "), "claims to be by") {
		t.Fatalf("got valid=%v %v, want a claimed-name problem", rep.Valid, sr.Problems)
	}
	s.Name = "  dr. TARUNA   ikrar , Kepala Badan"
	if rep := MustVerify(t, rawSign(t, pdftest.PDF(), &s, crypto.SHA256), f.verifyOp); !rep.Valid {
		t.Fatalf("case and spacing: got invalid, want valid: %v", rep.Problems)
	}
}
