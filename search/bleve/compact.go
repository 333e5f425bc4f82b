package bleve

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/blevesearch/bleve/v2/index/scorch"
)

// Compaction: scorch leaves an index built by many batches in several
// segments (five for 10,000 agreements upserted 500 at a time), and every
// query term then costs a dictionary lookup and a posting-list walk per
// segment. Once writes have paused for compactQuiet, the compactor merges
// the segments into one. A full merge rewrites the index, so after one
// that took d the next waits at least compactSpacing×d: merging costs at
// most a few percent of one core however often single documents arrive.
const (
	compactQuiet   = time.Second
	compactSpacing = 20
)

type compactor struct {
	wrote    chan struct{} // a write started or ended
	inflight atomic.Int64  // writes in progress
	stop     chan struct{}
	done     chan struct{}
	ctx      context.Context
	cancel   context.CancelFunc
}

// startCompactor runs the compactor for an on-disk index.
func (i *Index) startCompactor() {
	c := &compactor{wrote: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	i.compactor = c
	go i.compactLoop(c)
}

func (c *compactor) signal() {
	select {
	case c.wrote <- struct{}{}:
	default:
	}
}

// close stops the compactor; call it after the index is closed, which
// ends a merge in progress.
func (c *compactor) close() {
	c.cancel()
	close(c.stop)
	<-c.done
}

func (i *Index) compactLoop(c *compactor) {
	defer close(c.done)
	var next time.Time // no compaction before this
	for {
		select {
		case <-c.stop:
			return
		case <-c.wrote:
		}
		t := time.NewTimer(max(compactQuiet, time.Until(next)))
	quiet:
		for {
			select {
			case <-c.stop:
				t.Stop()
				return
			case <-c.wrote:
				t.Reset(max(compactQuiet, time.Until(next)))
			case <-t.C:
				if c.inflight.Load() == 0 {
					break quiet
				}
				t.Reset(compactQuiet)
			}
		}
		start := time.Now()
		if i.compact(c.ctx) {
			next = time.Now().Add(compactSpacing * time.Since(start))
		}
	}
}

// compact merges the index into one segment; false when there was nothing
// to merge, or the merge failed. A panic in the merge (segment code on a
// full disk) ends this attempt, not the process: the next write retries.
func (i *Index) compact(ctx context.Context) (merged bool) {
	defer func() {
		if r := recover(); r != nil {
			merged = false
		}
	}()
	adv, err := i.idx.Advanced()
	if err != nil {
		return false
	}
	s, ok := adv.(*scorch.Scorch)
	if !ok {
		return false
	}
	r, err := s.Reader()
	if err != nil {
		return false
	}
	n := 0
	if snap, ok := r.(*scorch.IndexSnapshot); ok {
		n = len(snap.Segments())
	}
	r.Close()
	if n <= 1 {
		return false
	}
	return s.ForceMerge(ctx, nil) == nil
}
