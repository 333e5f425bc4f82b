// Package bleve is the embedded search.Index: a bleve (scorch) index in a
// directory under the data directory, or in memory for tests.
package bleve

import (
	"cmp"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	bv "github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"

	"github.com/bpom/naskah"
	"github.com/bpom/naskah/search"
)

var _ search.Index = (*Index)(nil)

const schemaKey = "naskah_schema"

// Index is a bleve-backed search.Index. Safe for concurrent use.
type Index struct {
	mu     sync.RWMutex // write-locked only by Close, so a search never races the close
	idx    bv.Index
	closed bool
	// gen counts writes (batches applied); expansions cached under an
	// older generation are not used.
	gen       atomic.Uint64
	cache     *expCache
	compactor *compactor // nil in memory
	facets    facetTables
}

// expCacheSize bounds the cached word expansions (each a few dozen terms).
const expCacheSize = 8192

func wrap(idx bv.Index) *Index {
	return &Index{idx: idx, cache: newExpCache(expCacheSize)}
}

// batch applies b and moves to the next write generation.
func (i *Index) batch(b *bv.Batch) error {
	defer i.gen.Add(1)
	if c := i.compactor; c != nil {
		c.inflight.Add(1)
		c.signal()
		defer func() {
			c.inflight.Add(-1)
			c.signal()
		}()
	}
	return i.idx.Batch(b)
}

// Open opens the index in dir, creating it (and dir) when absent. An index
// written with another schema is an EINVALID error: delete dir and run
// `naskah reindex`.
func Open(dir string) (*Index, error) {
	if _, err := os.Stat(filepath.Join(dir, "index_meta.json")); err == nil {
		idx, err := bv.Open(dir)
		if err != nil {
			return nil, naskah.WrapError(naskah.EUNAVAILABLE, err, "bleve: open search index %s: check the directory is readable and not used by another naskah process", dir)
		}
		v, err := idx.GetInternal([]byte(schemaKey))
		if err != nil || string(v) != schemaVersion {
			idx.Close()
			return nil, naskah.Errorf(naskah.EINVALID, "bleve: search index %s has schema %q, want %q: delete the directory and run `naskah reindex`", dir, v, schemaVersion)
		}
		i := wrap(idx)
		i.startCompactor()
		return i, nil
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return nil, naskah.WrapError(naskah.EUNAVAILABLE, err, "bleve: create %s: check permissions on the data directory", dir)
	}
	m, err := newMapping()
	if err != nil {
		return nil, naskah.WrapError(naskah.EINTERNAL, err, "bleve: mapping")
	}
	idx, err := bv.NewUsing(dir, m, scorch.Name, scorch.Name, nil)
	if err != nil {
		return nil, naskah.WrapError(naskah.EUNAVAILABLE, err, "bleve: create search index %s: check permissions on the data directory", dir)
	}
	i, err := newIndex(idx)
	if err == nil {
		i.startCompactor()
	}
	return i, err
}

// OpenMem returns an empty in-memory index (tests, benchmarks).
func OpenMem() (*Index, error) {
	m, err := newMapping()
	if err != nil {
		return nil, naskah.WrapError(naskah.EINTERNAL, err, "bleve: mapping")
	}
	// scorch without a path keeps its segments in memory; unlike
	// bv.NewMemOnly (upsidedown) it has the fuzzy term dictionary we use.
	idx, err := bv.NewUsing("", m, scorch.Name, scorch.Name, nil)
	if err != nil {
		return nil, naskah.WrapError(naskah.EINTERNAL, err, "bleve: create in-memory index")
	}
	return newIndex(idx)
}

func newIndex(idx bv.Index) (*Index, error) {
	if err := idx.SetInternal([]byte(schemaKey), []byte(schemaVersion)); err != nil {
		idx.Close()
		return nil, naskah.WrapError(naskah.EUNAVAILABLE, err, "bleve: write schema version")
	}
	return wrap(idx), nil
}

// acquire read-locks the index for one operation; release with i.mu.RUnlock.
func (i *Index) acquire(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return naskah.WrapError(naskah.EUNAVAILABLE, err, "bleve: request cancelled or timed out; try again")
	}
	i.mu.RLock()
	if i.closed {
		i.mu.RUnlock()
		return search.ErrClosed("bleve")
	}
	return nil
}

// translate turns a bleve error into ours.
func translate(err error, op string) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, bv.ErrorIndexClosed):
		return search.ErrClosed("bleve")
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return naskah.WrapError(naskah.EUNAVAILABLE, err, "bleve: %s cancelled or timed out; try again", op)
	}
	return naskah.WrapError(naskah.EINTERNAL, err, "bleve: %s", op)
}

