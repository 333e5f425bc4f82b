package pdf_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bpom/naskah/pipeline/pdf"
	"github.com/bpom/naskah/pipeline/pdf/pdftest"
)

// TestCheckAcceptsCorpus: the guard, with the content budget of the paths
// that hand a file to pdfcpu, refuses none of pdfcpu's test corpus (books,
// specifications, scans, forms, incremental updates) and finds active
// content in none of them — its refusals are hazards, not quirks.
func TestCheckAcceptsCorpus(t *testing.T) {
	for _, file := range corpusFiles(t) {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		st, err := pdf.CheckForPdfcpu(context.Background(), data)
		if err != nil {
			t.Errorf("%s: got %v, want accepted", filepath.Base(file), err)
			continue
		}
		if len(st.ActiveContent) > 0 {
			t.Errorf("%s: got active content %q, want none", filepath.Base(file), st.ActiveContent)
		}
	}
}

// TestCheckSignedAndUpdated: files we sign (incremental updates, /Prev
// chains, xref streams) and pdftest's appended updates pass the guard.
func TestCheckSignedAndUpdated(t *testing.T) {
	f := mustFixture(t)
	one := pdftest.PDF(pdftest.Portrait, pdftest.Landscape)
	twice := MustSign(t, MustSign(t, one, f.kepala, pdf.SignOptions{}), f.mitra, pdf.SignOptions{})
	for name, data := range map[string][]byte{"signed twice": twice, "appended update": pdftest.AppendUpdate(one), "text": pdftest.TextPDF("a", "b")} {
		if _, err := pdf.Check(context.Background(), data); err != nil {
			t.Errorf("%s: got %v, want accepted", name, err)
		}
	}
}

// TestCheckIndirectURI: a javascript: URI kept in an object of its own is
// found too.
func TestCheckIndirectURI(t *testing.T) {
	for _, h := range pdftest.HostileSet() {
		if !strings.HasPrefix(h.Name, "URI") {
			continue
		}
		data := []byte(strings.Replace(string(h.Data), "<66696C653A2F2F2F6574632F706173737764>", "(https://127.0.0.1/)", 1))
		st, err := pdf.Check(context.Background(), data)
		if err != nil || len(st.ActiveContent) != 1 || !strings.Contains(st.ActiveContent[0], "URI") {
			t.Errorf("got %v %q, want the indirect javascript: URI reported", err, st.ActiveContent)
		}
	}
}
