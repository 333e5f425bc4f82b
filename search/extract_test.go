package search_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bpom/naskah"
	"github.com/bpom/naskah/pipeline/pdf/pdftest"
	"github.com/bpom/naskah/search"
)

// MustPDF returns a one-page PDF that shows lines in Courier.
func MustPDF(tb testing.TB, lines ...string) []byte {
	tb.Helper()
	return pdftest.TextPDF(lines...)
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
	_, err := x.Extract(context.Background(), MustPDF(t, "sleep"))
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
