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

// TestExtractHostile: both extractors refuse the hostile PDFs with their
// code before a parser sees them, read the ones with active content, and
// leave no goroutine or process behind.
func TestExtractHostile(t *testing.T) {
	extractors := map[string]search.Extractor{"go": &search.GoExtractor{Timeout: time.Minute}}
	if path, err := exec.LookPath("pdftotext"); err == nil {
		extractors["pdftotext"] = &search.Pdftotext{Path: path, Timeout: time.Minute}
	} else if os.Getenv("NASKAH_REQUIRE_TOOLS") == "1" {
		t.Fatal("pdftotext is not on PATH")
	}
	for _, h := range pdftest.HostileSet() {
		for name, x := range extractors {
			t.Run(h.Name+"/"+name, func(t *testing.T) {
				before := pdftest.Goroutines()
				text, err := x.Extract(context.Background(), h.Data)
				if got := naskah.ErrorCode(err); got != h.Code {
					t.Fatalf("got code %q (%v), want %q", got, err, h.Code)
				}
				if h.Code == "" && !strings.Contains(text, "hostile") {
					t.Errorf("got text %q, want the page's text", text)
				}
				pdftest.CheckGoroutines(t, before)
			})
		}
	}
}

// TestPdftotextOutputLimit: a pdftotext that writes without end is cut
// off at MaxText with ETOOLARGE.
func TestPdftotextOutputLimit(t *testing.T) {
	script := filepath.Join(t.TempDir(), "pdftotext")
	if err := os.WriteFile(script, []byte("#!/bin/sh\nexec yes naskah\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	x := &search.Pdftotext{Path: script, Timeout: time.Minute}
	_, err := x.Extract(context.Background(), MustPDF(t, "endless"))
	if naskah.ErrorCode(err) != naskah.ETOOLARGE {
		t.Errorf("got %v, want code %s", err, naskah.ETOOLARGE)
	}
}
