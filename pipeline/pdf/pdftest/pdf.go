// Package pdftest provides test helpers for the PDF pipeline: PDFs built
// from a page list, a development CA, and loopback RFC 3161 timestamp and
// OCSP servers.
package pdftest

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
)

// Page sizes in points.
const (
	A4Width  = 595.28
	A4Height = 841.89
)

// Page describes one page of a generated PDF.
type Page struct {
	Width, Height float64 // MediaBox; zero means A4 portrait
	Rotate        int     // /Rotate: 0, 90, 180, 270
	Lines         int     // lines of body text (default: a full page)
	JPEG          []byte  // optional image drawn in the upper half of the page
}

// Portrait, Landscape and Rotated are the three page shapes stamps must
// handle: an A4 page, an A4 landscape page, and a portrait page shown
// landscape through /Rotate 90.
var (
	Portrait  = Page{Width: A4Width, Height: A4Height}
	Landscape = Page{Width: A4Height, Height: A4Width}
	Rotated   = Page{Width: A4Width, Height: A4Height, Rotate: 90}
)

// body is the text that fills pages: a cooperation agreement's prose, so a
// render shows whether a mark covers real lines.
var body = []string{
	"Pasal %d. Para Pihak sepakat untuk melaksanakan kerja sama di bidang pengawasan obat dan makanan",
	"sesuai dengan ketentuan peraturan perundang-undangan yang berlaku, dengan memperhatikan prinsip",
	"kesetaraan, saling menguntungkan, dan tidak bertentangan dengan kepentingan nasional masing-masing.",
	"Ruang lingkup kerja sama meliputi pertukaran informasi, peningkatan kapasitas sumber daya manusia,",
	"serta pengujian laboratorium bersama terhadap produk yang beredar di wilayah Republik Indonesia.",
}

// PDF returns a valid PDF (classic xref table, Helvetica text, optional
// JPEG images) with the given pages; no pages means one A4 portrait page.
func PDF(pages ...Page) []byte {
	if len(pages) == 0 {
		pages = []Page{Portrait}
	}
	var w pdfWriter
	w.buf.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	// Object numbers: 1 catalog, 2 pages, 3 font, then 3 per page
	// (page, contents, image).
	n := len(pages)
	kids := make([]string, n)
	for i := range pages {
		kids[i] = fmt.Sprintf("%d 0 R", 4+3*i)
	}
	w.obj(1, "<< /Type /Catalog /Pages 2 0 R >>")
	w.obj(2, fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", strings.Join(kids, " "), n))
	w.obj(3, "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
	for i, p := range pages {
		if p.Width == 0 || p.Height == 0 {
			p.Width, p.Height = A4Width, A4Height
		}
		pageObj, contentObj, imageObj := 4+3*i, 5+3*i, 6+3*i
		res := "/Font << /F1 3 0 R >>"
		if p.JPEG != nil {
			res += fmt.Sprintf(" /XObject << /Im1 %d 0 R >>", imageObj)
		}
		rotate := ""
		if p.Rotate != 0 {
			rotate = fmt.Sprintf(" /Rotate %d", p.Rotate)
		}
		w.obj(pageObj, fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %.2f %.2f]%s /Resources << %s >> /Contents %d 0 R >>",
			p.Width, p.Height, rotate, res, contentObj))
		w.stream(contentObj, "", deflate(pageContent(i+1, p)), "/Filter /FlateDecode")
		if p.JPEG != nil {
			cfg, err := jpeg.DecodeConfig(bytes.NewReader(p.JPEG))
			if err != nil {
				panic(err)
			}
			w.stream(imageObj, fmt.Sprintf("/Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceRGB /BitsPerComponent 8",
				cfg.Width, cfg.Height), p.JPEG, "/Filter /DCTDecode")
		} else {
			w.obj(imageObj, "null")
		}
	}
	return w.finish(1)
}

// pageContent draws the page's body text within 72 pt margins, and its
// image in the upper half.
func pageContent(nr int, p Page) []byte {
	var b bytes.Buffer
	const margin, size, leading = 72.0, 10.0, 14.0
	top := p.Height - margin
	if p.JPEG != nil {
		imgH := (p.Height - 2*margin) / 2
		fmt.Fprintf(&b, "q %.2f 0 0 %.2f %.2f %.2f cm /Im1 Do Q\n", p.Width-2*margin, imgH, margin, top-imgH)
		top -= imgH + leading
	}
	lines := p.Lines
	maxLines := int((top - margin) / leading)
	if lines <= 0 || lines > maxLines {
		lines = maxLines
	}
	fmt.Fprintf(&b, "BT /F1 %.0f Tf %.0f TL %.2f %.2f Td\n", size, leading, margin, top-size)
	for i := 0; i < lines; i++ {
		line := body[i%len(body)]
		if strings.Contains(line, "%d") {
			line = fmt.Sprintf(line, nr*100+i)
		}
		// Long lines are cut to the page width (Helvetica averages ~0.5 em).
		maxChars := int((p.Width - 2*margin) / (size * 0.5))
		if len(line) > maxChars {
			line = line[:maxChars]
		}
		fmt.Fprintf(&b, "(%s) Tj T*\n", line)
	}
	b.WriteString("ET\n")
	return b.Bytes()
}

