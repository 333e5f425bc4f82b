package pdf_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bpom/naskah"
	"github.com/bpom/naskah/pipeline/pdf"
)

// TestCorpus runs every PDF of pdfcpu's own test corpus through
// inspect → stamp → sign → verify. A file pdfcpu accepts must come out
// valid to our Verify and to pdfsig; a refused file must be refused with a
// coded error, never a panic. Skipped with -short (about a minute).
func TestCorpus(t *testing.T) {
	if testing.Short() {
		t.Skip("corpus: skipped with -short")
	}
	files := corpusFiles(t)
	f := mustFixture(t)
	ctx := context.Background()
	var accepted, refused int
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := pdf.Inspect(ctx, data, pdf.Limits{}); err != nil {
				refused++
				mustCoded(t, err)
				t.Logf("refused by Inspect: %v", err)
				return
			}
			stamped, err := pdf.StampForSigning(ctx, data, pdf.SigningMarks{VerifyURL: "https://naskah.pom.go.id/v/corpus", AgreementNumber: "HK.01/1/2026"})
			if err != nil {
				refused++
				mustCoded(t, err)
				t.Logf("refused by StampForSigning: %v", err)
				return
			}
			signed, err := pdf.Sign(ctx, stamped, f.kepala, pdf.SignOptions{Reason: "Persetujuan", Location: "Jakarta"})
			if err != nil {
				t.Fatalf("sign a stamped file: %v", err)
			}
			rep := MustVerify(t, signed, f.verifyOp)
			if !rep.Valid {
				t.Fatalf("verify: got invalid, want valid: %q %+v", rep.Problems, rep.Signatures)
			}
			if ps := f.mustNSS(t).MustPdfsig(t, signed); !ps.AllGood(1) {
				t.Fatalf("pdfsig: got not valid and trusted:\n%s", ps.Output)
			}
			accepted++
		})
	}
	t.Logf("corpus: %d files, %d through stamp → sign → verify, %d refused with a clear error", len(files), accepted, refused)
}

// corpusFiles lists pdfcpu's test PDFs in the module cache.
func corpusFiles(t *testing.T) []string {
	out, err := exec.Command("go", "env", "GOMODCACHE").Output()
	if err != nil {
		t.Skipf("go env GOMODCACHE: %v", err)
	}
	dir := filepath.Join(strings.TrimSpace(string(out)), "github.com", "pdfcpu", "pdfcpu@v0.15.0", "pkg", "testdata")
	files, _ := filepath.Glob(filepath.Join(dir, "*.pdf"))
	if len(files) == 0 {
		if os.Getenv("NASKAH_REQUIRE_TOOLS") == "1" {
			t.Fatalf("no pdfcpu test corpus in %s: run go mod download github.com/pdfcpu/pdfcpu", dir)
		}
		t.Skipf("no pdfcpu test corpus in %s", dir)
	}
	return files
}

// mustCoded fails unless err carries one of our codes and a message.
func mustCoded(t *testing.T, err error) {
	t.Helper()
	var ne *naskah.Error
	if !errors.As(err, &ne) || ne.Message == "" || ne.Code == naskah.EINTERNAL {
		t.Errorf("got %v, want an EINVALID/ETOOLARGE error with a message", err)
	}
}
