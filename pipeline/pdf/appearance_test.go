package pdf_test

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bpom/naskah"
	"github.com/bpom/naskah/pipeline/pdf"
	"github.com/bpom/naskah/pipeline/pdf/pdftest"
	"github.com/skip2/go-qrcode"
)

var boxPages = []struct {
	name string
	size pdf.PageSize
	fits int // boxes the page holds at least
}{
	{"A4 portrait", pdf.PageSize{Width: pdftest.A4Width, Height: pdftest.A4Height}, 8},
	{"A4 landscape", pdf.PageSize{Width: pdftest.A4Height, Height: pdftest.A4Width}, 8},
	{"Letter", pdf.PageSize{Width: 612, Height: 792}, 8},
	{"A6 portrait", pdf.PageSize{Width: 297.64, Height: 419.53}, 8},
	{"narrow", pdf.PageSize{Width: 250, Height: 600}, 4},
}

// TestSignatureBox lays out 1..8 boxes on each page: every box inside the
// page margins and above the footer, none overlapping, and a box's place
// the same whatever the number of signers.
func TestSignatureBox(t *testing.T) {
	for _, p := range boxPages {
		t.Run(p.name, func(t *testing.T) {
			for total := 1; total <= p.fits; total++ {
				var boxes []pdf.Rect
				for i := 0; i < total; i++ {
					r, err := pdf.SignatureBox(p.size, i)
					if err != nil {
						t.Fatalf("box %d of %d: %v", i+1, total, err)
					}
					if r[0] < 10 || r[1] < 72 || r[2] > p.size.Width-10 || r[3] > p.size.Height-10 {
						t.Errorf("box %d of %d: got %v, want inside the page %v with margins", i+1, total, r, p.size)
					}
					if w, h := r[2]-r[0], r[3]-r[1]; w < 90 || h < 36 {
						t.Errorf("box %d: got %.0f×%.0f pt, want at least 90×36", i+1, w, h)
					}
					for j, o := range boxes {
						if overlap(r, o) {
							t.Errorf("box %d %v overlaps box %d %v", i+1, r, j+1, o)
						}
					}
					boxes = append(boxes, r)
				}
			}
		})
	}
	// Full page: a clear refusal, never a box off the page.
	a4 := boxPages[0].size
	n := 0
	for ; ; n++ {
		if _, err := pdf.SignatureBox(a4, n); err != nil {
			if naskah.ErrorCode(err) != naskah.EINVALID || !strings.Contains(err.Error(), " — ") {
				t.Errorf("got %v, want EINVALID in Indonesian and English", err)
			}
			break
		}
		if n > 100 {
			t.Fatal("A4 takes more than 100 boxes: the layout does not stop at the page top")
		}
	}
	t.Logf("A4 portrait holds %d boxes", n)
	if _, err := pdf.SignatureBox(pdf.PageSize{Width: 100, Height: 100}, 0); naskah.ErrorCode(err) != naskah.EINVALID {
		t.Errorf("tiny page: got %v, want EINVALID", err)
	}
}

func overlap(a, b pdf.Rect) bool {
	return a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3]
}

