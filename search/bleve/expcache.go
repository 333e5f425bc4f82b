package bleve

import (
	"container/list"
	"sync"
)

// expCache remembers the expansion of query words (typo, prefix and
// synonym terms, see expand). An expansion depends only on the word and the
// term dictionaries, which change only when the index is written: entries
// are keyed by the index's write generation, and a newer generation empties
// the cache. Least recently used entries go first.
type expCache struct {
	mu    sync.Mutex
	gen   uint64
	max   int
	ll    *list.List // of *expEntry, most recently used first
	items map[expKey]*list.Element
}

type expKey struct {
	term            string
	prefix, synonym bool
}

type expEntry struct {
	key   expKey
	terms []expTerm // shared: callers must not modify
}

func newExpCache(max int) *expCache {
	return &expCache{max: max, ll: list.New(), items: map[expKey]*list.Element{}}
}

func (c *expCache) get(gen uint64, k expKey) ([]expTerm, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return nil, false
	}
	e, ok := c.items[k]
	if !ok {
		return nil, false
	}
	c.ll.MoveToFront(e)
	return e.Value.(*expEntry).terms, true
}

func (c *expCache) put(gen uint64, k expKey, terms []expTerm) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case gen < c.gen:
		return // computed before a write; a newer search will redo it
	case gen > c.gen:
		c.gen = gen
		c.ll.Init()
		clear(c.items)
	}
	if e, ok := c.items[k]; ok {
		c.ll.MoveToFront(e)
		e.Value.(*expEntry).terms = terms
		return
	}
	c.items[k] = c.ll.PushFront(&expEntry{k, terms})
	if c.ll.Len() > c.max {
		last := c.ll.Back()
		c.ll.Remove(last)
		delete(c.items, last.Value.(*expEntry).key)
	}
}
