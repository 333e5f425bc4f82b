package pdf_test

import (
	"bytes"
	"context"
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/bpom/naskah/pipeline/pdf"
	"github.com/bpom/naskah/pipeline/pdf/pdftest"
	pdfreader "github.com/digitorus/pdf"
)

func lastSubmatch(s, expr string) string {
	m := regexp.MustCompile(expr).FindAllStringSubmatch(s, -1)
	if len(m) == 0 {
		return ""
	}
	return m[len(m)-1][1]
}

// appendObjects appends an incremental update that (re)defines the given
// objects (number → body) and marks free the objects in free, answering
// an xref table or stream in kind. extraTrailer goes into the trailer.
func appendObjects(data []byte, objs map[int]string, free ...int) []byte {
	tail := string(data[max(0, len(data)-4096):])
	root := lastSubmatch(tail, `/Root\s+(\d+)\s+0\s+R`)
	size, _ := strconv.Atoi(lastSubmatch(tail, `/Size\s+(\d+)`))
	prev, _ := strconv.Atoi(lastSubmatch(tail, `startxref\s+(\d+)`))
	var b bytes.Buffer
	b.Write(data)
	b.WriteString("\n")
	nums := make([]int, 0, len(objs))
	for n := range objs {
		nums = append(nums, n)
	}
	sort.Ints(nums)
	offs := map[int]int{}
	for _, n := range nums {
		offs[n] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", n, objs[n])
		if n >= size {
			size = n + 1
		}
	}
	xref := b.Len()
	if !bytes.HasPrefix(data[prev:], []byte("xref")) {
		var rows bytes.Buffer
		idx := ""
		for _, n := range nums {
			off := offs[n]
			idx += fmt.Sprintf("%d 1 ", n)
			rows.Write([]byte{1, byte(off >> 24), byte(off >> 16), byte(off >> 8), byte(off), 0, 0})
		}
		for _, n := range free {
			idx += fmt.Sprintf("%d 1 ", n)
			rows.Write([]byte{0, 0, 0, 0, 0, 0, 1})
		}
		rows.Write([]byte{1, byte(xref >> 24), byte(xref >> 16), byte(xref >> 8), byte(xref), 0, 0})
		idx += fmt.Sprintf("%d 1", size)
		fmt.Fprintf(&b, "%d 0 obj\n<< /Type /XRef /Size %d /W [1 4 2] /Index [%s] /Root %s 0 R /Prev %d /Length %d >>\nstream\n",
			size, size+1, idx, root, prev, rows.Len())
		b.Write(rows.Bytes())
		fmt.Fprintf(&b, "\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n", xref)
		return b.Bytes()
	}
	b.WriteString("xref\n0 1\n0000000000 65535 f \n")
	for _, n := range nums {
		fmt.Fprintf(&b, "%d 1\n%010d 00000 n \n", n, offs[n])
	}
	for _, n := range free {
		fmt.Fprintf(&b, "%d 1\n0000000000 00001 f \n", n)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root %s 0 R /Prev %d >>\nstartxref\n%d\n%%%%EOF\n", size, root, prev, xref)
	return b.Bytes()
}

// pageObjects reads page 1 of data: its object number, its dictionary
// written out with one key replaced or added (key "" for none), its first
// content stream's number and its first font's resource name.
type pageInfo struct {
	page, contents, pages, font int
	fontName                    string
	r                           *pdfreader.Reader
}

func readPage(t *testing.T, data []byte) pageInfo {
	t.Helper()
	r, err := pdfreader.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	pg := r.Page(1).V
	c := pg.Key("Contents")
	if c.Kind() == pdfreader.Array {
		c = c.Index(0)
	}
	p := c.GetPtr()
	pi := pageInfo{contents: int(p.GetID()), r: r}
	pp := pg.GetPtr()
	pi.page = int(pp.GetID())
	ps := pg.Key("Parent").GetPtr()
	pi.pages = int(ps.GetID())
	fonts := pg.Key("Resources").Key("Font")
	if k := fonts.Keys(); len(k) > 0 {
		pi.fontName = k[0]
		fp := fonts.Key(k[0]).GetPtr()
		pi.font = int(fp.GetID())
	}
	return pi
}

// pageDict writes page 1's dictionary out with key set to value (a PDF
// fragment); the page may be in an object stream, so it is written from
// the parsed value.
func pageDict(t *testing.T, data []byte, key, value string) string {
	t.Helper()
	pg := readPage(t, data).r.Page(1).V
	raw := reflect.ValueOf(pg.RawData())
	var b strings.Builder
	b.WriteString("<<")
	for _, k := range raw.MapKeys() {
		if k.String() == key {
			continue
		}
		b.WriteString(" /" + k.String() + " ")
		writeRaw(&b, raw.MapIndex(k))
	}
	b.WriteString(" /" + key + " " + value + " >>")
	return b.String()
}

// writeRaw writes a digitorus/pdf raw value as PDF syntax.
func writeRaw(b *strings.Builder, v reflect.Value) {
	if v.Kind() == reflect.Interface {
		v = v.Elem()
	}
	if !v.IsValid() {
		b.WriteString("null")
		return
	}
	switch v.Kind() {
	case reflect.Map:
		b.WriteString("<<")
		for _, k := range v.MapKeys() {
			b.WriteString(" /" + k.String() + " ")
			writeRaw(b, v.MapIndex(k))
		}
		b.WriteString(" >>")
	case reflect.Slice:
		b.WriteString("[")
		for i := 0; i < v.Len(); i++ {
			b.WriteString(" ")
			writeRaw(b, v.Index(i))
		}
		b.WriteString(" ]")
	case reflect.Struct: // a reference
		fmt.Fprintf(b, "%d %d R", v.Field(0).Uint(), v.Field(1).Uint())
	case reflect.String:
		if v.Type().Name() == "name" {
			b.WriteString("/" + v.String())
		} else {
			fmt.Fprintf(b, "<%x>", v.String())
		}
	case reflect.Int64:
		fmt.Fprintf(b, "%d", v.Int())
	case reflect.Float64:
		fmt.Fprintf(b, "%f", v.Float())
	case reflect.Bool:
		fmt.Fprintf(b, "%v", v.Bool())
	}
}

func streamObj(s string) string {
	return fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(s), s)
}