// TestRenderSignatureBox checks the image: its size, its QR code module
// by module, and that text was drawn in the text area.
func TestRenderSignatureBox(t *testing.T) {
	url := "https://naskah.pom.go.id/verify/01JABCDEFGHJKMNPQRSTVWXYZ0"
	c := pdf.BoxContent{Name: "Dr. Taruna Ikrar", Title: "Kepala Badan Pengawas Obat dan Makanan", Organization: "Badan Pengawas Obat dan Makanan",
		When: time.Date(2026, 12, 1, 7, 5, 0, 0, time.UTC), QRURL: url, English: true}
	b, err := pdf.RenderSignatureBox(c, 230, 92)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("box PNG: %d bytes", len(b))
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := img.Bounds().Size(), image.Pt(690, 276); got != want {
		t.Fatalf("got %v px, want %v (3 px per pt)", got, want)
	}
	// The QR code: a square on the left, 15 px of padding; each module's
	// centre must match the code of the URL.
	q, _ := qrcode.New(url, qrcode.Medium)
	q.DisableBorder = true
	bm := q.Bitmap()
	side, n := 276-2*15, len(bm)
	m := side / n
	off := 15 + (side-m*n)/2
	for y, row := range bm {
		for x, dark := range row {
			if got := isDark(img.At(off+x*m+m/2, off+y*m+m/2)); got != dark {
				t.Fatalf("QR module (%d,%d): got dark=%v, want %v", x, y, got, dark)
			}
		}
	}
	// Text: ink in the area right of the QR code, none outside the box.
	if ink := darkPixels(img, image.Rect(276, 15, 690-15, 276-15)); ink < 2000 {
		t.Errorf("text area: got %d dark pixels, want text", ink)
	}
	if got, want := pdf.WIBTime(c.When), "1 Desember 2026 14:05 WIB"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestRenderLongText: a name and title longer than the box are shrunk and
// cut, never drawn past the border.
func TestRenderLongText(t *testing.T) {
	long := strings.Repeat("Prof. Dr. apt. Nama Yang Sangat Panjang Sekali ", 4)
	c := pdf.BoxContent{Name: long, Title: long, Organization: long, When: time.Now(), QRURL: "https://x.test/verify/1"}
	for _, size := range [][2]float64{{230, 92}, {115, 46}, {200, 92}} {
		b, err := pdf.RenderSignatureBox(c, size[0], size[1])
		if err != nil {
			t.Fatal(err)
		}
		img, _ := png.Decode(bytes.NewReader(b))
		W, H := img.Bounds().Dx(), img.Bounds().Dy()
		// Inside the border there is padding (5 pt at full scale): the
		// text must leave at least 2 px of it clear on the right.
		bw := max(1, int(0.8*size[0]/230*3+0.5))
		if ink := darkPixels(img, image.Rect(W-bw-2, bw, W-bw, H-bw)); ink > 0 {
			t.Errorf("%v: got %d dark pixels at the right edge inside the border, want none (text overflows)", size, ink)
		}
	}
}

func isDark(c color.Color) bool {
	r, g, b, _ := c.RGBA()
	return (r+g+b)/3 < 0x8000
}

func darkPixels(img image.Image, r image.Rectangle) int {
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if isDark(img.At(x, y)) {
				n++
			}
		}
	}
	return n
}

func TestCheckSpecimen(t *testing.T) {
	good := specimenPNG(t, 400, 200)
	if err := pdf.CheckSpecimen(good); err != nil {
		t.Errorf("400×200 PNG: got %v, want ok", err)
	}
	if err := pdf.CheckSpecimen(pdftest.JPEG(300, 300, 1)); err != nil {
		t.Errorf("JPEG: got %v, want ok", err)
	}
	for name, b := range map[string][]byte{
		"not an image": []byte("GIF89a not really"),
		"too large":    bytes.Repeat([]byte{0}, 2<<20),
		"huge canvas":  specimenPNG(t, 3000, 10),
		"truncated":    good[:40],
	} {
		if err := pdf.CheckSpecimen(b); naskah.ErrorCode(err) != naskah.EINVALID {
			t.Errorf("%s: got %v, want EINVALID", name, err)
		}
	}
}

