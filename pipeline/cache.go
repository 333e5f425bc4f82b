package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	"github.com/bpom/naskah"
	"github.com/bpom/naskah/storage"
)

// recordCache keeps parsed records by their storage version id, so a list
// re-reads only the records that changed since the last one. A version id
// names immutable bytes, so a hit is never stale; correctness across
// replicas still rests on the conditional writes alone.
type recordCache struct {
	mu sync.Mutex
	m  map[string]cachedRecord // agreement id → record at a version
}

type cachedRecord struct {
	version string
	a       *naskah.Agreement
}

// maxCachedRecords bounds the cache's memory (a record is tens of KB).
const maxCachedRecords = 5000

func (c *recordCache) get(id, version string) *naskah.Agreement {
	c.mu.Lock()
	defer c.mu.Unlock()
	if r, ok := c.m[id]; ok && r.version == version && version != "" {
		a := *r.a
		return &a
	}
	return nil
}

func (c *recordCache) put(id, version string, a *naskah.Agreement) {
	if version == "" {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= maxCachedRecords {
		c.m = make(map[string]cachedRecord)
	}
	cp := *a
	c.m[id] = cachedRecord{version, &cp}
}

// loadVersion reads a record at a known storage version, through the cache.
func (e *Engine) loadVersion(ctx context.Context, id, version string) (*naskah.Agreement, error) {
	if a := e.records.get(id, version); a != nil {
		return a, nil
	}
	rc, info, err := e.Store.Get(ctx, naskah.RecordKey(id), storage.GetOptions{VersionID: version})
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	var a naskah.Agreement
	if err := json.NewDecoder(rc).Decode(&a); err != nil {
		return nil, fmt.Errorf("load %s: %w", id, err)
	}
	e.records.put(id, info.VersionID, &a)
	return &a, nil
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
		if a := e.records.get(id, o.VersionID); a != nil {
			loaded[i] = a
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			loaded[i], errs[i] = e.loadVersion(ctx, id, o.VersionID)
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
