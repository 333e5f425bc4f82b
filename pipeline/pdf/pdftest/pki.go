package pdftest

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/pem"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bpom/naskah/pipeline/pdf"
	"github.com/bpom/naskah/pipeline/pdf/internal/devca"
	"github.com/digitorus/timestamp"
	"golang.org/x/crypto/ocsp"
)

// PKI is a test CA with officials' signers, and optionally a TSA and an
// OCSP responder on loopback.
type PKI struct {
	CA    *devca.CA
	Roots *x509.CertPool

	mu      sync.Mutex
	revoked map[string]time.Time // serial (hex) → revocation time
}

// MustPKI returns a new test CA.
func MustPKI(tb testing.TB) *PKI {
	tb.Helper()
	ca, err := devca.NewCA("Naskah Test CA", time.Now())
	if err != nil {
		tb.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca.Cert)
	return &PKI{CA: ca, Roots: roots, revoked: map[string]time.Time{}}
}

// CAPEM returns the CA certificate in PEM.
func (p *PKI) CAPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: p.CA.Cert.Raw})
}

// MustSigner issues a signing certificate for name; ocspURL (may be empty)
// goes into its Authority Information Access.
func (p *PKI) MustSigner(tb testing.TB, name, title, ocspURL string) *pdf.Signer {
	tb.Helper()
	spec := devca.Spec{CommonName: name, Title: title, Organization: "Badan Pengawas Obat dan Makanan", Country: "ID"}
	if ocspURL != "" {
		spec.OCSPServer = []string{ocspURL}
	}
	cert, key, err := p.CA.Issue(spec)
	if err != nil {
		tb.Fatal(err)
	}
	return &pdf.Signer{Key: key, Certificate: cert, Chain: []*x509.Certificate{p.CA.Cert}, Name: name, Title: title}
}

// KeyType names a signing key type for MustSignerWith.
type KeyType string

// The common signing keys (issue 12, point 3).
const (
	RSA2048 KeyType = "rsa2048"
	RSA3072 KeyType = "rsa3072"
	RSA4096 KeyType = "rsa4096"
	P256    KeyType = "p256"
	P384    KeyType = "p384"
)

// KeyTypes are the key types every signing test covers.
var KeyTypes = []KeyType{RSA2048, RSA3072, RSA4096, P256, P384}

// CertOpts describes a signing certificate for MustSignerWith. Zero values
// give the defaults of MustSigner (RSA-2048, digitalSignature and
// nonRepudiation, EKU emailProtection and document signing).
type CertOpts struct {
	Key                KeyType
	OCSPURL            string
	SerialNumber       string // the subject's serialNumber (NIK)
	Organization       string // default: BPOM
	KeyUsage           x509.KeyUsage
	NoKeyUsage         bool // leave the keyUsage extension out
	ExtKeyUsage        []x509.ExtKeyUsage
	UnknownExtKeyUsage []asn1.ObjectIdentifier
	NoExtKeyUsage      bool                    // leave the extendedKeyUsage extension out
	SignatureAlgorithm x509.SignatureAlgorithm // how the CA signs it
}

// MustSignerWith issues a signing certificate for name as o says.
func (p *PKI) MustSignerWith(tb testing.TB, name, title string, o CertOpts) *pdf.Signer {
	tb.Helper()
	org := o.Organization
	if org == "" {
		org = "Badan Pengawas Obat dan Makanan"
	}
	spec := devca.Spec{CommonName: name, Title: title, Organization: org, Country: "ID", Key: string(o.Key),
		SerialNumber: o.SerialNumber, KeyUsage: o.KeyUsage, NoKeyUsage: o.NoKeyUsage, ExtKeyUsage: o.ExtKeyUsage,
		UnknownExtKeyUsage: o.UnknownExtKeyUsage, NoExtKeyUsage: o.NoExtKeyUsage, SignatureAlgorithm: o.SignatureAlgorithm}
	if o.OCSPURL != "" {
		spec.OCSPServer = []string{o.OCSPURL}
	}
	cert, key, err := p.CA.Issue(spec)
	if err != nil {
		tb.Fatal(err)
	}
	return &pdf.Signer{Key: key, Certificate: cert, Chain: []*x509.Certificate{p.CA.Cert}, Name: name, Title: title}
}

