package pdf_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/bpom/naskah"
	"github.com/bpom/naskah/pipeline/pdf"
	"github.com/bpom/naskah/pipeline/pdf/pdftest"
)

// TestPdfsigInterop: a pdfsig signature on top of ours, and ours on top
// of a pdfsig one, verify in our Verify, pdfsig, pdfcpu and qpdf.
// pdfsig puts its field outside /AcroForm /Fields: Verify finds it
// through the page's /Annots.
func TestPdfsigInterop(t *testing.T) {
	f := mustFixture(t)
	ca := f.pki.CAPEM()
	db := pdftest.MustNSSDBFor(t, ca)
	// pdfsig 22.12 sizes its room by a dummy signature; an ECDSA one can
	// come out a byte shorter than the real one ("unable update
	// signature"), so its signer has an RSA key.
	partner := f.keySigner(t, pdftest.RSA4096)
	nick := db.MustImportSigner(t, partner)
	in := MustStampForSigning(t, pdftest.PDF(pdftest.Portrait))

	t.Run("pdfsig after ours", func(t *testing.T) {
		ours := MustSign(t, in, f.kepala, pdf.SignOptions{Reason: "Persetujuan", Roots: f.pki.Roots})
		both := db.MustPdfsigSign(t, ours, nick)
		v := pdftest.CheckSigned(t, both, ca, 2)
		if got := v.Ours.Signatures[1].SignerName; got != partner.Certificate.Subject.CommonName {
			t.Errorf("got second signer %q, want %q", got, partner.Certificate.Subject.CommonName)
		}
		// And ours again on top of both.
		three := MustSign(t, both, f.mitra, pdf.SignOptions{Reason: "Approval", Roots: f.pki.Roots})
		pdftest.CheckSigned(t, three, ca, 3)
	})
	t.Run("ours after pdfsig", func(t *testing.T) {
		theirs := db.MustPdfsigSign(t, in, nick)
		pdftest.CheckSigned(t, theirs, ca, 1)
		both := MustSign(t, theirs, f.kepala, pdf.SignOptions{Reason: "Persetujuan", Roots: f.pki.Roots})
		pdftest.CheckSigned(t, both, ca, 2)
	})
}

// formPDF is a one-page PDF with an AcroForm: a text field, and an empty
// signature field when withSig.
func formPDF(text, emptySig bool) []byte {
	var fields, annots []string
	objs := []string{
		"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [FIELDS] >> >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Annots [ANNOTS] >>",
		"<< /Length 0 >>\nstream\n\nendstream",
	}
	if text {
		objs = append(objs, "<< /Type /Annot /Subtype /Widget /FT /Tx /T (Nomor) /V (HK.01) /Rect [50 700 250 720] /P 3 0 R >>")
		fields, annots = append(fields, "5 0 R"), append(annots, "5 0 R")
	}
	if emptySig {
		n := len(objs) + 1
		objs = append(objs, "<< /Type /Annot /Subtype /Widget /FT /Sig /T (TTD Kepala) /Rect [50 100 250 160] /P 3 0 R /F 4 >>")
		ref := strconv.Itoa(n) + " 0 R"
		fields, annots = append(fields, ref), append(annots, ref)
	}
	objs[0] = strings.Replace(objs[0], "FIELDS", strings.Join(fields, " "), 1)
	objs[2] = strings.Replace(objs[2], "ANNOTS", strings.Join(annots, " "), 1)
	return pdftest.RawPDF(objs...)
}

// TestSignForm: pdfsign rewrites /AcroForm /Fields with only signature
// fields and always adds a new one, so a PDF with other form fields, or
// with an empty signature field (pdfsig would list it unsigned, pdfcpu
// fails on it), is refused rather than signed into a damaged form.
func TestSignForm(t *testing.T) {
	f := mustFixture(t)
	for _, tt := range []struct {
		name string
		in   []byte
		want string
	}{
		{"text field", formPDF(true, false), "form fields"},
		{"empty signature field", formPDF(false, true), "empty signature field"},
	} {
		_, err := pdf.Sign(context.Background(), tt.in, f.kepala, pdf.SignOptions{Roots: f.pki.Roots})
		if naskah.ErrorCode(err) != naskah.EINVALID || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: got %v, want EINVALID about %s", tt.name, err, tt.want)
		}
	}
}
