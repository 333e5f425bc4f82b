package bleve_test

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/bpom/naskah/search"
	"github.com/bpom/naskah/search/bleve"
	"github.com/bpom/naskah/search/searchtest"
)

func TestConformance(t *testing.T) {
	searchtest.Run(t, func(t *testing.T) search.Index {
		return MustOpenMem(t)
	})
}

func TestConformanceOnDisk(t *testing.T) {
	searchtest.Run(t, func(t *testing.T) search.Index {
		idx, err := bleve.Open(filepath.Join(t.TempDir(), "index"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { idx.Close() })
		return idx
	})
}

// MustOpenMem returns an empty in-memory index closed at the end of the test.
func MustOpenMem(tb testing.TB) *bleve.Index {
	tb.Helper()
	idx, err := bleve.OpenMem()
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { idx.Close() })
	return idx
}

// A word below the typo threshold that is not the last word matches only
// itself, not every indexed word it begins (a bug that once made "in"
// match "informasi" and every other word starting with "in").
func TestShortWordExact(t *testing.T) {
	idx := MustOpenMem(t)
	ctx := t.Context()
	if err := idx.Upsert(ctx,
		search.Doc{ID: "a1", Type: search.TypeAgreement, Title: "Pertukaran informasi keamanan pangan"},
		search.Doc{ID: "a2", Type: search.TypeAgreement, Title: "Cooperation in keamanan pangan"},
	); err != nil {
		t.Fatal(err)
	}
	res, err := idx.Search(ctx, search.Query{Text: "in keamanan"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Total != 1 || res.Hits[0].ID != "a2" {
		t.Fatalf("in keamanan: got %d hits %+v, want only a2", res.Total, res.Hits)
	}
	// as the last word, "inf" is a prefix
	if res, err = idx.Search(ctx, search.Query{Text: "keamanan inf"}); err != nil || res.Total != 1 || res.Hits[0].ID != "a1" {
		t.Fatalf("keamanan inf: got %v %+v, want only a1", err, res)
	}
}

// Facet counts follow writes: the per-snapshot value tables are rebuilt
// for the snapshot a search runs on.
func TestFacetsAfterWrites(t *testing.T) {
	idx := MustOpenMem(t)
	ctx := t.Context()
	up := func(id, kind string) {
		if err := idx.Upsert(ctx, search.Doc{ID: id, Type: search.TypeAgreement, Kind: kind, Title: "kerja sama " + id}); err != nil {
			t.Fatal(err)
		}
	}
	count := func() map[string]int {
		res, err := idx.Search(ctx, search.Query{Text: "kerja", Facets: []string{search.FieldKind}})
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]int{}
		for _, c := range res.Facets[search.FieldKind] {
			m[c.Value] = c.Count
		}
		return m
	}
	up("a1", "mou")
	up("a2", "mou")
	if got := count(); got["mou"] != 2 || len(got) != 1 {
		t.Fatalf("got %v", got)
	}
	up("a2", "pks")
	up("a3", "loi")
	if got := count(); got["mou"] != 1 || got["pks"] != 1 || got["loi"] != 1 || len(got) != 3 {
		t.Fatalf("after update: got %v", got)
	}
	if err := idx.Delete(ctx, "a1"); err != nil {
		t.Fatal(err)
	}
	if got := count(); got["mou"] != 0 || len(got) != 2 {
		t.Fatalf("after delete: got %v", got)
	}
}

// Equal scores: pages of one snapshot neither overlap nor skip, and ties
// within a page are in ID order.
func TestPagesWithTies(t *testing.T) {
	idx := MustOpenMem(t)
	ctx := t.Context()
	var docs []search.Doc
	for k := range 30 {
		docs = append(docs, search.Doc{ID: fmt.Sprintf("d%02d", (k*7)%30), Type: search.TypeAgreement, Title: "kerja sama"})
	}
	if err := idx.Upsert(ctx, docs...); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for off := 0; off < 30; off += 7 {
		res, err := idx.Search(ctx, search.Query{Text: "kerja", Offset: off, Limit: 7})
		if err != nil {
			t.Fatal(err)
		}
		if res.Total != 30 {
			t.Fatalf("total %d, want 30", res.Total)
		}
		for k, h := range res.Hits {
			if seen[h.ID] {
				t.Fatalf("offset %d: %s on an earlier page too", off, h.ID)
			}
			seen[h.ID] = true
			if k > 0 && h.Score == res.Hits[k-1].Score && h.ID < res.Hits[k-1].ID {
				t.Fatalf("offset %d: ties not in ID order: %s after %s", off, h.ID, res.Hits[k-1].ID)
			}
		}
	}
	if len(seen) != 30 {
		t.Fatalf("pages covered %d of 30 documents", len(seen))
	}
}
