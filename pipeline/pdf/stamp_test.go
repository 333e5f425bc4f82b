package pdf_test

import (
	"context"
	"os"

	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bpom/naskah/pipeline/pdf"
	"github.com/bpom/naskah/pipeline/pdf/pdftest"
)

// stampCases are the three stamps applied to a document of portrait,
// landscape and rotated pages.
var stampCases = []struct {
	name  string
	stamp func(ctx context.Context, data []byte) ([]byte, error)
	want  []string // text pdftotext must find on every page
}{
	{"draft", func(ctx context.Context, data []byte) ([]byte, error) {
		return pdf.StampDraft(ctx, data, pdf.DraftMarks{Watermark: pdf.WatermarkFinalDraft, SOPCode: "SOP-KS-01", AgreementNumber: "HK.01.01/1/2026", Version: "3", Step: "Perumusan", Date: time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)})
	}, []string{"SOP-KS-01 | No. HK.01.01/1/2026 | Versi 3 | Tahap Perumusan | 5 Januari 2026"}},
	{"signing", func(ctx context.Context, data []byte) ([]byte, error) {
		return pdf.StampForSigning(ctx, data, pdf.SigningMarks{VerifyURL: "https://naskah.pom.go.id/v/9f2c1a7e", AgreementNumber: "HK.01.01/1/2026"})
	}, []string{"Halaman 2 dari 3", "No. HK.01.01/1/2026"}},
	{"copy", func(ctx context.Context, data []byte) ([]byte, error) {
		return pdf.StampUncontrolledCopy(ctx, data, pdf.CopyMarks{Who: "Siti Rahma (Biro HO)", When: time.Date(2026, 2, 3, 1, 30, 0, 0, time.UTC)})
	}, []string{pdf.UncontrolledCopyText, "Diunduh oleh Siti Rahma (Biro HO), 3 Februari 2026 08:30 WIB"}},
}

// TestStampRender stamps portrait, landscape and rotated pages and renders
// them with pdftoppm; set NASKAH_RENDER_DIR to keep the PNGs and look.
func TestStampRender(t *testing.T) {
	in := pdftest.PDF(pdftest.Portrait, pdftest.Landscape, pdftest.Rotated)
	dir := os.Getenv("NASKAH_RENDER_DIR")
	if dir == "" {
		dir = t.TempDir()
	}
	for _, tt := range stampCases {
		t.Run(tt.name, func(t *testing.T) {
			out, err := tt.stamp(context.Background(), in)
			if err != nil {
				t.Fatal(err)
			}
			file := filepath.Join(dir, tt.name+".pdf")
			if err := os.WriteFile(file, out, 0o644); err != nil {
				t.Fatal(err)
			}
			text := pdftest.MustText(t, file)
			for _, w := range tt.want {
				if !strings.Contains(text, w) {
					t.Errorf("pdftotext: %q not found in\n%s", w, text)
				}
			}
			pdftest.MustRender(t, file, filepath.Join(dir, tt.name))
		})
	}
}

// TestSignatureRender renders a stamped document signed by two officials
// with visible signatures (keep the PNGs with NASKAH_RENDER_DIR).
func TestSignatureRender(t *testing.T) {
	f := mustFixture(t)
	dir := os.Getenv("NASKAH_RENDER_DIR")
	if dir == "" {
		dir = t.TempDir()
	}
	in := MustStampForSigning(t, pdftest.PDF(pdftest.Page{Lines: 30}))
	one := MustSign(t, in, f.kepala, pdf.SignOptions{Reason: "Persetujuan", Visible: true, Rect: [4]float64{60, 90, 270, 140}})
	two := MustSign(t, one, f.mitra, pdf.SignOptions{Reason: "Approval", Visible: true, Rect: [4]float64{320, 90, 530, 140}})
	file := filepath.Join(dir, "signed.pdf")
	if err := os.WriteFile(file, two, 0o644); err != nil {
		t.Fatal(err)
	}
	pdftest.MustRender(t, file, filepath.Join(dir, "signed"))
}
