package main

import (
	"context"
	"errors"

	"github.com/bpom/naskah/search"
)

func openMeili(ctx context.Context, c *Config) (search.Index, error) {
	return nil, errors.New("meilisearch adapter not wired yet")
}