// TestChangesAfterSignature: an incremental update after a signature that
// changes what the page shows, then a second signature on top (the shadow
// attack of issue 12), makes the first signature invalid in Verify, while
// the second signature alone is intact; without the later signature the
// bytes after the signature are reported as well.
func TestChangesAfterSignature(t *testing.T) {
	ctx := context.Background()
	f := mustFixture(t)
	first := MustSign(t, MustStampForSigning(t, pdftest.PDF(pdftest.Portrait)), f.kepala, pdf.SignOptions{Reason: "Persetujuan", Roots: f.pki.Roots})
	pi := readPage(t, first)
	fake := "BT /" + pi.fontName + " 40 Tf 50 400 Td (PASAL PALSU: BPOM membayar 10 M) Tj ET"
	next := 5000
	cases := map[string][]byte{
		"content stream replaced": appendObjects(first, map[int]string{pi.contents: streamObj(fake)}),
		"page contents changed": appendObjects(first, map[int]string{next: streamObj(fake),
			pi.page: pageDict(t, first, "Contents", fmt.Sprintf("%d 0 R", next))}),
		"link annotation added": appendObjects(first, map[int]string{
			next:    "<< /Type /Annot /Subtype /Link /Rect [0 0 595 842] /A << /S /URI /URI (https://example.org/) >> >>",
			pi.page: pageDict(t, first, "Annots", fmt.Sprintf("[%d 0 R]", next))}),
		"overlay stamp annotation": appendObjects(first, map[int]string{
			next:     "<< /Type /Annot /Subtype /Stamp /Rect [0 0 595 842] /AP << /N 5001 0 R >> >>",
			next + 1: "<< /Type /XObject /Subtype /Form /BBox [0 0 595 842] /Length " + strconv.Itoa(len(fake)) + " >>\nstream\n" + fake + "\nendstream",
			pi.page:  pageDict(t, first, "Annots", fmt.Sprintf("[%d 0 R]", next))}),
		"unsigned signature widget": appendObjects(first, map[int]string{
			next:    "<< /Type /Annot /Subtype /Widget /FT /Sig /T (palsu) /Rect [0 0 595 842] /F 4 >>",
			pi.page: pageDict(t, first, "Annots", fmt.Sprintf("[%d 0 R]", next))}),
		"pages node changed": appendObjects(first, map[int]string{
			pi.pages: fmt.Sprintf("<< /Type /Pages /Kids [%d 0 R] /Count 1 /Rotate 180 >>", pi.page)}),
		"page resources changed": appendObjects(first, map[int]string{
			pi.page: pageDict(t, first, "Resources", "<< >>")}),
		"content stream deleted": appendObjects(first, nil, pi.contents),
	}
	if pi.font != 0 {
		cases["font redefined"] = appendObjects(first, map[int]string{pi.font: "<< /Type /Font /Subtype /Type1 /BaseFont /Courier >>"})
	}
	for name, changed := range cases {
		t.Run(name, func(t *testing.T) {
			if d := pdf.ChangesAfter(ctx, changed, int64(len(first))); len(d) == 0 {
				t.Errorf("ChangesAfter found nothing")
			} else {
				t.Logf("changes: %v", d)
			}
			rep, err := pdf.Verify(ctx, changed, f.verifyOp)
			if err != nil {
				t.Fatalf("verify: %v", err)
			}
			if rep.Valid {
				t.Errorf("the changed file verifies valid")
			}
			// The partner signs on top: its own signature is intact, BPOM's
			// is reported as changed after signing.
			both, err := pdf.Sign(ctx, changed, f.mitra, pdf.SignOptions{Reason: "Countersigned", Roots: f.pki.Roots})
			if err != nil {
				t.Skipf("cannot sign the changed file: %v", err) // a deleted content stream may not sign
			}
			rep, err = pdf.Verify(ctx, both, f.verifyOp)
			if err != nil {
				t.Fatalf("verify: %v", err)
			}
			if rep.Valid || len(rep.Signatures) != 2 {
				t.Fatalf("got valid=%v with %d signatures, want invalid with 2: %v", rep.Valid, len(rep.Signatures), rep.Problems)
			}
			s1, s2 := rep.Signatures[0], rep.Signatures[1]
			if !s1.DigestIntact || !strings.Contains(strings.Join(s1.Problems, " "), "isi dokumen diubah setelah tanda tangan 1") {
				t.Errorf("signature 1: intact=%v problems=%v, want intact with the change reported", s1.DigestIntact, s1.Problems)
			}
			if len(s2.Problems) > 0 || !s2.DigestIntact {
				t.Errorf("signature 2: intact=%v problems=%v, want intact and no problems", s2.DigestIntact, s2.Problems)
			}
		})
	}
}

