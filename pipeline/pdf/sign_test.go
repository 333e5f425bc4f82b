package pdf_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bpom/naskah"
	"github.com/bpom/naskah/pipeline/pdf"
	"github.com/bpom/naskah/pipeline/pdf/pdftest"
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
			if got, want := s.SignerName, tt.signer.Certificate.Subject.CommonName; got != want {
				t.Errorf("got signer %q, want %q", got, want)
			}
			if got, want := s.ClaimedName, tt.signer.Name+", "+tt.signer.Title; got != want {
				t.Errorf("got claimed name %q, want %q", got, want)
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

func TestTwoSigners(t *testing.T) {
	f := mustFixture(t)
	in := MustStampForSigning(t, pdftest.PDF(pdftest.Portrait, pdftest.Portrait))
	first := MustSign(t, in, f.kepala, pdf.SignOptions{Reason: "Persetujuan BPOM", Location: "Jakarta", Visible: true, Page: 2, Rect: [4]float64{60, 80, 260, 130}})
	second := MustSign(t, first, f.mitra, pdf.SignOptions{Reason: "Approval", Location: "Madrid", Visible: true, Page: 2, Rect: [4]float64{340, 80, 540, 130}, TSAURL: f.tsa, EmbedRevocation: true})
	if !bytes.HasPrefix(second, first) {
		t.Fatal("second signature rewrote the first: want an incremental update")
	}
	rep := MustVerify(t, second, f.verifyOp)
	if !rep.Valid {
		t.Fatalf("got invalid, want valid: %+v", rep)
	}
	if got, want := len(rep.Signatures), 2; got != want {
		t.Fatalf("got %d signatures, want %d", got, want)
	}
	if s := rep.Signatures[0]; s.CoversWholeFile || s.AppendedBytes != int64(len(second)-len(first))+1 && s.AppendedBytes != int64(len(second)-len(first)) {
		t.Errorf("first signature: got covers=%v appended=%d, want false and ~%d", s.CoversWholeFile, s.AppendedBytes, len(second)-len(first))
	}
	if s := rep.Signatures[1]; !s.CoversWholeFile || !strings.HasPrefix(s.SignerName, f.mitra.Name) {
		t.Errorf("second signature: got %q covers=%v, want %q covering the file", s.SignerName, s.CoversWholeFile, f.mitra.Name)
	}
	if ps := f.mustNSS(t).MustPdfsig(t, second); !ps.AllGood(2) {
		t.Errorf("pdfsig: got not all valid and trusted, want both:\n%s", ps.Output)
	}
}

// TestSignPadding signs a 170 KB file six times in sequence, which puts
// the end of each signed range at a different offset within the
// runtime's 8 KB page: each signature must leave room after the first
// signed range for the second (so that pdfsign's concatenation of the
// two does not reallocate; see signInput), some by padding the previous
// revision with whitespace, and the result must stay valid to Verify and
// pdfsig, and readable to pdfcpu.
func TestSignPadding(t *testing.T) {
	f := mustFixture(t)
	long := make([]pdftest.Page, 165)
	for i := range long {
		long[i] = pdftest.Portrait
	}
	doc := MustStampForSigning(t, pdftest.PDF(long...))
	byteRange := regexp.MustCompile(`/ByteRange \[0 (\d+) (\d+) (\d+)\]`)
	padded := 0
	for i := range 6 {
		opts := pdf.SignOptions{Reason: fmt.Sprintf("Persetujuan %d", i+1), Location: "Jakarta"}
		// One certificate per signature: pdfsig (NSS) reports a certificate
		// seen in an earlier signature of the file as "Unknown issue".
		ocspURL := ""
		if i >= 2 {
			ocspURL, opts.EmbedRevocation = f.ocsp, true
		}
		signer := f.pki.MustSigner(t, fmt.Sprintf("Pejabat %d", i+1), "Direktur", ocspURL)
		if i%2 == 1 {
			opts.Visible, opts.Rect = true, [4]float64{60, 80 + 60*float64(i), 260, 130 + 60*float64(i)}
		}
		if i >= 4 { // after a timestamped signature, only timestamped ones (TestSignAfterTimestamped)
			opts.TSAURL = f.tsa
		}
		out := MustSign(t, doc, signer, opts)
		if !bytes.HasPrefix(out, doc) {
			t.Fatalf("signature %d rewrote the file: want an incremental update", i+1)
		}
		if bytes.HasPrefix(out[len(doc):], []byte("  ")) {
			padded++
		}
		m := byteRange.FindAllSubmatch(out, -1)
		if len(m) != i+1 {
			t.Fatalf("signature %d: got %d byte ranges, want %d", i+1, len(m), i+1)
		}
		a, _ := strconv.Atoi(string(m[i][1]))
		c, _ := strconv.Atoi(string(m[i][3]))
		if spare := (8192 - a%8192) % 8192; spare < c {
			t.Errorf("signature %d: the first signed range ends %d bytes before an 8 KB boundary, the second is %d bytes: pdfsign's concatenation reallocates", i+1, spare, c)
		}
		doc = out
	}
	if padded == 0 {
		t.Error("no signature needed padding: the test no longer covers it")
	}
	if info, err := pdf.Inspect(context.Background(), doc, pdf.Limits{}); err != nil || info.Signatures != 6 {
		t.Fatalf("inspect: got %v, %+v; want 6 signatures", err, info)
	}
	if _, err := pdf.StampUncontrolledCopy(context.Background(), doc, pdf.CopyMarks{Who: "Auditor"}); err != nil {
		t.Fatalf("stamp a copy: %v", err)
	}
	rep := MustVerify(t, doc, f.verifyOp)
	if !rep.Valid || len(rep.Signatures) != 6 {
		t.Fatalf("got valid=%v with %d signatures, want valid with 6: %+v", rep.Valid, len(rep.Signatures), rep)
	}
	if ps := f.mustNSS(t).MustPdfsig(t, doc); !ps.AllGood(6) {
		t.Errorf("pdfsig: got not all valid and trusted, want all:\n%s", ps.Output)
	}
}

// TestSignAfterTimestamped: a timestamped signature leaves most of its
// room as zeros; pdfsign finds its placeholder by searching for a run of
// zeros, so a later, shorter placeholder would land in the earlier
// signature. signRoom makes the room longer than any zero run in the
// input, so signing without a timestamp after one with works, and so does
// signing with one.
func TestSignAfterTimestamped(t *testing.T) {
	f := mustFixture(t)
	in := MustStampForSigning(t, pdftest.PDF(pdftest.Portrait))
	first := MustSign(t, in, f.kepala, pdf.SignOptions{Reason: "Persetujuan", TSAURL: f.tsa})
	plain := MustSign(t, first, f.mitra, pdf.SignOptions{Reason: "Approval"})
	if rep := MustVerify(t, plain, f.verifyOp); !rep.Valid || len(rep.Signatures) != 2 {
		t.Fatalf("got valid=%v with %d signatures, want valid with 2: %+v", rep.Valid, len(rep.Signatures), rep)
	}
	second := MustSign(t, first, f.mitra, pdf.SignOptions{Reason: "Approval", TSAURL: f.tsa})
	if rep := MustVerify(t, second, f.verifyOp); !rep.Valid || len(rep.Signatures) != 2 {
		t.Fatalf("got valid=%v with %d signatures, want valid with 2: %+v", rep.Valid, len(rep.Signatures), rep)
	}
}

// TestTamper changes signed files in the ways an attacker or a careless
// pipeline would; both our Verify and pdfsig must reject each.
func TestTamper(t *testing.T) {
	f := mustFixture(t)
	signed := MustSign(t, MustStampForSigning(t, pdftest.PDF(pdftest.Portrait)), f.kepala, pdf.SignOptions{Reason: "Persetujuan"})
	tests := []struct {
		name   string
		tamper func(t *testing.T, b []byte) []byte
	}{
		{"byte flipped in signed range", func(t *testing.T, b []byte) []byte {
			b = bytes.Clone(b)
			b[len(b)/4] ^= 0x01
			return b
		}},
		{"incremental update appended", func(t *testing.T, b []byte) []byte { return pdftest.AppendUpdate(b) }},
		{"stamp applied after signing", func(t *testing.T, b []byte) []byte {
			out, err := pdf.StampUncontrolledCopy(context.Background(), b, pdf.CopyMarks{Who: "Penyusup", When: time.Now()})
			if err != nil {
				t.Fatal(err)
			}
			return out
		}},
		{"certificate swapped", func(t *testing.T, b []byte) []byte {
			forged := f.pki.Forge(t, f.kepala.Certificate)
			old := []byte(hex.EncodeToString(f.kepala.Certificate.Raw))
			if bytes.Count(b, old) != 1 {
				t.Fatalf("got %d copies of the certificate in the file, want 1", bytes.Count(b, old))
			}
			return bytes.Replace(b, old, []byte(hex.EncodeToString(forged.Raw)), 1)
		}},
	}
	if rep := MustVerify(t, signed, f.verifyOp); !rep.Valid {
		t.Fatalf("untampered: got invalid, want valid: %+v", rep)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bad := tt.tamper(t, signed)
			rep, err := pdf.Verify(context.Background(), bad, f.verifyOp)
			if err != nil {
				t.Fatalf("verify: got %v, want a report", err)
			}
			if rep.Valid {
				t.Errorf("verify: got valid, want invalid: %+v", rep)
			}
			if testing.Verbose() {
				t.Logf("problems: %q", rep.Problems)
				for _, s := range rep.Signatures {
					t.Logf("signature problems: %q (appended %d)", s.Problems, s.AppendedBytes)
				}
			}
			ps := f.mustNSS(t).MustPdfsig(t, bad)
			if ps.AllGood(1) {
				t.Errorf("pdfsig: got valid, trusted and whole, want not:\n%s", ps.Output)
			}
		})
	}
}