// JPEG returns a w×h JPEG of a gradient with noise: photo-like, so its size
// grows with w×h like a scanned page's.
func JPEG(w, h int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			n := uint8(r.IntN(64))
			img.Set(x, y, color.RGBA{uint8(x * 255 / w), uint8(y * 255 / h), 128 + n, 255})
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 85}); err != nil {
		panic(err)
	}
	return b.Bytes()
}

func deflate(b []byte) []byte {
	var out bytes.Buffer
	zw := zlib.NewWriter(&out)
	zw.Write(b)
	zw.Close()
	return out.Bytes()
}

// pdfWriter writes numbered objects and remembers their offsets for the
// xref table.
type pdfWriter struct {
	buf     bytes.Buffer
	offsets map[int]int
	max     int
}

func (w *pdfWriter) start(nr int) {
	if w.offsets == nil {
		w.offsets = map[int]int{}
	}
	w.offsets[nr] = w.buf.Len()
	w.max = max(w.max, nr)
}

func (w *pdfWriter) obj(nr int, body string) {
	w.start(nr)
	fmt.Fprintf(&w.buf, "%d 0 obj\n%s\nendobj\n", nr, body)
}

func (w *pdfWriter) stream(nr int, dict string, data []byte, filter string) {
	w.start(nr)
	fmt.Fprintf(&w.buf, "%d 0 obj\n<< %s %s /Length %d >>\nstream\n", nr, dict, filter, len(data))
	w.buf.Write(data)
	w.buf.WriteString("\nendstream\nendobj\n")
}

func (w *pdfWriter) finish(root int) []byte {
	xref := w.buf.Len()
	fmt.Fprintf(&w.buf, "xref\n0 %d\n0000000000 65535 f \n", w.max+1)
	for i := 1; i <= w.max; i++ {
		if off, ok := w.offsets[i]; ok {
			fmt.Fprintf(&w.buf, "%010d 00000 n \n", off)
		} else {
			w.buf.WriteString("0000000000 65535 f \n")
		}
	}
	fmt.Fprintf(&w.buf, "trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n", w.max+1, root, xref)
	return w.buf.Bytes()
}

// AppendUpdate appends an incremental update to a PDF that replaces its
// document information (/Title): a change after signing that keeps every
// signed byte as it was.
func AppendUpdate(data []byte) []byte {
	tail := string(data[max(0, len(data)-4096):])
	root := lastMatch(tail, `/Root\s+(\d+)\s+0\s+R`)
	size := lastMatch(tail, `/Size\s+(\d+)`)
	prev := lastMatch(tail, `startxref\s+(\d+)`)
	var b bytes.Buffer
	b.Write(data)
	b.WriteString("\n")
	obj := b.Len()
	fmt.Fprintf(&b, "%s 0 obj\n<< /Title (Diubah setelah ditandatangani) >>\nendobj\n", size)
	xref := b.Len()
	if !bytes.HasPrefix(data[atoi(prev):], []byte("xref")) {
		// The file ends in an xref stream: answer in kind, as real tools do.
		n := atoi(size)
		var rows bytes.Buffer
		for _, off := range []int{obj, xref} {
			rows.Write([]byte{1, byte(off >> 24), byte(off >> 16), byte(off >> 8), byte(off), 0, 0})
		}
		fmt.Fprintf(&b, "%d 0 obj\n<< /Type /XRef /Size %d /W [1 4 2] /Index [%d 2] /Root %s 0 R /Info %d 0 R /Prev %s /Length %d >>\nstream\n",
			n+1, n+2, n, root, n, prev, rows.Len())
		b.Write(rows.Bytes())
		fmt.Fprintf(&b, "\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n", xref)
		return b.Bytes()
	}
	fmt.Fprintf(&b, "xref\n0 1\n0000000000 65535 f \n%s 1\n%010d 00000 n \n", size, obj)
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root %s 0 R /Info %s 0 R /Prev %s >>\nstartxref\n%d\n%%%%EOF\n", atoi(size)+1, root, size, prev, xref)
	return b.Bytes()
}

func lastMatch(s, expr string) string {
	m := regexp.MustCompile(expr).FindAllStringSubmatch(s, -1)
	if len(m) == 0 {
		panic("pdftest: no " + expr + " in the PDF's tail")
	}
	return m[len(m)-1][1]
}

func atoi(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		panic(err)
	}
	return n
}

// RawPDF returns a PDF of the given objects, numbered from 1 (object 1 is
// the catalog), with a classic xref table: for files the Page list cannot
// describe, such as forms.
func RawPDF(objs ...string) []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	offs := make([]int, len(objs))
	for i, o := range objs {
		offs[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, off := range offs {
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, xref)
	return b.Bytes()
}