// Upsert implements search.Index.
func (i *Index) Upsert(ctx context.Context, docs ...search.Doc) error {
	for k := range docs {
		if err := docs[k].Validate(); err != nil {
			return err
		}
	}
	if err := i.acquire(ctx); err != nil {
		return err
	}
	defer i.mu.RUnlock()
	b := i.idx.NewBatch()
	for _, d := range docs {
		if err := b.Index(d.ID, toBleve(d)); err != nil {
			return translate(err, "index "+d.ID)
		}
	}
	return translate(i.batch(b), "upsert")
}

// Delete implements search.Index.
func (i *Index) Delete(ctx context.Context, ids ...string) error {
	if err := i.acquire(ctx); err != nil {
		return err
	}
	defer i.mu.RUnlock()
	b := i.idx.NewBatch()
	for _, id := range ids {
		b.Delete(id)
	}
	return translate(i.batch(b), "delete")
}

// DeleteAll implements search.Index. It deletes page by page, so searches
// keep working while it runs.
func (i *Index) DeleteAll(ctx context.Context) error {
	if err := i.acquire(ctx); err != nil {
		return err
	}
	defer i.mu.RUnlock()
	for {
		req := bv.NewSearchRequestOptions(bv.NewMatchAllQuery(), 1000, 0, false)
		req.SortBy([]string{"_id"})
		res, err := i.idx.SearchInContext(ctx, req)
		if err != nil {
			return translate(err, "delete all")
		}
		if len(res.Hits) == 0 {
			return nil
		}
		b := i.idx.NewBatch()
		for _, h := range res.Hits {
			b.Delete(h.ID)
		}
		if err := i.batch(b); err != nil {
			return translate(err, "delete all")
		}
	}
}

// Count implements search.Index.
func (i *Index) Count(ctx context.Context) (int, error) {
	if err := i.acquire(ctx); err != nil {
		return 0, err
	}
	defer i.mu.RUnlock()
	n, err := i.idx.DocCount()
	return int(n), translate(err, "count")
}

// Health implements search.Index.
func (i *Index) Health(ctx context.Context) error {
	if err := i.acquire(ctx); err != nil {
		return err
	}
	defer i.mu.RUnlock()
	_, err := i.idx.DocCount()
	return translate(err, "health")
}

// Close implements search.Index.
func (i *Index) Close() error {
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.closed {
		return nil
	}
	i.closed = true
	err := i.idx.Close()
	if i.compactor != nil {
		i.compactor.close()
	}
	return translate(err, "close")
}

// Search implements search.Index.
func (i *Index) Search(ctx context.Context, q search.Query) (*search.Result, error) {
	start := time.Now()
	q, err := q.Normalize()
	if err != nil {
		return nil, err
	}
	if err := i.acquire(ctx); err != nil {
		return nil, err
	}
	defer i.mu.RUnlock()

	req, m, err := i.buildRequest(q)
	if err != nil {
		return nil, translate(err, "search")
	}
	res := &search.Result{}
	if req != nil { // nil: some query word matches no indexed term
		var c collection
		defer c.release()
		sr, err := i.idx.SearchInContext(i.collecting(ctx, q.Facets, &c), req)
		if err != nil {
			return nil, translate(err, "search")
		}
		res.Total = int(sr.Total)
		if len(sr.Hits) > 0 && c.snap == nil {
			return nil, translate(errors.New("no snapshot from the collector"), "search")
		}
		for _, h := range sr.Hits {
			hit := search.Hit{ID: h.ID, Score: h.Score}
			var text []string
			var derr error
			err := visitStored(c.snap, h.IndexInternalID.Value(), func(field string, val []byte) {
				switch field {
				case fieldSrc:
					derr = decodeSrc(string(val), &hit.Doc)
				case fieldTextStore:
					if q.Highlight && len(val) > 0 {
						// the value lives only during this call: fragments
						// copies what it keeps
						text = m.fragments(unsafe.String(&val[0], len(val)))
					}
				}
			})
			if err = cmp.Or(err, derr); err != nil {
				return nil, translate(err, "load "+h.ID)
			}
			hit.Type, hit.AgreementID, hit.Title, hit.Number = hit.Doc.Type, hit.Doc.AgreementID, hit.Doc.Title, hit.Doc.Number
			if q.Highlight {
				hit.Snippets = m.snippets(&hit.Doc, text)
			}
			res.Hits = append(res.Hits, hit)
		}
		if q.Sort == search.SortRelevance {
			slices.SortStableFunc(res.Hits, func(a, b search.Hit) int {
				return cmp.Or(cmp.Compare(b.Score, a.Score), strings.Compare(a.ID, b.ID))
			})
		}
		if c.facets != nil {
			res.Facets = c.facets.result()
		}
	}
	if res.Facets == nil && len(q.Facets) > 0 {
		res.Facets = make(map[string][]search.FacetCount, len(q.Facets))
		for _, f := range q.Facets {
			res.Facets[f] = []search.FacetCount{}
		}
	}
	res.Took = time.Since(start)
	return res, nil
}
