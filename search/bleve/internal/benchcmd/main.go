// Command benchcmd measures search latency and throughput of the bleve
// adapter against a naive bleve baseline on a synthetic archive.
//
//	go run ./search/bleve/internal/benchcmd -docs 10000 -words 800
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	bv "github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/search/query"

	"github.com/bpom/naskah/search"
	"github.com/bpom/naskah/search/bleve"
	"github.com/bpom/naskah/search/bleve/internal/synth"
)

func main() {
	docs := flag.Int("docs", 10000, "agreements to index")
	words := flag.Int("words", 800, "mean words of text per agreement")
	nq := flag.Int("queries", 1000, "queries timed at 1 client")
	clients := flag.Int("clients", 32, "concurrent clients for the throughput run")
	dur := flag.Duration("duration", 10*time.Second, "length of the throughput run")
	naive := flag.Bool("naive", true, "also measure the naive baseline")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of our adapter's runs")
	flag.Parse()
	if err := run(*docs, *words, *nq, *clients, *dur, *naive, *cpuprofile); err != nil {
		fmt.Fprintln(os.Stderr, "benchcmd:", err)
		os.Exit(1)
	}
}

const settle = 5 * time.Second

func run(ndocs, words, nq, clients int, dur time.Duration, naive bool, cpuprofile string) error {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "naskah-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	start := time.Now()
	c := synth.New(ndocs, words, 1)
	queries := c.Queries(500)
	fmt.Printf("corpus: %d agreements, ~%d words each, vocabulary %d, %d distinct queries (GOMAXPROCS %d), generated in %s\n",
		len(c.Docs), words, len(c.Vocab), len(queries), runtime.GOMAXPROCS(0), time.Since(start).Round(time.Millisecond))

	ours, err := bleve.Open(filepath.Join(dir, "ours"))
	if err != nil {
		return err
	}
	defer ours.Close()
	start = time.Now()
	for k := 0; k < len(c.Docs); k += 500 {
		if err := ours.Upsert(ctx, c.Docs[k:min(k+500, len(c.Docs))]...); err != nil {
			return err
		}
	}
	fmt.Printf("ours:  indexed in %s\n", time.Since(start).Round(time.Millisecond))
	oursSearch := func(q search.Query) (int, error) {
		res, err := ours.Search(ctx, q)
		if err != nil {
			return 0, err
		}
		return res.Total, nil
	}

	var naiveSearch func(q search.Query) (int, error)
	if naive {
		idx, err := bv.NewUsing(filepath.Join(dir, "naive"), bv.NewIndexMapping(), scorch.Name, scorch.Name, nil)
		if err != nil {
			return err
		}
		defer idx.Close()
		start = time.Now()
		for k := 0; k < len(c.Docs); k += 500 {
			b := idx.NewBatch()
			for _, d := range c.Docs[k:min(k+500, len(c.Docs))] {
				if err := b.Index(d.ID, d); err != nil {
					return err
				}
			}
			if err := idx.Batch(b); err != nil {
				return err
			}
		}
		fmt.Printf("naive: indexed in %s\n", time.Since(start).Round(time.Millisecond))
		naiveSearch = func(q search.Query) (int, error) {
			mq := query.NewMatchQuery(q.Text)
			mq.SetFuzziness(1)
			var qq query.Query = mq
			if kinds := q.Filters[search.FieldKind]; len(kinds) > 0 {
				kq := query.NewMatchQuery(kinds[0])
				kq.SetField(search.FieldKind) // bleve names fields by their json tags
				qq = query.NewConjunctionQuery([]query.Query{mq, kq})
			}
			req := bv.NewSearchRequestOptions(qq, q.Limit, 0, false)
			req.AddFacet("kind", bv.NewFacetRequest(search.FieldKind, 10))
			req.AddFacet("unit", bv.NewFacetRequest(search.FieldUnit, 10))
			req.Highlight = bv.NewHighlight()
			res, err := idx.SearchInContext(ctx, req)
			if err != nil {
				return 0, err
			}
			return int(res.Total), nil
		}
	}

	// Let scorch finish merging the segments both builds left behind, so
	// neither run pays for the other's merges.
	time.Sleep(settle)
	if cpuprofile != "" {
		f, err := os.Create(cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		pprof.StartCPUProfile(f)
	}
	if err := measure("ours", oursSearch, queries, nq, clients, dur); err != nil {
		return err
	}
	if cpuprofile != "" {
		pprof.StopCPUProfile()
	}
	if naive {
		if err := measure("naive", naiveSearch, queries, nq, clients, dur); err != nil {
			return err
		}
	}
	return nil
}

func measure(name string, do func(search.Query) (int, error), queries []search.Query, nq, clients int, dur time.Duration) error {
	hits := 0
	for _, q := range queries { // warm caches, check every query runs
		n, err := do(q)
		if err != nil {
			return fmt.Errorf("%s: %q: %w", name, q.Text, err)
		}
		if n > 0 {
			hits++
		}
	}
	lat := make([]time.Duration, 0, nq)
	for k := range nq {
		start := time.Now()
		if _, err := do(queries[k%len(queries)]); err != nil {
			return err
		}
		lat = append(lat, time.Since(start))
	}
	slices.Sort(lat)
	pct := func(p float64) time.Duration { return lat[min(len(lat)-1, int(p*float64(len(lat))))] }

	var done atomic.Int64
	var wg sync.WaitGroup
	deadline := time.Now().Add(dur)
	start := time.Now()
	for cl := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := cl * 7; time.Now().Before(deadline); k++ {
				if _, err := do(queries[k%len(queries)]); err != nil {
					panic(err)
				}
				done.Add(1)
			}
		}()
	}
	wg.Wait()
	qps := float64(done.Load()) / time.Since(start).Seconds()
	fmt.Printf("%-6s 1 client: p50 %6.2f ms  p90 %6.2f ms  p99 %6.2f ms  max %6.2f ms | %d clients: %7.1f q/s | %d/%d queries with hits\n",
		name, ms(pct(0.50)), ms(pct(0.90)), ms(pct(0.99)), ms(lat[len(lat)-1]), clients, qps, hits, len(queries))
	return nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
