package pdf_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/bpom/naskah"
	"github.com/bpom/naskah/pipeline/pdf"
	"github.com/bpom/naskah/pipeline/pdf/pdftest"
)

// heapGoal is the bound on memory above the baseline for any file
// within the upload limit.
const heapGoal = 256 << 20

// TestHostileBudget measures time, peak heap and allocations of every
// hostile PDF through every entry point and prints them:
//
//	go test -count=1 -run TestHostileBudget -v ./pipeline/pdf/
//
// It fails when the peak heap passes heapGoal; time is printed, not
// asserted.
func TestHostileBudget(t *testing.T) {
	if testing.Short() {
		t.Skip("budget: skipped with -short")
	}
	f := mustFixture(t)
	eps := append([]struct {
		name string
		run  func(ctx context.Context, data []byte) error
	}{{"check", func(ctx context.Context, b []byte) error { _, err := pdf.Check(ctx, b); return err }}}, entryPoints(f)...)
	// For comparison (with -v), a well-formed 40 MB scan of 459 JPEG pages:
	// printed, not held to heapGoal — its cost is pdfcpu's on a real file.
	// The costliest file the guard lets through by object count, held to
	// heapGoal like the hostile ones.
	cases := append(pdftest.HostileSet(), pdftest.Hostile{Name: "39 000 objects (accepted)", Data: pdftest.ManyObjects(39_000)})
	if testing.Verbose() {
		var scan []pdftest.Page
		for i := 0; i < 459; i++ {
			scan = append(scan, pdftest.Page{JPEG: pdftest.JPEG(1200, 860, uint64(i))})
		}
		cases = append(cases, pdftest.Hostile{Name: "(well-formed 40 MB scan)", Data: pdftest.PDF(scan...)})
	}
	for _, h := range cases {
		for _, ep := range eps {
			var err error
			u := pdftest.Measure(func() {
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				defer cancel()
				err = ep.run(ctx, h.Data)
			})
			outcome := "accepted"
			if err != nil {
				outcome = fmt.Sprintf("refused (%s)", naskah.ErrorCode(err))
			}
			t.Logf("%-40s %6.1f MB  %-18s %s  %s", h.Name, float64(len(h.Data))/(1<<20), ep.name, u, outcome)
			if u.PeakHeap > heapGoal && h.Name[0] != '(' {
				t.Errorf("%s through %s: got %.0f MB peak heap, want < %d MB", h.Name, ep.name, float64(u.PeakHeap)/(1<<20), heapGoal>>20)
			}
		}
	}
}
