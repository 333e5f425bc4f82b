package api_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bpom/naskah"
	"github.com/bpom/naskah/pipeline"
	"github.com/bpom/naskah/search"
)

const benchConns = 32

// BenchmarkLoad measures, in one run against the same MinIO and index,
// uploads of ~1 MB PDFs and searches at 32 concurrent clients over
// loopback HTTP, and the same calls made on the engine directly. Each
// worker uploads to its own agreement (uploads to one agreement are
// serialised by its conditional record write). Run with:
//
//	go test ./api/ -run '^$' -bench Load -benchtime 400x
func BenchmarkLoad(b *testing.B) {
	v := MustStart(b)
	pdfData := megabytePDF()
	b.Logf("upload size %d KB", len(pdfData)>>10)
	ids := make([]string, benchConns)
	for i := range ids {
		ids[i] = v.initiateA(fmt.Sprintf("Nota Kesepahaman Beban %d pengawasan obat", i)).ID
	}
	unit := naskah.Actor{User: "unit", Role: naskah.RoleUnit, Unit: "Direktorat Pengawasan Obat"}
	bkh := naskah.Actor{User: "bkh", Role: naskah.RoleBKH}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: benchConns, MaxConnsPerHost: benchConns}}
	ctx := context.Background()

	uploadHTTP := func(w int) error {
		body, ct := multipartBody(map[string]string{"kind": "nota_dinas"}, "file", "nd.pdf", pdfData)
		req, _ := http.NewRequest("POST", v.base+"/api/v1/agreements/"+ids[w]+"/documents", body)
		req.Header.Set("Content-Type", ct)
		req.Header.Set("Authorization", "Bearer "+v.tokens["unit"])
		return send(client, req, 201)
	}
	uploadEngine := func(w int) error {
		_, err := v.engine.Upload(ctx, pipeline.Request{Actor: unit, ID: ids[w]}, pipeline.Upload{Kind: naskah.DocNotaDinas, FileName: "nd.pdf", Body: bytes.NewReader(pdfData)})
		return err
	}
	searchHTTP := func(int) error {
		req, _ := http.NewRequest("GET", v.base+"/api/v1/search?q=pengawasan&facets=kind,unit", nil)
		req.Header.Set("Authorization", "Bearer "+v.tokens["bkh"])
		return send(client, req, 200)
	}
	searchEngine := func(int) error {
		q, _ := search.Query{Text: "pengawasan", Facets: []string{"kind", "unit"}}.Normalize()
		_, err := v.engine.Search(ctx, bkh, q)
		return err
	}
	for _, bc := range []struct {
		name string
		op   func(w int) error
	}{{"upload-1MB/http", uploadHTTP}, {"upload-1MB/engine", uploadEngine}, {"search/http", searchHTTP}, {"search/engine", searchEngine}} {
		b.Run(bc.name, func(b *testing.B) {
			lat := run(b, bc.op)
			slices.Sort(lat)
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
			b.ReportMetric(float64(lat[len(lat)*50/100].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lat[min(len(lat)-1, len(lat)*99/100)].Microseconds())/1000, "p99-ms")
		})
	}
}

// run spreads b.N calls over benchConns workers and returns each latency.
func run(b *testing.B, op func(w int) error) []time.Duration {
	var next atomic.Int64
	lat := make([]time.Duration, b.N)
	var wg sync.WaitGroup
	var failed atomic.Value
	b.ResetTimer()
	for w := 0; w < benchConns; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(b.N) {
					return
				}
				start := time.Now()
				if err := op(w); err != nil {
					failed.Store(err)
					return
				}
				lat[i] = time.Since(start)
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	if err, _ := failed.Load().(error); err != nil {
		b.Fatal(err)
	}
	return lat
}

func send(c *http.Client, req *http.Request, want int) error {
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		return fmt.Errorf("%s %s: %d %s", req.Method, req.URL.Path, resp.StatusCode, body)
	}
	return nil
}
