package search_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/bpom/naskah"
	"github.com/bpom/naskah/search"
	"github.com/bpom/naskah/search/bleve"
)

type panicky struct {
	search.Index
	panics bool
}

func (p *panicky) Upsert(ctx context.Context, docs ...search.Doc) error {
	if p.panics {
		panic("zapx: assignment to entry in nil map")
	}
	return p.Index.Upsert(ctx, docs...)
}

// A panicking backend is reopened before the next write; a rebuild in
// progress refuses searches but takes writes.
func TestGuardReopensAfterPanicAndRefusesWhileRebuilding(t *testing.T) {
	ctx := context.Background()
	first, err := bleve.OpenMem()
	if err != nil {
		t.Fatal(err)
	}
	g := search.NewGuard(&panicky{Index: first, panics: true}, nil)
	reopened := 0
	g.Reopen = func(context.Context) (search.Index, error) {
		reopened++
		return bleve.OpenMem()
	}
	defer g.Close()
	doc := search.Doc{ID: "a1", Type: search.TypeAgreement, Title: "Kerja sama pangan"}
	if err := g.Upsert(ctx, doc); naskah.ErrorCode(err) != naskah.EUNAVAILABLE {
		t.Fatalf("panicking upsert: %v, want EUNAVAILABLE", err)
	}
	if _, err := g.Search(ctx, search.Query{}); naskah.ErrorMessage(err) != search.UnavailableMessage {
		t.Fatalf("search after a panic: %v", err)
	}
	if err := g.Upsert(ctx, doc); err != nil || reopened != 1 {
		t.Fatalf("upsert after the panic: %v, reopened %d times, want once", err, reopened)
	}
	if res, err := g.Search(ctx, search.Query{}); err != nil || res.Total != 1 {
		t.Fatalf("search after the reopen: %v %+v", err, res)
	}
	g.SetRebuilding(true)
	if _, err := g.Search(ctx, search.Query{}); naskah.ErrorCode(err) != naskah.EUNAVAILABLE {
		t.Fatalf("search while rebuilding: %v, want EUNAVAILABLE", err)
	}
	if err := g.Upsert(ctx, search.Doc{ID: "a2", Type: search.TypeAgreement}); err != nil || g.Health(ctx) != nil {
		t.Fatalf("write or health while rebuilding: %v / %v", err, g.Health(ctx))
	}
	g.SetRebuilding(false)
	if res, err := g.Search(ctx, search.Query{}); err != nil || res.Total != 2 {
		t.Fatalf("search after the rebuild: %v %+v", err, res)
	}
}

// Writers that meet a panicked backend together reopen it once.
func TestGuardReopensOnce(t *testing.T) {
	ctx := context.Background()
	first, err := bleve.OpenMem()
	if err != nil {
		t.Fatal(err)
	}
	p := &panicky{Index: first, panics: true}
	g := search.NewGuard(p, nil)
	var reopened atomic.Int64
	g.Reopen = func(context.Context) (search.Index, error) {
		reopened.Add(1)
		return bleve.OpenMem()
	}
	defer g.Close()
	_ = g.Upsert(ctx, search.Doc{ID: "a0", Type: search.TypeAgreement})
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			if err := g.Upsert(ctx, search.Doc{ID: fmt.Sprintf("a%d", i+1), Type: search.TypeAgreement}); err != nil {
				t.Errorf("upsert %d after the panic: %v", i, err)
			}
		})
	}
	wg.Wait()
	if n := reopened.Load(); n != 1 {
		t.Fatalf("reopened %d times, want once", n)
	}
}