func TestVerifyUntrustedRoots(t *testing.T) {
	f := mustFixture(t)
	signed := MustSign(t, pdftest.PDF(), f.kepala, pdf.SignOptions{})
	other := pdftest.MustPKI(t)
	for _, tt := range []struct {
		name string
		opts pdf.VerifyOptions
	}{
		{"no roots", pdf.VerifyOptions{}},
		{"another CA", pdf.VerifyOptions{Roots: other.Roots}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rep := MustVerify(t, signed, tt.opts)
			if rep.Valid || rep.Signatures[0].Trusted || !rep.Signatures[0].DigestIntact {
				t.Errorf("got valid=%v trusted=%v intact=%v, want false, false, true", rep.Valid, rep.Signatures[0].Trusted, rep.Signatures[0].DigestIntact)
			}
		})
	}
}

func TestVerifyUnsigned(t *testing.T) {
	rep := MustVerify(t, pdftest.PDF(), pdf.VerifyOptions{})
	if rep.Valid || len(rep.Problems) == 0 {
		t.Errorf("got valid=%v problems=%q, want invalid with a problem", rep.Valid, rep.Problems)
	}
}

func TestSignErrors(t *testing.T) {
	f := mustFixture(t)
	in := pdftest.PDF()
	expired := *f.kepala
	expiredCert := *f.kepala.Certificate
	expiredCert.NotAfter = time.Now().Add(-time.Hour)
	expired.Certificate = &expiredCert
	revoked := f.pki.MustSigner(t, "Revoked Official", "Kepala", f.ocsp)
	f.pki.Revoke(revoked.Certificate, time.Now().Add(-time.Hour))
	tests := []struct {
		name   string
		data   []byte
		signer *pdf.Signer
		opts   pdf.SignOptions
		code   string
	}{
		{"no signer", in, nil, pdf.SignOptions{}, naskah.EINVALID},
		{"not a pdf", []byte("hello"), f.kepala, pdf.SignOptions{}, naskah.EINVALID},
		{"broken pdf", in[:len(in)/2], f.kepala, pdf.SignOptions{}, naskah.EINVALID},
		{"expired certificate", in, &expired, pdf.SignOptions{}, naskah.EFORBIDDEN},
		{"revoked certificate", in, revoked, pdf.SignOptions{EmbedRevocation: true}, naskah.EFORBIDDEN},
		{"tsa down", in, f.kepala, pdf.SignOptions{TSAURL: "http://127.0.0.1:1/tsa"}, naskah.EUNAVAILABLE},
		{"tsa hangs", in, f.kepala, pdf.SignOptions{TSAURL: hangingServer(t), Timeout: 300 * time.Millisecond}, naskah.EUNAVAILABLE},
		{"empty visible box", in, f.kepala, pdf.SignOptions{Visible: true}, naskah.EINVALID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := pdf.Sign(context.Background(), tt.data, tt.signer, tt.opts)
			if got := naskah.ErrorCode(err); got != tt.code {
				t.Errorf("got %q (%v), want %q", got, err, tt.code)
			}
		})
	}
}

