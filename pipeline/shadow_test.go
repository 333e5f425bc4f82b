package pipeline_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/bpom/naskah"
	"github.com/bpom/naskah/pipeline/pdf"
	pdfreader "github.com/digitorus/pdf"
)

func lastSub(s, expr string) string {
	m := regexp.MustCompile(expr).FindAllStringSubmatch(s, -1)
	return m[len(m)-1][1]
}

// appendObject appends an incremental update that redefines object n,
// answering an xref table or stream in kind.
func appendObject(data []byte, n int, body string) []byte {
	tail := string(data[max(0, len(data)-4096):])
	root := lastSub(tail, `/Root\s+(\d+)\s+0\s+R`)
	size, _ := strconv.Atoi(lastSub(tail, `/Size\s+(\d+)`))
	prev, _ := strconv.Atoi(lastSub(tail, `startxref\s+(\d+)`))
	var b bytes.Buffer
	b.Write(data)
	b.WriteString("\n")
	off := b.Len()
	fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", n, body)
	xref := b.Len()
	if !bytes.HasPrefix(data[prev:], []byte("xref")) {
		var rows bytes.Buffer
		for _, o := range []int{off, xref} {
			rows.Write([]byte{1, byte(o >> 24), byte(o >> 16), byte(o >> 8), byte(o), 0, 0})
		}
		fmt.Fprintf(&b, "%d 0 obj\n<< /Type /XRef /Size %d /W [1 4 2] /Index [%d 1 %d 1] /Root %s 0 R /Prev %d /Length %d >>\nstream\n",
			size, size+1, n, size, root, prev, rows.Len())
		b.Write(rows.Bytes())
		fmt.Fprintf(&b, "\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n", xref)
		return b.Bytes()
	}
	fmt.Fprintf(&b, "xref\n0 1\n0000000000 65535 f \n%d 1\n%010d 00000 n \n", n, off)
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root %s 0 R /Prev %d >>\nstartxref\n%d\n%%%%EOF\n", size, root, prev, xref)
	return b.Bytes()
}

// shadow replaces page 1's first content stream with a forged clause.
func shadow(t *testing.T, data []byte) []byte {
	t.Helper()
	r, err := pdfreader.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	pg := r.Page(1)
	c := pg.V.Key("Contents")
	if c.Kind() == pdfreader.Array {
		c = c.Index(0)
	}
	ptr := c.GetPtr()
	fonts := pg.V.Key("Resources").Key("Font").Keys()
	if ptr.GetID() == 0 || len(fonts) == 0 {
		t.Fatal("page 1 has no indirect content stream or no font")
	}
	s := "BT /" + fonts[0] + " 40 Tf 50 400 Td (PASAL PALSU: BPOM membayar 10 M) Tj ET"
	return appendObject(data, int(ptr.GetID()), fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(s), s))
}

// TestShadowCountersign (issue 12 review, shadow attack): a partner who
// replaces page 1's content in an incremental update after BPOM's
// signature and then signs on top gets neither a valid report nor an
// accepted countersigned upload.
func TestShadowCountersign(t *testing.T) {
	h := newHarness(t, mustLocalStore(t), nil)
	ctx := context.Background()
	a := h.toSigning(t)
	partnerPKI, err := pdf.GenerateDevPKI(t.TempDir(), nil, h.clk.Now().AddDate(0, 0, -1))
	if err != nil {
		t.Fatal(err)
	}
	var ps *pdf.Signer
	for _, k := range partnerPKI.Keystores {
		if k.Official.ID == "mitra" {
			p12, _ := os.ReadFile(k.Path)
			if ps, err = pdf.LoadPKCS12(p12, k.Passphrase); err != nil {
				t.Fatal(err)
			}
		}
	}
	partnerCA, _ := os.ReadFile(partnerPKI.CACert)
	if h.e.PartnerRoots, err = pdf.LoadRoots(partnerCA); err != nil {
		t.Fatal(err)
	}
	// The partner's certificate is registered to the MITRA account, as a
	// countersignature requires.
	if _, err := h.e.RegisterCertificate(ctx, admin, mitra.User, ps.Certificate.Raw); err != nil {
		t.Fatal(err)
	}
	a = h.sign(kepala, "kepala", a)
	bpomSigned, _, err := h.e.Download(ctx, bkh, a.ID, naskah.DocSigned, 0, true)
	if err != nil {
		t.Fatal(err)
	}
	out, err := pdf.Sign(ctx, shadow(t, bpomSigned), ps, pdf.SignOptions{Reason: "Countersigned", Location: "Madrid", Now: h.clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := h.e.VerifyDocument(ctx, out)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Valid || len(rep.Signatures) != 2 || !strings.Contains(strings.Join(rep.Signatures[0].Problems, " "), "the document was changed after signature 1") {
		t.Errorf("verify: valid=%v, %d signatures, first signature's problems %v; want invalid with the change reported on signature 1",
			rep.Valid, len(rep.Signatures), rep.Signatures[0].Problems)
	}
	if _, err := h.e.Countersign(ctx, h.req(mitra, a.ID), "countersigned.pdf", bytes.NewReader(out)); err == nil {
		t.Errorf("the shadowed countersigned file was accepted")
	} else if !strings.Contains(err.Error(), "changed after signature 1") {
		t.Errorf("refused, but not for the change: %v", err)
	}
	// The same partner signature on the untouched file is accepted.
	good, err := pdf.Sign(ctx, bpomSigned, ps, pdf.SignOptions{Reason: "Countersigned", Location: "Madrid", Now: h.clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.e.Countersign(ctx, h.req(mitra, a.ID), "countersigned.pdf", bytes.NewReader(good)); err != nil {
		t.Errorf("the honest countersigned file was refused: %v", err)
	}
}