// Revoke marks cert revoked for the OCSP responder.
func (p *PKI) Revoke(cert *x509.Certificate, at time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.revoked[cert.SerialNumber.Text(16)] = at
}

// MustTSA starts an RFC 3161 timestamp authority on loopback, its
// certificate issued by the CA, and returns its URL.
func (p *PKI) MustTSA(tb testing.TB) string {
	tb.Helper()
	return p.MustBigTSA(tb, 0)
}

// MustBigTSA is MustTSA whose tokens carry an extension of pad bytes:
// a TSA whose answers outgrow the room pdfsign reserves for them.
func (p *PKI) MustBigTSA(tb testing.TB, pad int) string {
	tb.Helper()
	return p.mustTSA(tb, pad, "")
}

// MustTSAWithOCSP is MustTSA whose certificate names the OCSP responder
// at ocspURL (MustOCSP): its status can be kept for B-LT.
func (p *PKI) MustTSAWithOCSP(tb testing.TB, ocspURL string) string {
	tb.Helper()
	return p.mustTSA(tb, 0, ocspURL)
}

func (p *PKI) mustTSA(tb testing.TB, pad int, ocspURL string) string {
	tb.Helper()
	spec := devca.Spec{CommonName: "Naskah Test TSA", TSA: true}
	if ocspURL != "" {
		// A TSA for long-term levels: its status can be kept, and it
		// outlives the signers' certificates (3 years) as TSAs do.
		spec.OCSPServer = []string{ocspURL}
		spec.NotAfter = p.CA.Cert.NotAfter
	}
	cert, key, err := p.CA.Issue(spec)
	if err != nil {
		tb.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<16))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		req, err := timestamp.ParseRequest(body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		ts := timestamp.Timestamp{
			HashAlgorithm:     req.HashAlgorithm,
			HashedMessage:     req.HashedMessage,
			Time:              time.Now().UTC().Truncate(time.Second),
			Nonce:             req.Nonce,
			Policy:            []int{1, 3, 6, 1, 4, 1, 99999, 1},
			Ordering:          false,
			Accuracy:          time.Second,
			Qualified:         false,
			AddTSACertificate: req.Certificates,
		}
		if pad > 0 {
			ts.ExtraExtensions = []pkix.Extension{{Id: asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 99999, 2}, Value: make([]byte, pad)}}
		}
		resp, err := ts.CreateResponseWithOpts(cert, key, crypto.SHA256)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/timestamp-reply")
		w.Write(resp)
	}))
	tb.Cleanup(srv.Close)
	return srv.URL
}

// MustOCSP starts an OCSP responder on loopback that answers for every
// certificate the CA issued (good unless Revoke was called) and returns
// its URL. The CA signs the responses itself.
func (p *PKI) MustOCSP(tb testing.TB) string {
	tb.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body []byte
		var err error
		if r.Method == http.MethodGet {
			body, err = base64.StdEncoding.DecodeString(strings.TrimPrefix(r.URL.Path, "/"))
		} else {
			body, err = io.ReadAll(io.LimitReader(r.Body, 1<<16))
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		req, err := ocsp.ParseRequest(body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		now := time.Now().UTC().Truncate(time.Minute)
		tmpl := ocsp.Response{Status: ocsp.Good, SerialNumber: req.SerialNumber, ThisUpdate: now, NextUpdate: now.Add(24 * time.Hour)}
		p.mu.Lock()
		if at, ok := p.revoked[req.SerialNumber.Text(16)]; ok {
			tmpl.Status, tmpl.RevokedAt, tmpl.RevocationReason = ocsp.Revoked, at, ocsp.KeyCompromise
		}
		p.mu.Unlock()
		resp, err := ocsp.CreateResponse(p.CA.Cert, p.CA.Cert, tmpl, p.CA.Key)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/ocsp-response")
		w.Write(resp)
	}))
	tb.Cleanup(srv.Close)
	return srv.URL
}