// hangingServer accepts requests and never answers until the test ends.
func hangingServer(t *testing.T) string {
	done := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-done:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(done); srv.Close() })
	return srv.URL
}

func TestLoadPKCS12(t *testing.T) {
	dir := t.TempDir()
	pki, err := pdf.GenerateDevPKI(dir, nil, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(pki.Keystores), 4; got != want {
		t.Fatalf("got %d keystores, want %d", got, want)
	}
	caPEM, err := os.ReadFile(pki.CACert)
	if err != nil {
		t.Fatal(err)
	}
	roots, err := pdf.LoadRoots(caPEM)
	if err != nil {
		t.Fatal(err)
	}
	doc := pdftest.PDF()
	for _, ks := range pki.Keystores {
		t.Run(ks.Official.ID, func(t *testing.T) {
			p12, err := os.ReadFile(ks.Path)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := pdf.LoadPKCS12(p12, "wrong"); naskah.ErrorCode(err) != naskah.EFORBIDDEN || strings.Contains(err.Error(), ks.Passphrase) {
				t.Errorf("wrong passphrase: got %v, want forbidden without the passphrase", err)
			}
			s, err := pdf.LoadPKCS12(p12, ks.Passphrase)
			if err != nil {
				t.Fatal(err)
			}
			if s.Name != ks.Official.Name || s.Title != ks.Official.Title {
				t.Errorf("got %q/%q, want %q/%q", s.Name, s.Title, ks.Official.Name, ks.Official.Title)
			}
			rep := MustVerify(t, MustSign(t, doc, s, pdf.SignOptions{Reason: "uji"}), pdf.VerifyOptions{Roots: roots})
			if !rep.Valid {
				t.Errorf("got invalid, want valid: %+v", rep)
			}
		})
	}
	if _, err := pdf.LoadPKCS12([]byte("junk"), "x"); naskah.ErrorCode(err) != naskah.EINVALID {
		t.Errorf("junk keystore: got %v, want invalid", err)
	}
}

func TestMain(m *testing.M) {
	code := m.Run()
	fixTB.close()
	os.Exit(code)
}
