package pdf_test

import (
	"bytes"
	"compress/zlib"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/bpom/naskah"
	"github.com/bpom/naskah/pipeline/pdf"
	"github.com/bpom/naskah/pipeline/pdf/pdftest"
)

// bigContent is a one-page PDF whose page has n content streams that
// each inflate to mb MiB of spaces, padded with an uncompressed stream
// of padMB MiB (so the file is as large as a real upload).
func bigContent(n, mb, padMB int) []byte {
	var z bytes.Buffer
	w, _ := zlib.NewWriterLevel(&z, zlib.BestCompression)
	chunk := bytes.Repeat([]byte{' '}, 1<<20)
	for i := 0; i < mb; i++ {
		w.Write(chunk)
	}
	w.Close()
	var buf bytes.Buffer
	var offs []int
	obj := func(s string) {
		offs = append(offs, buf.Len())
		fmt.Fprintf(&buf, "%d 0 obj\n%s\nendobj\n", len(offs), s)
	}
	buf.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	obj("<< /Type /Catalog /Pages 2 0 R >>")
	obj("<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
	var refs []string
	for i := 0; i < n; i++ {
		refs = append(refs, fmt.Sprintf("%d 0 R", 5+i))
	}
	obj("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents [" + strings.Join(refs, " ") + "] /Resources << /Font << /F1 4 0 R >> >> >>")
	obj("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
	for i := 0; i < n; i++ {
		offs = append(offs, buf.Len())
		fmt.Fprintf(&buf, "%d 0 obj\n<< /Length %d /Filter /FlateDecode >>\nstream\n", len(offs), z.Len())
		buf.Write(z.Bytes())
		buf.WriteString("\nendstream\nendobj\n")
	}
	if padMB > 0 {
		pad := make([]byte, padMB<<20)
		for i := range pad {
			pad[i] = byte(i*7919>>3 ^ i>>11)
		}
		offs = append(offs, buf.Len())
		fmt.Fprintf(&buf, "%d 0 obj\n<< /Length %d >>\nstream\n", len(offs), len(pad))
		buf.Write(pad)
		buf.WriteString("\nendstream\nendobj\n")
	}
	x := buf.Len()
	fmt.Fprintf(&buf, "xref\n0 %d\n0000000000 65535 f \n", len(offs)+1)
	for _, o := range offs {
		fmt.Fprintf(&buf, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&buf, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(offs)+1, x)
	return buf.Bytes()
}

// pdfcpuPaths are the entry points that hand a file to pdfcpu.
var pdfcpuPaths = []struct {
	name string
	run  func(ctx context.Context, b []byte) ([]byte, error)
}{
	{"inspect", func(ctx context.Context, b []byte) ([]byte, error) {
		_, err := pdf.Inspect(ctx, b, pdf.Limits{MaxBytes: 50 << 20})
		return nil, err
	}},
	{"stamp draft", func(ctx context.Context, b []byte) ([]byte, error) {
		return pdf.StampDraft(ctx, b, pdf.DraftMarks{Watermark: pdf.WatermarkDraft, Version: "1"})
	}},
	{"stamp for signing", func(ctx context.Context, b []byte) ([]byte, error) {
		return pdf.StampForSigning(ctx, b, pdf.SigningMarks{VerifyURL: "http://127.0.0.1/v/1", AgreementNumber: "1"})
	}},
	{"copy", func(ctx context.Context, b []byte) ([]byte, error) {
		return pdf.StampUncontrolledCopy(ctx, b, pdf.CopyMarks{Who: "Uji"})
	}},
}

// TestPdfcpuBudget: a small file whose content inflates past what pdfcpu
// can stamp within the memory goal is refused by every path that hands it
// to pdfcpu, up front and cheaply; a file at the limits (the largest
// content stream, the most content together, in a 30 MB file) is stamped
// within the goal, and its stamped output passes every path too. Print
// the numbers with
//
//	go test -count=1 -run TestPdfcpuBudget -v ./pipeline/pdf/
func TestPdfcpuBudget(t *testing.T) {
	if testing.Short() {
		t.Skip("budget: skipped with -short")
	}
	for _, c := range []struct {
		name     string
		data     []byte
		refused  bool
		wantSize string
	}{
		{"one 120 MB content stream in 120 KB", bigContent(1, 120, 0), true, "120.0 MB"},
		{"five 23 MB content streams", bigContent(5, 23, 0), true, "115.0 MB"},
		{"four 23 MB content streams in 30 MB (accepted)", bigContent(4, 23, 30), false, ""},
	} {
		data := c.data
		for _, ep := range pdfcpuPaths {
			var out []byte
			var err error
			u := pdftest.Measure(func() {
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				defer cancel()
				out, err = ep.run(ctx, data)
			})
			t.Logf("%-48s %6.1f MB  %-18s %s  %v", c.name, float64(len(data))/(1<<20), ep.name, u, naskah.ErrorCode(err))
			if u.PeakHeap > heapGoal {
				t.Errorf("%s through %s: got %.0f MB peak heap, want < %d MB", c.name, ep.name, float64(u.PeakHeap)/(1<<20), heapGoal>>20)
			}
			switch {
			case c.refused && (naskah.ErrorCode(err) != naskah.ETOOLARGE || !strings.Contains(naskah.ErrorMessage(err), " — ") || !strings.Contains(naskah.ErrorMessage(err), c.wantSize)):
				t.Errorf("%s through %s: got %v, want ETOOLARGE naming %s, Indonesian — English", c.name, ep.name, err, c.wantSize)
			case !c.refused && err != nil:
				t.Errorf("%s through %s: got %v, want it processed", c.name, ep.name, err)
			case !c.refused && out != nil:
				// What we wrote passes every path again, within the goal.
				for _, again := range pdfcpuPaths {
					var err error
					u := pdftest.Measure(func() { _, err = again.run(context.Background(), out) })
					if err != nil || u.PeakHeap > heapGoal {
						t.Errorf("%s, output of %s, through %s: got %v, %s, want it processed within %d MB", c.name, ep.name, again.name, err, u, heapGoal>>20)
					}
				}
			}
		}
	}
}
