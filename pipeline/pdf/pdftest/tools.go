package pdftest

import (
	"os"
	"os/exec"
	"testing"
)

// RequireTool returns the path of a command-line tool, skipping the test
// when it is missing unless NASKAH_REQUIRE_TOOLS=1 (CI), where it fails.
func RequireTool(tb testing.TB, name string) string {
	tb.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("NASKAH_REQUIRE_TOOLS") == "1" {
			tb.Fatalf("%s is required (NASKAH_REQUIRE_TOOLS=1) but missing: install poppler-utils / libnss3-tools", name)
		}
		tb.Skipf("%s not installed", name)
	}
	return p
}

// MustText returns the text of a PDF file as pdftotext reads it.
func MustText(tb testing.TB, file string) string {
	tb.Helper()
	out, err := exec.Command(RequireTool(tb, "pdftotext"), "-layout", file, "-").CombinedOutput()
	if err != nil {
		tb.Fatalf("pdftotext %s: %v\n%s", file, err, out)
	}
	return string(out)
}

// MustRender renders every page of a PDF file to PNGs named prefix-N.png
// at 60 dpi.
func MustRender(tb testing.TB, file, prefix string) {
	tb.Helper()
	out, err := exec.Command(RequireTool(tb, "pdftoppm"), "-png", "-r", "60", file, prefix).CombinedOutput()
	if err != nil {
		tb.Fatalf("pdftoppm %s: %v\n%s", file, err, out)
	}
	if len(out) > 0 {
		tb.Logf("pdftoppm %s: %s", file, out)
	}
}
