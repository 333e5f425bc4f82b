package main

import (
	"context"

	"github.com/bpom/naskah/search"
	"github.com/bpom/naskah/search/meili"
)

func openMeili(ctx context.Context, c *Config) (search.Index, error) {
	idx, err := meili.Open(ctx, meili.Config{URL: c.Meili.URL, Key: c.Meili.Key, Index: c.Meili.Index})
	if err != nil {
		return nil, err
	}
	return idx, nil
}
