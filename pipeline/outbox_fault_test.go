package pipeline_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bpom/naskah"
	"github.com/bpom/naskah/search"
	"github.com/bpom/naskah/search/bleve"
)

// faultyIndex is a real bleve index whose writes panic (as zapx did on a
// full disk) or fail while fault is set.
type faultyIndex struct {
	search.Index
	mode   atomic.Value // "", "panic" or "error"
	writes atomic.Int64 // attempted writes
}

func (f *faultyIndex) fault() {
	f.writes.Add(1)
	if f.mode.Load() == "panic" {
		var m map[string]int
		m["segment"]++ // panic: assignment to entry in nil map
	}
}

func (f *faultyIndex) Upsert(ctx context.Context, docs ...search.Doc) error {
	if f.mode.Load() == "error" {
		f.writes.Add(1)
		return naskah.Errorf(naskah.EINTERNAL, "bleve: upsert: write index/000042.zap: no space left on device")
	}
	f.fault()
	return f.Index.Upsert(ctx, docs...)
}

func (f *faultyIndex) Delete(ctx context.Context, ids ...string) error {
	if f.mode.Load() == "error" {
		f.writes.Add(1)
		return naskah.Errorf(naskah.EINTERNAL, "bleve: delete: no space left on device")
	}
	f.fault()
	return f.Index.Delete(ctx, ids...)
}

// An index that panics or fails on every write takes nothing down: actions
// commit, the updates wait in the outbox, searches answer EUNAVAILABLE with
// the retry message, and once the fault clears the worker applies them
// without a restart.
func TestOutboxSurvivesIndexPanicsAndErrors(t *testing.T) {
	for _, mode := range []string{"panic", "error"} {
		t.Run(mode, func(t *testing.T) {
			h := newHarness(t, mustLocalStore(t), nil)
			ctx := context.Background()
			mem, err := bleve.OpenMem()
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { mem.Close() })
			fi := &faultyIndex{Index: mem}
			fi.mode.Store(mode)
			g := search.NewGuard(fi, nil)
			h.e.Index = g
			runCtx, cancel := context.WithCancel(ctx)
			done := make(chan struct{})
			go func() { h.e.RunOutbox(runCtx); close(done) }()
			defer func() { cancel(); <-done }()

			var ids []string
			for _, title := range []string{"MoU Pengawasan Obat Tradisional", "PKS Sertifikasi Halal Pangan", "MoU Keamanan Kosmetik"} {
				a, err := h.e.Initiate(ctx, unit, naskah.Agreement{Title: title, Kind: naskah.KindMoU, Process: naskah.ProcessDomestic,
					Partner: naskah.Partner{Name: "Kementerian Kesehatan", Kind: naskah.PartnerGovernment, Country: "ID"}}, "")
				if err != nil {
					t.Fatalf("commit with the index %sing: %v", mode, err)
				}
				h.upload(unit, a, naskah.DocInitialDraft)
				ids = append(ids, a.ID)
				h.e.Kick()
			}
			waitFor(t, "the worker to try the index", func() bool { return fi.writes.Load() >= 2 })
			if n, _ := h.e.Pending(ctx); n != 3 {
				t.Fatalf("pending = %d, want 3 (every update waits in the outbox)", n)
			}
			if err := h.e.OutboxErr(); naskah.ErrorCode(err) != naskah.EUNAVAILABLE {
				t.Fatalf("outbox last error = %v, want EUNAVAILABLE", err)
			}
			_, err = h.e.Search(ctx, unit, search.Query{Text: "halal"})
			if naskah.ErrorCode(err) != naskah.EUNAVAILABLE || naskah.ErrorMessage(err) != search.UnavailableMessage {
				t.Fatalf("search with the index down: %v, want EUNAVAILABLE %q", err, search.UnavailableMessage)
			}
			if err := g.Health(ctx); err == nil {
				t.Fatalf("health with the index down is nil")
			}
			// Records keep committing and reading.
			if _, err := h.e.Get(ctx, unit, ids[0]); err != nil {
				t.Fatalf("read a record with the index down: %v", err)
			}
			t.Logf("%s: %d write attempts refused, %d updates waiting, search: %v", mode, fi.writes.Load(), 3, err)

			fi.mode.Store("")
			h.e.Kick()
			waitFor(t, "the outbox to drain after the fault cleared", func() bool {
				n, _ := h.e.Pending(ctx)
				return n == 0
			})
			for _, id := range ids {
				res, err := h.e.Search(ctx, unit, search.Query{Filters: map[string][]string{"agreement_id": {id}}, Type: search.TypeAgreement})
				if err != nil || res.Total != 1 {
					t.Fatalf("agreement %s not searchable after recovery: %v %+v", id, err, res)
				}
			}
			if g.Down() != nil || h.e.OutboxErr() != nil {
				t.Fatalf("still down after recovery: %v / %v", g.Down(), h.e.OutboxErr())
			}
		})
	}
}

// waitFor polls cond for up to two minutes (the worker backs off 1 s, 2 s, 4 s...).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
