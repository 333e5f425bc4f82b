package bleve_test

import (
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
