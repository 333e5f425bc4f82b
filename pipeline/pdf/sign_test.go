package pdf_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bpom/naskah"
	"github.com/bpom/naskah/pipeline/pdf"
	"github.com/bpom/naskah/pipeline/pdf/pdftest"
	"github.com/pdfcpu/pdfcpu/pkg/api"
)

// fixture is one test CA with a TSA, an OCSP responder and an NSS database
// shared by the package's tests: key generation dominates their cost.
type fixture struct {
	pki      *pdftest.PKI
	tsa      string
	ocsp     string
	kepala   *pdf.Signer // no OCSP URL in its certificate
	mitra    *pdf.Signer // OCSP URL in its certificate
	nss      pdftest.NSSDB
	verifyOp pdf.VerifyOptions
}

var (
	fixOnce sync.Once
	fix     *fixture
	fixTB   = &sharedTB{}
)

// sharedTB outlives the first test that builds the fixture, so the
// loopback servers stay up for the whole package run.
type sharedTB struct {
	testing.TB
	mu       sync.Mutex
	cleanups []func()
	dirs     []string
}

func (s *sharedTB) Helper()                   {}
func (s *sharedTB) Cleanup(f func())          { s.mu.Lock(); s.cleanups = append(s.cleanups, f); s.mu.Unlock() }
func (s *sharedTB) Fatal(args ...any)         { panic(args) }
func (s *sharedTB) Fatalf(f string, a ...any) { panic(f) }
func (s *sharedTB) Skipf(f string, a ...any)  { panic(f) }
func (s *sharedTB) TempDir() string {
	d, err := os.MkdirTemp("", "naskah-pdf-")
	if err != nil {
		panic(err)
	}
	s.dirs = append(s.dirs, d)
	return d
}
func (s *sharedTB) close() {
	for i := len(s.cleanups) - 1; i >= 0; i-- {
		s.cleanups[i]()
	}
	for _, d := range s.dirs {
		os.RemoveAll(d)
	}
}

func mustFixture(tb testing.TB) *fixture {
	tb.Helper()
	fixOnce.Do(func() {
		p := pdftest.MustPKI(fixTB)
		f := &fixture{pki: p, tsa: p.MustTSA(fixTB), ocsp: p.MustOCSP(fixTB)}
		f.kepala = p.MustSigner(fixTB, "Dr. Taruna Ikrar", "Kepala Badan", "")
		f.mitra = p.MustSigner(fixTB, "Dr. Maria Gonzalez", "Director General", f.ocsp)
		f.verifyOp = pdf.VerifyOptions{Roots: p.Roots}
		fix = f
	})
	return fix
}

// mustNSS returns the fixture's NSS database, made on first use (skips
// without certutil).
func (f *fixture) mustNSS(tb testing.TB) pdftest.NSSDB {
	tb.Helper()
	pdftest.RequireTool(tb, "certutil")
	pdftest.RequireTool(tb, "pdfsig")
	if f.nss == "" {
		f.nss = f.pki.MustNSSDB(fixTB)
	}
	return f.nss
}

func MustSign(tb testing.TB, data []byte, s *pdf.Signer, opts pdf.SignOptions) []byte {
	tb.Helper()
	out, err := pdf.Sign(context.Background(), data, s, opts)
	if err != nil {
		tb.Fatalf("sign: %v", err)
	}
	return out
}

func MustVerify(tb testing.TB, data []byte, opts pdf.VerifyOptions) *pdf.Report {
	tb.Helper()
	rep, err := pdf.Verify(context.Background(), data, opts)
	if err != nil {
		tb.Fatalf("verify: %v", err)
	}
	return rep
}

func MustStampForSigning(tb testing.TB, data []byte) []byte {
	tb.Helper()
	out, err := pdf.StampForSigning(context.Background(), data, pdf.SigningMarks{VerifyURL: "https://naskah.pom.go.id/v/abc123", AgreementNumber: "HK.01/1/2026"})
	if err != nil {
		tb.Fatalf("stamp: %v", err)
	}
	return out
}

func TestSignVerify(t *testing.T) {
	f := mustFixture(t)
	in := MustStampForSigning(t, pdftest.PDF(pdftest.Portrait, pdftest.Landscape, pdftest.Rotated))
	tests := []struct {
		name       string
		signer     *pdf.Signer
		opts       pdf.SignOptions
		timestamp  bool
		revocation string
	}{
		{name: "plain", signer: f.kepala, opts: pdf.SignOptions{Reason: "Persetujuan", Location: "Jakarta"}, revocation: "none embedded"},
		{name: "visible", signer: f.kepala, opts: pdf.SignOptions{Reason: "Persetujuan", Location: "Jakarta", Visible: true, Page: 1, Rect: [4]float64{340, 80, 540, 130}}, revocation: "none embedded"},
		{name: "tsa", signer: f.kepala, opts: pdf.SignOptions{Reason: "Persetujuan", TSAURL: f.tsa}, timestamp: true, revocation: "none embedded"},
		{name: "ocsp", signer: f.mitra, opts: pdf.SignOptions{Reason: "Approval", EmbedRevocation: true}, revocation: "good"},
		{name: "tsa+ocsp", signer: f.mitra, opts: pdf.SignOptions{Reason: "Approval", Location: "Madrid", TSAURL: f.tsa, EmbedRevocation: true, Visible: true, Rect: [4]float64{60, 80, 260, 130}}, timestamp: true, revocation: "good"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := MustSign(t, in, tt.signer, tt.opts)
			if !bytes.HasPrefix(out, in) {
				t.Fatal("signed file does not start with the input: not an incremental update")
			}
			rep := MustVerify(t, out, f.verifyOp)
			if !rep.Valid {
				t.Fatalf("got invalid, want valid: %+v", rep)
			}
			if got, want := len(rep.Signatures), 1; got != want {
				t.Fatalf("got %d signatures, want %d", got, want)
			}
			s := rep.Signatures[0]
			if got, want := s.SignerName, tt.signer.Name+", "+tt.signer.Title; got != want {
				t.Errorf("got signer %q, want %q", got, want)
			}
			if got, want := s.Reason, tt.opts.Reason; got != want {
				t.Errorf("got reason %q, want %q", got, want)
			}
			if got := s.Timestamp != nil && s.Timestamp.Valid && s.Timestamp.Trusted; got != tt.timestamp {
				t.Errorf("got trusted timestamp %v, want %v (%+v)", got, tt.timestamp, s.Timestamp)
			}
			if !strings.HasPrefix(s.Revocation, tt.revocation) {
				t.Errorf("got revocation %q, want prefix %q", s.Revocation, tt.revocation)
			}
			ps := f.mustNSS(t).MustPdfsig(t, out)
			if testing.Verbose() {
				t.Logf("pdfsig:\n%s", ps.Output)
			}
			if !ps.AllGood(1) {
				t.Errorf("pdfsig: got not valid and trusted, want both:\n%s", ps.Output)
			}
		})
	}
}

func TestMain(m *testing.M) {
	code := m.Run()
	fixTB.close()
	os.Exit(code)
}

var _ = hex.EncodeToString
var _ = api.ReadContext
var _ = naskah.EINVALID
var _ = time.Now
