package pipeline

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/bpom/naskah"
	"github.com/bpom/naskah/storage"
)

// recordCache keeps parsed records by their ETag, so a list re-reads only
// the records that changed since the last one (a listing carries ETags, not
// always version ids). An ETag names the bytes (a content hash on S3, the
// version on the local store), so a hit is never stale; correctness across
// replicas still rests on the conditional writes alone.
type recordCache struct {
	mu sync.Mutex
	m  map[string]cachedRecord // agreement id → record with that ETag
}

type cachedRecord struct {
	etag string
	a    *naskah.Agreement
}

// maxCachedRecords bounds the cache's memory (a record is tens of KB).
const maxCachedRecords = 5000

func (c *recordCache) get(id, etag string) *naskah.Agreement {
	c.mu.Lock()
	defer c.mu.Unlock()
	if r, ok := c.m[id]; ok && r.etag == etag && etag != "" {
		a := *r.a
		return &a
	}
	return nil
}

func (c *recordCache) put(id, etag string, a *naskah.Agreement) {
	if etag == "" {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= maxCachedRecords {
		c.m = make(map[string]cachedRecord)
	}
	cp := *a
	c.m[id] = cachedRecord{etag, &cp}
}

// loadListed returns a listed record: from the cache when its ETag is
// unchanged, else read anew (possibly newer than the listing).
func (e *Engine) loadListed(ctx context.Context, id, etag string) (*naskah.Agreement, error) {
	if a := e.records.get(id, etag); a != nil {
		return a, nil
	}
	a, _, err := e.Load(ctx, id)
	return a, err
}

// List returns the agreements the actor may see, newest first. Records
// that did not change since the last list come from the cache; the others
// are read a few at a time.
func (e *Engine) List(ctx context.Context, actor naskah.Actor) ([]*naskah.Agreement, error) {
	objs, err := e.Store.List(ctx, "agreements/")
	if err != nil {
		return nil, fmt.Errorf("list agreements: %w", err)
	}
	var recs []storage.ObjectInfo
	for _, o := range objs {
		if strings.HasSuffix(o.Key, "/record.json") {
			recs = append(recs, o)
		}
	}
	loaded := make([]*naskah.Agreement, len(recs))
	errs := make([]error, len(recs))
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	for i, o := range recs {
		id := strings.TrimSuffix(strings.TrimPrefix(o.Key, "agreements/"), "/record.json")
		if a := e.records.get(id, o.ETag); a != nil {
			loaded[i] = a
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			loaded[i], errs[i] = e.loadListed(ctx, id, o.ETag)
		}()
	}
	wg.Wait()
	var out []*naskah.Agreement
	for i := len(recs) - 1; i >= 0; i-- {
		if errs[i] != nil {
			if naskah.ErrorCode(errs[i]) == naskah.ENOTFOUND {
				continue // deleted between list and load
			}
			return nil, errs[i]
		}
		if actor.CanSee(loaded[i]) {
			out = append(out, loaded[i])
		}
	}
	return out, nil
}
