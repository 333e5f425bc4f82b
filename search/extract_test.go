package search_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bpom/naskah"
	"github.com/bpom/naskah/search"
)

// MustPDF returns a one-page PDF that shows lines in Courier, with a
// correct cross-reference table.
func MustPDF(tb testing.TB, lines ...string) []byte {
	tb.Helper()
	var content strings.Builder
	content.WriteString("BT /F1 14 Tf 72 720 Td 18 TL\n")
	for _, l := range lines {
		fmt.Fprintf(&content, "(%s) Tj T*\n", l)
	}
	content.WriteString("ET\n")
	objs := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
		"<< /Type /Font /Subtype /Type1 /BaseFont /Courier /Encoding /WinAnsiEncoding /FirstChar 32 /LastChar 126 /Widths [" + strings.Repeat("600 ", 95) + "] >>",
		fmt.Sprintf("<< /Length %d >>\nstream\n%sendstream", content.Len(), content.String()),
	}
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n")
	offsets := make([]int, len(objs))
	for k, o := range objs {
		offsets[k] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", k+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, off := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, xref)
	return b.Bytes()
}

func TestExtract(t *testing.T) {
	doc := MustPDF(t, "Nota Kesepahaman antara BPOM", "dan Universitas Airlangga")
	extractors := map[string]search.Extractor{"go": &search.GoExtractor{Timeout: 5 * time.Second}}
	if path, err := exec.LookPath("pdftotext"); err == nil {
		extractors["pdftotext"] = &search.Pdftotext{Path: path, Timeout: 5 * time.Second}
	} else {
		t.Log("pdftotext not on PATH: testing the pure-Go extractor only")
	}
	for name, x := range extractors {
		t.Run(name, func(t *testing.T) {
			text, err := x.Extract(context.Background(), doc)
			if err != nil {
				t.Fatalf("Extract: %v", err)
			}
			words := strings.Fields(text)
			if got, want := strings.Join(words, " "), "Nota Kesepahaman antara BPOM dan Universitas Airlangga"; got != want {
				t.Errorf("got %q, want %q", got, want)
			}
			if !strings.Contains(text, "BPOM\n") {
				t.Errorf("got %q, want a line break after the first line", text)
			}
			_, err = x.Extract(context.Background(), []byte("this is not a PDF"))
			if naskah.ErrorCode(err) != naskah.EINVALID {
				t.Errorf("not a PDF: got %v, want code %s", err, naskah.EINVALID)
			}
			// A truncated file: no cross-reference table.
			_, err = x.Extract(context.Background(), doc[:len(doc)/2])
			if naskah.ErrorCode(err) != naskah.EINVALID {
				t.Errorf("truncated PDF: got %v, want code %s", err, naskah.EINVALID)
			}
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			if _, err := x.Extract(ctx, doc); naskah.ErrorCode(err) != naskah.EUNAVAILABLE {
				t.Errorf("cancelled: got %v, want code %s", err, naskah.EUNAVAILABLE)
			}
		})
	}
}

func TestExtractTimeout(t *testing.T) {
	// A pdftotext stand-in that never finishes: the timeout must kill it.
	script := filepath.Join(t.TempDir(), "pdftotext")
	if err := os.WriteFile(script, []byte("#!/bin/sh\nexec sleep 30\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	x := &search.Pdftotext{Path: script, Timeout: 50 * time.Millisecond}
	start := time.Now()
	_, err := x.Extract(context.Background(), nil)
	if naskah.ErrorCode(err) != naskah.EUNAVAILABLE {
		t.Errorf("got %v, want code %s", err, naskah.EUNAVAILABLE)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("took %s, want the timeout to stop it", d)
	}
}

func TestNewExtractor(t *testing.T) {
	x := search.NewExtractor(time.Second)
	_, err := exec.LookPath("pdftotext")
	if _, ok := x.(*search.Pdftotext); ok != (err == nil) {
		t.Errorf("got %T with pdftotext on PATH = %v", x, err == nil)
	}
}