// TestChangesAllowed: what a later signature or a PAdES DSS adds is not a
// change: two of our signatures verify valid, and a DSS update after the
// last signature leaves the report valid.
func TestChangesAllowed(t *testing.T) {
	ctx := context.Background()
	f := mustFixture(t)
	first := MustSign(t, MustStampForSigning(t, pdftest.PDF(pdftest.Portrait, pdftest.Landscape)), f.kepala, pdf.SignOptions{Reason: "Persetujuan", Roots: f.pki.Roots})
	both := MustSign(t, first, f.mitra, pdf.SignOptions{Reason: "Countersigned", Roots: f.pki.Roots})
	if d := pdf.ChangesAfter(ctx, both, int64(len(first))); len(d) > 0 {
		t.Errorf("a second signature counts as changes: %v", d)
	}
	rep, err := pdf.Verify(ctx, both, f.verifyOp)
	if err != nil || !rep.Valid {
		t.Fatalf("two signatures: err=%v report=%+v", err, rep)
	}
	// A DSS update: the catalog gains /DSS, with a certificate stream.
	r, err := pdfreader.NewReader(bytes.NewReader(both), int64(len(both)))
	if err != nil {
		t.Fatal(err)
	}
	rootPtr := r.Trailer().Key("Root").GetPtr()
	root := int(rootPtr.GetID())
	m := regexp.MustCompile(`(?s)\n`+strconv.Itoa(root)+` 0 obj\s*(<<.*?>>)\s*endobj`).FindAllSubmatch(both, -1)
	if len(m) == 0 {
		t.Fatal("catalog not found as text")
	}
	cat := strings.TrimSuffix(strings.TrimSpace(string(m[len(m)-1][1])), ">>") + " /DSS 6001 0 R >>"
	cert := string(f.kepala.Certificate.Raw)
	lt := appendObjects(both, map[int]string{root: cat,
		6001: "<< /Certs [6002 0 R] /VRI << >> >>",
		6002: fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(cert), cert)})
	if d := pdf.ChangesAfter(ctx, lt, int64(len(both))); len(d) > 0 {
		t.Errorf("a DSS update counts as changes: %v", d)
	}
	rep, err = pdf.Verify(ctx, lt, f.verifyOp)
	if err != nil || !rep.Valid {
		t.Fatalf("signatures and a DSS update: err=%v problems=%v", err, rep.Problems)
	}
	// The same update with a page change in it is not.
	pi := readPage(t, both)
	bad := appendObjects(both, map[int]string{root: cat, 6001: "<< /Certs [] >>", pi.contents: streamObj("BT ET")})
	if rep, err := pdf.Verify(ctx, bad, f.verifyOp); err != nil || rep.Valid {
		t.Errorf("a DSS update that also replaces page content: err=%v valid=%v", err, rep != nil && rep.Valid)
	}
}
