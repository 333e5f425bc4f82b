package pdf_test

import (
	"bytes"
	"crypto"
	"fmt"
	"log"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/bpom/naskah/pipeline/pdf"
	"github.com/bpom/naskah/pipeline/pdf/pdftest"
)

var (
	keySignersMu sync.Mutex
	keySigners   = map[pdftest.KeyType]*pdf.Signer{}
)

// keySigner returns the fixture's signer with a key of type k (its
// certificate names the OCSP responder, for the revocation cases).
func (f *fixture) keySigner(tb testing.TB, k pdftest.KeyType) *pdf.Signer {
	keySignersMu.Lock()
	defer keySignersMu.Unlock()
	if s, ok := keySigners[k]; ok {
		return s
	}
	s := f.pki.MustSignerWith(fixTB, "Pejabat "+strings.ToUpper(string(k)), "Direktur", pdftest.CertOpts{Key: k, OCSPURL: f.ocsp, SerialNumber: "3171012345678901"})
	keySigners[k] = s
	return s
}

// captureLog collects what pdfsign writes through the standard log
// package during the test: "Signature too long" means its retry path ran.
func captureLog(t *testing.T) *bytes.Buffer {
	var buf bytes.Buffer
	log.SetOutput(&buf)
	t.Cleanup(func() { log.SetOutput(os.Stderr) })
	return &buf
}

// room returns the /Contents room of the last signature and the size of
// its signature value, in bytes.
func room(t *testing.T, data []byte) (room, used int) {
	t.Helper()
	i := bytes.LastIndex(data, []byte("/Contents<"))
	j := bytes.IndexByte(data[i:], '>')
	hex := data[i+len("/Contents<") : i+j]
	used = len(bytes.TrimRight(hex, "0"))
	return len(hex) / 2, (used + 1) / 2
}

// TestEveryKey signs with every common key type and digest, alone and all
// in sequence on one file, with and without a timestamp and embedded
// revocation data. Every file passes qpdf, pdfsig, pdfcpu and our Verify;
// pdfsign's retry path never runs.
func TestEveryKey(t *testing.T) {
	f := mustFixture(t)
	logs := captureLog(t)
	ca := f.pki.CAPEM()
	in := MustStampForSigning(t, pdftest.PDF(pdftest.Portrait, pdftest.Landscape))
	for _, extra := range []struct {
		name string
		opts pdf.SignOptions
	}{
		{"plain", pdf.SignOptions{}},
		{"tsa+revocation", pdf.SignOptions{TSAURL: f.tsa, EmbedRevocation: true, Level: pdf.LevelBT}},
	} {
		t.Run(extra.name, func(t *testing.T) {
			for _, k := range pdftest.KeyTypes {
				for _, d := range []crypto.Hash{0, crypto.SHA256, crypto.SHA384, crypto.SHA512} {
					if extra.name != "plain" && d != 0 {
						continue // the digests are covered plain; keep the TSA runs short
					}
					name := "default"
					if d != 0 {
						name = d.String()
					}
					t.Run(string(k)+"/"+name, func(t *testing.T) {
						opts := extra.opts
						opts.Reason, opts.Digest, opts.Roots = "Persetujuan", d, f.pki.Roots
						out := MustSign(t, in, f.keySigner(t, k), opts)
						r, u := room(t, out)
						t.Logf("%s %s %s: room %d bytes, signature %d bytes", k, name, extra.name, r, u)
						pdftest.CheckSigned(t, out, ca, 1)
					})
				}
			}
			t.Run("sequence", func(t *testing.T) {
				out := in
				var other []byte
				for i, k := range []pdftest.KeyType{pdftest.P256, pdftest.RSA4096, pdftest.P384, pdftest.RSA2048, pdftest.RSA3072} {
					opts := extra.opts
					opts.Reason, opts.Roots = fmt.Sprintf("Persetujuan %d", i+1), f.pki.Roots
					if extra.name == "plain" {
						// Visible boxes side by side: pdfsign also rewrites the page.
						opts.Visible, opts.Page = true, 1
						opts.Rect = [4]float64{40 + float64(i)*105, 60, 140 + float64(i)*105, 110}
					}
					if i == 0 {
						other = MustSign(t, in, f.keySigner(t, pdftest.RSA4096), opts)
					}
					out = MustSign(t, out, f.keySigner(t, k), opts)
					pdftest.CheckSigned(t, out, ca, i+1)
				}
				rep := MustVerify(t, out, f.verifyOp)
				for i, s := range rep.Signatures {
					if s.SignerSerialNumber != "3171012345678901" || s.SignerOrganization == "" {
						t.Errorf("signature %d: got serial %q, organisation %q, want the NIK and BPOM", i+1, s.SignerSerialNumber, s.SignerOrganization)
					}
				}
				pdftest.CheckTampered(t, out, other, ca)
			})
		})
	}
	if strings.Contains(logs.String(), "Signature too long") {
		t.Errorf("pdfsign retried with a larger room:\n%s", logs)
	}
}

// TestSignLargeTimestamp: a TSA whose tokens outgrow the room kept for
// them makes the CMS too large for its placeholder; Sign drops that
// attempt, signs afresh with room for the token, and the file passes
// every checker. pdfsign never calls the TSA itself (cades.go), so its
// own retry never runs.
func TestSignLargeTimestamp(t *testing.T) {
	f := mustFixture(t)
	logs := captureLog(t)
	tsa := f.pki.MustBigTSA(t, 12000)
	out := MustSign(t, pdftest.PDF(), f.kepala, pdf.SignOptions{TSAURL: tsa, Roots: f.pki.Roots, Level: pdf.LevelBT})
	if strings.Contains(logs.String(), "Signature too long") {
		t.Errorf("pdfsign retried:\n%s", logs)
	}
	r, u := room(t, out)
	t.Logf("token padded by 12000 bytes: room %d bytes, signature %d bytes", r, u)
	if u < 12000 || r < u {
		t.Errorf("got room %d bytes for a %d-byte signature, want a signature with the 12000-byte token inside its room", r, u)
	}
	v := pdftest.CheckSigned(t, out, f.pki.CAPEM(), 1)
	if got := v.Ours.Signatures[0].Level; got != pdf.LevelBT {
		t.Errorf("got level %q, want B-T", got)
	}
}
