package pdf_test

import (
	"bytes"

	"context"
	pdfreader "github.com/digitorus/pdf"
	"testing"

	"github.com/bpom/naskah/pipeline/pdf"
	"github.com/bpom/naskah/pipeline/pdf/pdftest"
)

// TestStampTakesSignatureFields: the stamp of the text to sign takes the
// empty signature fields out and returns their places; two visible
// signatures then go there and the file checks in every tool.
func TestStampTakesSignatureFields(t *testing.T) {
	f := mustFixture(t)
	in := pdftest.RawPDF(
		"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [5 0 R 6 0 R] >> >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Annots [5 0 R 6 0 R] >>",
		"<< /Length 0 >>\nstream\n\nendstream",
		"<< /Type /Annot /Subtype /Widget /FT /Sig /T (TTD Kepala) /Rect [250 160 50 100] /P 3 0 R /F 4 >>",
		"<< /Type /Annot /Subtype /Widget /FT /Sig /T (TTD Mitra) /Rect [300 100 540 200] /P 3 0 R /F 4 >>",
	)
	out, _, places, err := pdf.StampForSigningPlaces(context.Background(), in, pdf.SigningMarks{VerifyURL: "https://naskah.pom.go.id/verify/X"})
	if err != nil {
		t.Fatal(err)
	}
	if len(places) != 2 || places[0].Name != "TTD Kepala" || places[0].Page != 1 || places[0].Rect != [4]float64{50, 100, 250, 160} ||
		places[1].Name != "TTD Mitra" || places[1].Rect != [4]float64{300, 100, 540, 200} {
		t.Fatalf("places: got %+v", places)
	}
	data := out
	for i, s := range []*pdf.Signer{f.kepala, f.mitra} {
		p := places[i]
		data = MustSign(t, data, s, pdf.SignOptions{Visible: true, Page: 1, Appearance: &pdf.Appearance{Index: i, Place: &p}})
	}
	rep := MustVerify(t, data, f.verifyOp)
	if !rep.Valid || len(rep.Signatures) != 2 {
		t.Fatalf("verify: valid=%v with %d signatures: %s", rep.Valid, len(rep.Signatures), reportProblems(rep))
	}
	if ps := f.mustNSS(t).MustPdfsig(t, data); !ps.AllGood(2) {
		t.Errorf("pdfsig:\n%s", ps.Output)
	}
	mustQpdfCheck(t, data)
	pdftest.CheckSigned(t, data, f.pki.CAPEM(), 2)
	// The two signatures sit where the empty fields were.
	rdr, err := pdfreader.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var got [][4]float64
	annots := rdr.Page(1).V.Key("Annots")
	for i := 0; i < annots.Len(); i++ {
		a := annots.Index(i)
		if a.Key("Subtype").Name() != "Widget" || a.Key("V").IsNull() {
			continue
		}
		r := a.Key("Rect")
		got = append(got, [4]float64{r.Index(0).Float64(), r.Index(1).Float64(), r.Index(2).Float64(), r.Index(3).Float64()})
	}
	if len(got) != 2 {
		t.Fatalf("signed widgets on page 1: got %v, want 2", got)
	}
	for i, r := range got {
		w := places[i].Rect
		for j := range r {
			if d := r[j] - w[j]; d > 1 || d < -1 {
				t.Errorf("signature %d: widget rect %v, want the field's place %v", i+1, r, w)
				break
			}
		}
	}
}
