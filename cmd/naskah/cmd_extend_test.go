package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bpom/naskah/pipeline/pdf"
	"github.com/bpom/naskah/pipeline/pdf/pdftest"
)

// TestExtendCommand: naskah extend raises a B-T signature to B-LT and
// B-LTA, and gives a signature made by another tool (pdfsig
// -add-signature, adbe.pkcs7.detached) a DSS and a document timestamp;
// the results verify (also a year after the signer's certificate
// expired, for B-LTA) and pass qpdf and pdfsig. A file whose signature
// is broken is refused.
func TestExtendCommand(t *testing.T) {
	pki := pdftest.MustPKI(t)
	ocsp := pki.MustOCSP(t)
	tsa := pki.MustTSAWithOCSP(t, ocsp)
	signer := pki.MustSignerWith(t, "Pejabat Mitra", "Direktur", pdftest.CertOpts{Key: pdftest.P256, OCSPURL: ocsp})
	dir := t.TempDir()
	roots := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(roots, pki.CAPEM(), 0o644); err != nil {
		t.Fatal(err)
	}
	bt, err := pdf.Sign(context.Background(), pdftest.PDF(), signer, pdf.SignOptions{Level: pdf.LevelBT, TSAURL: tsa, Roots: pki.Roots})
	if err != nil {
		t.Fatal(err)
	}
	db := pdftest.MustNSSDBFor(t, pki.CAPEM())
	// pdfsig sizes its room by a dummy signature, which an ECDSA key can
	// outgrow by a byte ("unable update signature"): its signer is RSA.
	partner := pki.MustSignerWith(t, "Partner Director", "Director", pdftest.CertOpts{Key: pdftest.RSA2048, OCSPURL: ocsp})
	theirs := db.MustPdfsigSign(t, pdftest.PDF(), db.MustImportSigner(t, partner))
	broken := append([]byte{}, bt...)
	broken[10] ^= 1
	files := map[string][]byte{"bt.pdf": bt, "theirs.pdf": theirs, "broken.pdf": broken}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	later := signer.Certificate.NotAfter.AddDate(1, 0, 0).Format("2006-01-02")
	for _, tt := range []struct {
		name, in, level string
		code            int
		verify          string // in the verify output of the result
		at              string
	}{
		{"B-T to B-LT", "bt.pdf", "B-LT", 0, "PAdES level:  B-LT", ""},
		{"B-T to B-LTA", "bt.pdf", "B-LTA", 0, "PAdES level:  B-LTA", ""},
		{"B-LTA after expiry", "bt.pdf", "B-LTA", 0, "PAdES level:  B-LTA", later},
		{"pdfsig's signature to B-LTA", "theirs.pdf", "B-LTA", 0, "indication:   TOTAL_PASSED", ""},
		{"broken signature", "broken.pdf", "B-LTA", 1, "", ""},
		{"not a long-term level", "bt.pdf", "B-T", 2, "", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out.pdf")
			code, stdout, stderr := runPDF(t, "extend", "--level", tt.level, "--tsa", tsa, "--roots", roots, "-o", out, filepath.Join(dir, tt.in))
			if code != tt.code {
				t.Fatalf("extend: got exit %d (%s %s), want %d", code, stdout, stderr, tt.code)
			}
			if code != 0 {
				return
			}
			args := []string{"verify", "--roots", roots, out}
			if tt.at != "" {
				args = append(args, "--at", tt.at)
			}
			code, stdout, stderr = runPDF(t, args...)
			if code != 0 || !strings.Contains(stdout, tt.verify) || !strings.Contains(stdout, "VALID") {
				t.Errorf("verify: got exit %d, %q %q; want 0 with %q", code, stdout, stderr, tt.verify)
			}
			data, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			if q := pdftest.MustQpdfCheck(t, data); q != "" {
				t.Errorf("qpdf --check: %s", q)
			}
			if r := db.MustPdfsig(t, data); r.Valid != 1 || r.Trusted != 1 {
				t.Errorf("pdfsig: %d valid, %d trusted, want 1:\n%s", r.Valid, r.Trusted, r.Output)
			}
		})
	}
}
