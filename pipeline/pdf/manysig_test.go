package pdf_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/bpom/naskah/pipeline/pdf"
	"github.com/bpom/naskah/pipeline/pdf/pdftest"
)

// manySigPDF is a PDF of padding bytes with nsig signature fields whose
// dictionaries share one whole-file ByteRange and one /Contents object
// (a real signature value of another file): each one made Verify copy and
// hash the whole file again (issue 12, review: 990 fields, 8.6 MB, 11 s,
// 8.3 GB allocated).
func manySigPDF(t *testing.T, nsig, padding int) []byte {
	t.Helper()
	f := mustFixture(t)
	signed := MustSign(t, pdftest.PDF(pdftest.Portrait), f.kepala, pdf.SignOptions{Roots: f.pki.Roots})
	m := regexp.MustCompile(`/Contents\s*<([0-9a-fA-F]+)>`).FindSubmatch(signed)
	hexsig := strings.TrimRight(string(m[1]), "0")
	if len(hexsig)%2 == 1 {
		hexsig += "0"
	}
	pad := make([]byte, padding)
	rand.Read(pad)
	var b bytes.Buffer
	offs := map[int]int{}
	obj := func(n int, s string) { offs[n] = b.Len(); fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", n, s) }
	b.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	var fields strings.Builder
	for i := 0; i < nsig; i++ {
		fmt.Fprintf(&fields, "%d 0 R ", 100+2*i)
	}
	obj(1, "<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields ["+fields.String()+"] /SigFlags 3 >> >>")
	obj(2, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
	obj(3, "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>")
	offs[4] = b.Len()
	fmt.Fprintf(&b, "4 0 obj\n<< /Length %d >>\nstream\n", len(pad))
	b.Write(pad)
	b.WriteString("\nendstream\nendobj\n")
	offs[5] = b.Len()
	b.WriteString("5 0 obj\n")
	gapStart := b.Len()
	fmt.Fprintf(&b, "<%s>", hexsig)
	gapEnd := b.Len()
	b.WriteString("\nendobj\n")
	const placeholder = "BR__________________________________"
	for i := 0; i < nsig; i++ {
		obj(100+2*i, fmt.Sprintf("<< /FT /Sig /T (s%d) /V %d 0 R >>", i, 101+2*i))
		obj(101+2*i, "<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /adbe.pkcs7.detached /Contents 5 0 R /ByteRange "+placeholder+" >>")
	}
	x := b.Len()
	last := 101 + 2*nsig
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", last)
	for n := 1; n < last; n++ {
		if o, ok := offs[n]; ok {
			fmt.Fprintf(&b, "%010d 00000 n \n", o)
		} else {
			b.WriteString("0000000000 65535 f \n")
		}
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", last, x)
	data := b.Bytes()
	br := fmt.Sprintf("[0 %010d %010d %010d]", gapStart, gapEnd, len(data)-gapEnd)
	br += strings.Repeat(" ", len(placeholder)-len(br))
	return bytes.ReplaceAll(data, []byte(placeholder), []byte(br))
}

// TestManySignatures: more than 50 signatures are refused unchecked, and
// signatures that repeat a byte range or share a /Contents are problems,
// not extra passes over the file. Time and memory are logged (the numbers
// in the closing note), not asserted.
func TestManySignatures(t *testing.T) {
	ctx := context.Background()
	f := mustFixture(t)
	data := manySigPDF(t, 990, 8<<20)
	var rep *pdf.Report
	var err error
	u := pdftest.Measure(func() { rep, err = pdf.Verify(ctx, data, f.verifyOp) })
	t.Logf("990 signature fields, %d bytes: %v", len(data), u)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Valid || len(rep.Signatures) != 0 || !strings.Contains(strings.Join(rep.Problems, " "), "more than the limit of 50") {
		t.Errorf("got valid=%v, %d signatures checked, problems %v; want a refusal by the limit", rep.Valid, len(rep.Signatures), rep.Problems)
	}

	data = manySigPDF(t, 40, 1<<20)
	u = pdftest.Measure(func() { rep, err = pdf.Verify(ctx, data, f.verifyOp) })
	t.Logf("40 signature fields, %d bytes: %v", len(data), u)
	if err != nil {
		t.Fatal(err)
	}
	dups := 0
	for _, s := range rep.Signatures {
		if strings.Contains(strings.Join(s.Problems, " "), "repeats the byte range of signature 1") {
			dups++
		}
	}
	if rep.Valid || len(rep.Signatures) != 40 || dups != 39 {
		t.Errorf("got valid=%v with %d signatures, %d reported as repeats; want invalid, 40, 39", rep.Valid, len(rep.Signatures), dups)
	}
}