// specimenPNG draws a red seal-like ring on a transparent background.
func specimenPNG(tb testing.TB, w, h int) []byte {
	tb.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	cx, cy, r := w/2, h/2, min(w, h)/2-2
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			d2 := (x-cx)*(x-cx) + (y-cy)*(y-cy)
			if d2 < r*r && d2 > (r-r/8)*(r-r/8) || (y-cy)*(y-cy) < r*r/64 && (x-cx)*(x-cx) < r*r/2 {
				img.SetNRGBA(x, y, color.NRGBA{0xc0, 0x10, 0x10, 0xff})
			}
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

var rectRE = regexp.MustCompile(`/Rect \[([-0-9.]+) ([-0-9.]+) ([-0-9.]+) ([-0-9.]+)\]`)

// TestVisibleSignaturesInSequence signs 1, 3 and 6 visible signatures in
// sequence on portrait, landscape and rotated pages: each result verifies
// with our Verify, pdfsig and qpdf, and no two boxes overlap or leave the
// page. With NASKAH_RENDER_DIR set, the pages are rendered there.
func TestVisibleSignaturesInSequence(t *testing.T) {
	f := mustFixture(t)
	signers := []*pdf.Signer{f.kepala, f.mitra,
		f.pki.MustSigner(t, "Rina Kartika", "Pejabat Pimpinan Tinggi Madya", ""),
		f.pki.MustSigner(t, "Prof. Dr. apt. Bambang Wisnu Murti Adiningrat, M.Sc., Ph.D.", "Kepala Pusat Pengembangan Pengujian Obat dan Makanan Nasional", ""),
		f.pki.MustSigner(t, "Budi Santoso", "Kepala Balai Besar POM di Bandung", ""),
		f.pki.MustSigner(t, "Siti Rahmawati", "Direktur Standardisasi Pangan Olahan", ""),
	}
	specimen := specimenPNG(t, 600, 300)
	// pdfcpu's stamp turns a /Rotate 90 page into a landscape one, so the
	// rotated page is signed unstamped, keeping its /Rotate.
	pages := []struct {
		name string
		in   []byte
	}{
		{"portrait", MustStampForSigning(t, pdftest.PDF(pdftest.Portrait))},
		{"landscape", MustStampForSigning(t, pdftest.PDF(pdftest.Landscape))},
		{"rotated", pdftest.PDF(pdftest.Rotated)},
		{"A6", MustStampForSigning(t, pdftest.PDF(pdftest.Page{Width: 297.64, Height: 419.53, Lines: 12}))},
	}
	for _, p := range pages {
		for _, count := range []int{1, 3, 6} {
			t.Run(fmt.Sprintf("%s/%d", p.name, count), func(t *testing.T) {
				data := p.in
				box, _, _, err := pdf.ReadPageGeometry(data, 1)
				if err != nil {
					t.Fatal(err)
				}
				for i := 0; i < count; i++ {
					a := &pdf.Appearance{Index: i, QRURL: "https://naskah.pom.go.id/verify/01JABCDEFGHJKMNPQRSTVWXYZ0", English: i%2 == 1}
					if i%3 == 0 {
						a.Specimen = specimen
					}
					before := len(data)
					data = MustSign(t, data, signers[i], pdf.SignOptions{Reason: "Persetujuan", Visible: true, Page: 1, Appearance: a})
					if i == 0 {
						t.Logf("one visible signature adds %d bytes", len(data)-before)
					}
				}
				rep := MustVerify(t, data, f.verifyOp)
				if !rep.Valid || len(rep.Signatures) != count {
					t.Fatalf("our verify: got valid=%v with %d signatures, want valid with %d: %s", rep.Valid, len(rep.Signatures), count, reportProblems(rep))
				}
				if ps := f.mustNSS(t).MustPdfsig(t, data); !ps.AllGood(count) {
					t.Errorf("pdfsig: got not all valid and trusted:\n%s", ps.Output)
				}
				mustQpdfCheck(t, data)
				w, h := box[2], box[3]
				var rects []pdf.Rect
				for _, m := range rectRE.FindAllStringSubmatch(string(data), -1) {
					var r pdf.Rect
					for k := range r {
						r[k], _ = strconv.ParseFloat(m[k+1], 64)
					}
					if r[0] < 0 || r[1] < 0 || r[2] > w || r[3] > h {
						t.Errorf("widget %v is off the page %.0f×%.0f", r, w, h)
					}
					for _, o := range rects {
						if overlap(r, o) {
							t.Errorf("widget %v overlaps %v", r, o)
						}
					}
					rects = append(rects, r)
				}
				if len(rects) != count {
					t.Errorf("got %d widget rects, want %d", len(rects), count)
				}
				if dir := os.Getenv("NASKAH_RENDER_DIR"); dir != "" {
					file := filepath.Join(dir, fmt.Sprintf("%s-%d.pdf", p.name, count))
					os.WriteFile(file, data, 0o644)
					out, err := exec.Command(pdftest.RequireTool(t, "pdftoppm"), "-r", "80", "-png", file, strings.TrimSuffix(file, ".pdf")).CombinedOutput()
					if err != nil {
						t.Errorf("pdftoppm: %v\n%s", err, out)
					}
				}
			})
		}
	}
}

func reportProblems(rep *pdf.Report) string {
	ps := append([]string(nil), rep.Problems...)
	for _, s := range rep.Signatures {
		ps = append(ps, s.Problems...)
	}
	return strings.Join(ps, "; ")
}

// mustQpdfCheck runs qpdf --check, which exits non-zero on damage.
func mustQpdfCheck(tb testing.TB, data []byte) {
	tb.Helper()
	qpdf := pdftest.RequireTool(tb, "qpdf")
	file := filepath.Join(tb.TempDir(), "check.pdf")
	if err := os.WriteFile(file, data, 0o644); err != nil {
		tb.Fatal(err)
	}
	if out, err := exec.Command(qpdf, "--check", file).CombinedOutput(); err != nil || bytes.Contains(out, []byte("WARNING")) {
		tb.Errorf("qpdf --check: %v\n%s", err, out)
	}
}

// rawPDF writes objects (numbered from 1, catalog first) with a correct
// xref table, for page trees pdftest does not make.
func rawPDF(objs ...string) []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n")
	offs := make([]int, len(objs))
	for i, o := range objs {
		offs[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	x := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, o := range offs {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, x)
	return b.Bytes()
}

// TestPageGeometry: the box goes on the page pdfsign will pick, within
// its inherited, offset and cropped box, and a circular page tree is
// refused at once instead of walked.
func TestPageGeometry(t *testing.T) {
	tests := []struct {
		name   string
		data   []byte
		page   int
		box    pdf.Rect
		rotate int
		err    bool
	}{
		{name: "inherited offset box and rotate, last page", page: 0, box: pdf.Rect{100, 200, 712, 992}, rotate: 270, data: rawPDF(
			"<< /Type /Catalog /Pages 2 0 R >>",
			"<< /Type /Pages /Kids [3 0 R 4 0 R] /Count 2 /MediaBox [100 200 712 992] /Rotate -90 >>",
			"<< /Type /Page /Parent 2 0 R >>",
			"<< /Type /Page /Parent 2 0 R >>")},
		{name: "crop box within the media box", page: 1, box: pdf.Rect{50, 50, 612, 700}, data: rawPDF(
			"<< /Type /Catalog /Pages 2 0 R >>",
			"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
			"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /CropBox [50 50 900 700] >>")},
		{name: "nested tree, second page", page: 2, box: pdf.Rect{0, 0, 300, 400}, data: rawPDF(
			"<< /Type /Catalog /Pages 2 0 R >>",
			"<< /Type /Pages /Kids [3 0 R 4 0 R] /Count 2 >>",
			"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 10 10] >>",
			"<< /Type /Pages /Parent 2 0 R /Kids [5 0 R] /Count 1 >>",
			"<< /Type /Page /Parent 4 0 R /MediaBox [0 0 300 400] >>")},
		{name: "circular page tree", page: 1, err: true, data: rawPDF(
			"<< /Type /Catalog /Pages 2 0 R >>",
			"<< /Type /Pages /Kids [2 0 R] /Count 1 >>")},
		{name: "no such page", page: 5, err: true, data: rawPDF(
			"<< /Type /Catalog /Pages 2 0 R >>",
			"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
			"<< /Type /Page /Parent 2 0 R >>")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			box, rotate, _, err := pdf.ReadPageGeometry(tt.data, tt.page)
			if d := time.Since(start); d > 10*time.Second {
				t.Errorf("took %v: the page walk is not bounded", d)
			}
			if tt.err {
				if naskah.ErrorCode(err) != naskah.EINVALID {
					t.Errorf("got %v, want EINVALID", err)
				}
				return
			}
			if err != nil || box != tt.box || rotate != tt.rotate {
				t.Errorf("got %v rotate %d (%v), want %v rotate %d", box, rotate, err, tt.box, tt.rotate)
			}
		})
	}
}

// BenchmarkVisibleSign measures a signature with the box against one
// without: go test -run '^$' -bench VisibleSign -benchmem ./pipeline/pdf/
func BenchmarkVisibleSign(b *testing.B) {
	f := mustFixture(b)
	in := MustStampForSigning(b, pdftest.PDF(pdftest.Portrait))
	for _, bb := range []struct {
		name string
		opts pdf.SignOptions
	}{
		{"invisible", pdf.SignOptions{}},
		{"box", pdf.SignOptions{Visible: true, Page: 1, Appearance: &pdf.Appearance{QRURL: "https://naskah.pom.go.id/verify/01JABCDEFGHJKMNPQRSTVWXYZ0"}}},
		{"box+specimen", pdf.SignOptions{Visible: true, Page: 1, Appearance: &pdf.Appearance{QRURL: "https://naskah.pom.go.id/verify/01JABCDEFGHJKMNPQRSTVWXYZ0", Specimen: specimenPNG(b, 600, 300), English: true}}},
	} {
		b.Run(bb.name, func(b *testing.B) {
			var out []byte
			for b.Loop() {
				out = MustSign(b, in, f.kepala, bb.opts)
			}
			b.ReportMetric(float64(len(out)-len(in)), "added-bytes")
		})
	}
}

// TestBoxAvoidsOtherSignatures: a box skips the places taken by
// signature fields already on the page — one drawn by another tool at
// the first place, and one of ours given the same index.
func TestBoxAvoidsOtherSignatures(t *testing.T) {
	f := mustFixture(t)
	in := MustStampForSigning(t, pdftest.PDF(pdftest.Portrait))
	first, err := pdf.SignatureBox(pdf.PageSize{Width: pdftest.A4Width, Height: pdftest.A4Height}, 0)
	if err != nil {
		t.Fatal(err)
	}
	data := MustSign(t, in, f.mitra, pdf.SignOptions{Visible: true, Page: 1, Rect: [4]float64(first)})
	box := &pdf.Appearance{Index: 0, QRURL: "https://naskah.pom.go.id/verify/1"}
	data = MustSign(t, data, f.kepala, pdf.SignOptions{Visible: true, Page: 1, Appearance: box})
	data = MustSign(t, data, f.kepala, pdf.SignOptions{Visible: true, Page: 1, Appearance: box})
	var rects []pdf.Rect
	for _, m := range rectRE.FindAllStringSubmatch(string(data), -1) {
		var r pdf.Rect
		for k := range r {
			r[k], _ = strconv.ParseFloat(m[k+1], 64)
		}
		for _, o := range rects {
			if overlap(r, o) {
				t.Errorf("widget %v overlaps %v", r, o)
			}
		}
		rects = append(rects, r)
	}
	if len(rects) != 3 {
		t.Errorf("got %d widgets, want 3", len(rects))
	}
	if rep := MustVerify(t, data, f.verifyOp); !rep.Valid || len(rep.Signatures) != 3 {
		t.Errorf("got valid=%v with %d signatures, want 3 valid: %s", rep.Valid, len(rep.Signatures), reportProblems(rep))
	}
}

// TestRenderConcurrent: the shared fonts are safe for concurrent signing
// (run with -race).
func TestRenderConcurrent(t *testing.T) {
	c := pdf.BoxContent{Name: "Rina Kartika", Title: "Pejabat Pimpinan Tinggi Madya", When: time.Now(), QRURL: "https://x.test/verify/1"}
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			_, err := pdf.RenderSignatureBox(c, 230, 92)
			errs <- err
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}