// Forge returns a certificate that looks like cert (same subject, issuer
// name and serial, same DER length) but carries another key and is signed
// by a look-alike CA: swapped into a signature, it must make it invalid.
func (p *PKI) Forge(tb testing.TB, cert *x509.Certificate) *x509.Certificate {
	tb.Helper()
	for range 200 {
		rogue, err := devca.NewCA(p.CA.Cert.Subject.CommonName, time.Now())
		if err != nil {
			tb.Fatal(err)
		}
		tmpl := *cert
		tmpl.SerialNumber = new(big.Int).Set(cert.SerialNumber)
		_, key, err := rogue.Issue(devca.Spec{CommonName: "x"})
		if err != nil {
			tb.Fatal(err)
		}
		der, err := x509.CreateCertificate(rand.Reader, &tmpl, rogue.Cert, key.Public(), rogue.Key)
		if err != nil {
			tb.Fatal(err)
		}
		if len(der) == len(cert.Raw) && !bytes.Equal(der, cert.Raw) {
			forged, err := x509.ParseCertificate(der)
			if err != nil {
				tb.Fatal(err)
			}
			return forged
		}
	}
	tb.Fatal("could not forge a certificate of the same length")
	return nil
}

// PdfsigResult is what poppler's pdfsig says about a file.
type PdfsigResult struct {
	Output  string
	Valid   int // "Signature is Valid" count
	Trusted int // "Certificate is Trusted" count
	Total   int // signatures listed
	// WholeFile is true when the last signature covers the whole file.
	WholeFile bool
}

// AllGood reports whether pdfsig found n signatures, all valid and trusted.
func (r PdfsigResult) AllGood(n int) bool {
	return r.Total == n && r.Valid == n && r.Trusted == n && r.WholeFile
}

// NSSDB is an NSS database in a temp dir trusting the CA, for pdfsig.
type NSSDB string

// MustNSSDB creates an NSS database trusting the CA (certutil).
func (p *PKI) MustNSSDB(tb testing.TB) NSSDB {
	tb.Helper()
	certutil := RequireTool(tb, "certutil")
	dir := tb.TempDir()
	ca := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(ca, p.CAPEM(), 0o644); err != nil {
		tb.Fatal(err)
	}
	for _, args := range [][]string{
		{"-N", "-d", "sql:" + dir, "--empty-password"},
		{"-A", "-d", "sql:" + dir, "-n", "naskah-ca", "-t", "CT,C,C", "-i", ca},
	} {
		if out, err := exec.Command(certutil, args...).CombinedOutput(); err != nil {
			tb.Fatalf("certutil %v: %v\n%s", args, err, out)
		}
	}
	return NSSDB(dir)
}

// MustPdfsig runs pdfsig on data with the NSS database.
func (db NSSDB) MustPdfsig(tb testing.TB, data []byte) PdfsigResult {
	tb.Helper()
	pdfsig := RequireTool(tb, "pdfsig")
	f, err := os.CreateTemp(tb.TempDir(), "*.pdf")
	if err != nil {
		tb.Fatal(err)
	}
	f.Write(data)
	f.Close()
	// pdfsig exits non-zero for invalid signatures or none: that is
	// information, not a test failure.
	out, _ := exec.Command(pdfsig, "-nssdir", "sql:"+string(db), f.Name()).CombinedOutput()
	s := string(out)
	return PdfsigResult{
		Output:  s,
		Valid:   strings.Count(s, "Signature Validation: Signature is Valid"),
		Trusted: strings.Count(s, "Certificate Validation: Certificate is Trusted"),
		Total:   strings.Count(s, "Signature #"),
		// pdfsig prints "Total document signed" or "Not total document
		// signed" per signature, in field order (not file order: a field
		// outside /AcroForm /Fields comes last): one must cover it all.
		WholeFile: strings.Count(s, "Total document signed") == 1,
	}
}
