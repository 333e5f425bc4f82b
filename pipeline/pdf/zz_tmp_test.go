package pdf_test

import (
	"context"
	"testing"
	"time"

	"github.com/bpom/naskah/pipeline/pdf"
	"github.com/bpom/naskah/pipeline/pdf/pdftest"
)

func TestTmpHostileCheck(t *testing.T) {
	for _, h := range pdftest.HostileSet() {
		t0 := time.Now()
		st, err := pdf.Check(context.Background(), h.Data)
		t.Logf("%-40s %8d bytes %v: %+v err=%v", h.Name, len(h.Data), time.Since(t0), st, err)
	}
}
