package bleve

import (
	"context"
	"encoding/binary"
	"fmt"
	"sync"

	"github.com/blevesearch/bleve/v2/index/scorch"
	bsearch "github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/collector"
	index "github.com/blevesearch/bleve_index_api"

	"github.com/bpom/naskah/search"
)

// Facets are counted by us rather than by bleve: bleve's facets read the
// doc values of every match (a chunk decode and a visitor call per match
// and field), and needing them also keeps bleve's collector off its fast
// path. Instead, per index snapshot and facet field, a table maps each
// document number to the ordinal of its value, built once from the
// field's term dictionary and posting lists; counting a match is then one
// array read per facet field. Facet fields are single-valued keywords.

// facetTable is one field's values in one snapshot.
type facetTable struct {
	values []string // ordinal-1 → value
	ords   []uint32 // document number → ordinal (0: no value)
}

// facetTables caches the tables of the snapshot searched last.
type facetTables struct {
	mu     sync.Mutex
	snap   index.IndexReader // identity only
	tables map[string]*facetTable
}

func (ft *facetTables) get(ctx context.Context, r index.IndexReader, field string) (*facetTable, error) {
	ft.mu.Lock()
	if ft.snap == r {
		if t, ok := ft.tables[field]; ok {
			ft.mu.Unlock()
			return t, nil
		}
	}
	ft.mu.Unlock()

	t, err := buildFacetTable(ctx, r, field)
	if err != nil {
		return nil, err
	}
	ft.mu.Lock()
	if ft.snap != r {
		ft.snap, ft.tables = r, map[string]*facetTable{}
	}
	ft.tables[field] = t
	ft.mu.Unlock()
	return t, nil
}

func docNum(id index.IndexInternalID) (uint64, bool) {
	if len(id) != 8 {
		return 0, false
	}
	return binary.BigEndian.Uint64(id), true
}

func buildFacetTable(ctx context.Context, r index.IndexReader, field string) (*facetTable, error) {
	t := &facetTable{}
	d, err := r.FieldDict(field)
	if err != nil {
		return nil, err
	}
	var terms []string
	for e, err := d.Next(); e != nil && err == nil; e, err = d.Next() {
		terms = append(terms, e.Term)
	}
	d.Close()
	for _, term := range terms {
		tfr, err := r.TermFieldReader(ctx, []byte(term), field, false, false, false)
		if err != nil {
			return nil, err
		}
		t.values = append(t.values, term)
		ord := uint32(len(t.values))
		var tfd index.TermFieldDoc
		for {
			doc, err := tfr.Next(&tfd)
			if err != nil {
				tfr.Close()
				return nil, err
			}
			if doc == nil {
				break
			}
			n, ok := docNum(doc.ID)
			if !ok {
				continue
			}
			if n >= uint64(len(t.ords)) {
				t.ords = append(t.ords, make([]uint32, int(n)+1-len(t.ords))...)
			}
			t.ords[n] = ord
			tfd.Reset()
		}
		tfr.Close()
	}
	return t, nil
}

// facetCounter counts the matches of one search.
type facetCounter struct {
	fields []string
	tables []*facetTable
	counts [][]int // per field, per ordinal
}

func (i *Index) newFacetCounter(ctx context.Context, r index.IndexReader, fields []string) (*facetCounter, error) {
	fc := &facetCounter{fields: fields}
	for _, f := range fields {
		t, err := i.facets.get(ctx, r, f)
		if err != nil {
			return nil, err
		}
		fc.tables = append(fc.tables, t)
		fc.counts = append(fc.counts, make([]int, len(t.values)+1))
	}
	return fc, nil
}

func (fc *facetCounter) add(id index.IndexInternalID) {
	n, ok := docNum(id)
	if !ok {
		return
	}
	for k, t := range fc.tables {
		if n < uint64(len(t.ords)) {
			fc.counts[k][t.ords[n]]++
		}
	}
}

// result returns the counts as Result.Facets wants them: requested facets
// only, values by count then value, at most maxFacetValues each.
func (fc *facetCounter) result() map[string][]search.FacetCount {
	out := make(map[string][]search.FacetCount, len(fc.fields))
	for k, f := range fc.fields {
		list := []search.FacetCount{}
		for ord, c := range fc.counts[k] {
			if ord > 0 && c > 0 && fc.tables[k].values[ord-1] != "" {
				list = append(list, search.FacetCount{Value: fc.tables[k].values[ord-1], Count: c})
			}
		}
		search.SortFacetCounts(list)
		out[f] = list[:min(len(list), maxFacetValues)]
	}
	return out
}

// collection is what Search learns from bleve's collector: the snapshot
// it searched (referenced until release, so the page's stored fields are
// read from the very snapshot that matched them) and the facet counts.
type collection struct {
	snap   *scorch.IndexSnapshot
	facets *facetCounter
}

func (c *collection) release() {
	if c.snap != nil {
		c.snap.DecRef()
		c.snap = nil
	}
}

// collecting returns ctx making bleve's collector hand its snapshot to c
// and, when facets are requested, pass every match to c.facets before
// collecting it.
func (i *Index) collecting(ctx context.Context, facets []string, c *collection) context.Context {
	return context.WithValue(ctx, bsearch.MakeDocumentMatchHandlerKey, bsearch.MakeDocumentMatchHandler(
		func(sc *bsearch.SearchContext) (bsearch.DocumentMatchHandler, bool, error) {
			next, loadID, err := collector.MakeTopNDocumentMatchHandler(sc)
			if err != nil {
				return nil, false, err
			}
			snap, ok := sc.IndexReader.(*scorch.IndexSnapshot)
			if !ok {
				return nil, false, fmt.Errorf("index reader is a %T, want a scorch snapshot", sc.IndexReader)
			}
			c.release()
			snap.AddRef()
			c.snap = snap
			if len(facets) == 0 {
				return next, loadID, nil
			}
			fc, err := i.newFacetCounter(ctx, sc.IndexReader, facets)
			if err != nil {
				return nil, false, err
			}
			c.facets = fc
			return func(d *bsearch.DocumentMatch) error {
				if d != nil {
					fc.add(d.IndexInternalID)
				}
				return next(d)
			}, loadID, nil
		}))
}

// visitStored calls fn with the stored fields of the document numbered
// doc in snap. The value is valid only during the call.
func visitStored(snap *scorch.IndexSnapshot, doc uint64, fn func(field string, val []byte)) error {
	segs := snap.Segments()
	var base uint64
	for _, seg := range segs {
		size := uint64(seg.FullSize())
		if doc < base+size {
			return seg.VisitDocument(doc-base, func(field string, _ byte, val []byte, _ []uint64) bool {
				fn(field, val)
				return true
			})
		}
		base += size
	}
	return fmt.Errorf("document number %d not in the snapshot", doc)
}
