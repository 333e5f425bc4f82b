package bleve

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/blevesearch/bleve/v2/index/scorch"

	"github.com/bpom/naskah/search"
)

func segments(t *testing.T, i *Index) int {
	t.Helper()
	adv, err := i.idx.Advanced()
	if err != nil {
		t.Fatal(err)
	}
	r, err := adv.Reader()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	return len(r.(*scorch.IndexSnapshot).Segments())
}

// Once writes pause, an on-disk index is merged into one segment, and
// searches see the same documents before and after.
func TestCompaction(t *testing.T) {
	i, err := Open(filepath.Join(t.TempDir(), "index"))
	if err != nil {
		t.Fatal(err)
	}
	defer i.Close()
	ctx := t.Context()
	for b := range 6 {
		var docs []search.Doc
		for k := range 20 {
			docs = append(docs, search.Doc{ID: fmt.Sprintf("d%d_%d", b, k), Type: search.TypeAgreement, Kind: "mou", Title: "kerja sama pangan"})
		}
		if err := i.Upsert(ctx, docs...); err != nil {
			t.Fatal(err)
		}
	}
	if err := i.Delete(ctx, "d0_0", "d5_19"); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d segments after the writes", segments(t, i))
	i.compact(ctx) // what the compactor runs once writes pause
	deadline := time.Now().Add(20 * time.Second)
	for segments(t, i) > 1 {
		if time.Now().After(deadline) {
			t.Fatalf("still %d segments", segments(t, i))
		}
		time.Sleep(100 * time.Millisecond)
	}
	res, err := i.Search(ctx, search.Query{Text: "pangan", Facets: []string{search.FieldKind}, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	if res.Total != 118 || len(res.Hits) != 100 || res.Facets[search.FieldKind][0].Count != 118 {
		t.Fatalf("after compaction: total %d, %d hits, facets %v", res.Total, len(res.Hits), res.Facets)
	}
}
