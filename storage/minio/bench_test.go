package minio

import (
	"context"
	"io"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/bpom/naskah/internal/miniotest"
	"github.com/bpom/naskah/storage"
	"github.com/bpom/naskah/storage/storagetest"
)

const benchSize = 200 << 20

// stream yields n bytes by repeating one random block, so the source itself
// allocates nothing during the benchmark.
type stream struct {
	block []byte
	n     int64
}

func (s *stream) Read(p []byte) (int, error) {
	if s.n <= 0 {
		return 0, io.EOF
	}
	m := copy(p[:min(int64(len(p)), s.n)], s.block[int(s.n)%len(s.block):])
	s.n -= int64(m)
	return m, nil
}

// peakHeap samples HeapInuse until stop is called and returns the peak
// above the level at start, in MB.
func peakHeap() (stop func() float64) {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapInuse
	var peak atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-done:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	})
	return func() float64 {
		close(done)
		wg.Wait()
		return float64(int64(peak.Load())-int64(base)) / (1 << 20)
	}
}

// BenchmarkPut200MB compares Store.Put of a 200 MB stream with a bare
// minio-go PutObject of the same bytes, on the same server, in the same run.
func BenchmarkPut200MB(b *testing.B) {
	srv := miniotest.Start(b)
	s := MustNew(b, srv, "bench", 0)
	bare, err := minio.New(srv.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(srv.AccessKey, srv.SecretKey, "")})
	if err != nil {
		b.Fatal(err)
	}
	block := storagetest.Data(1<<20, 1)
	ctx := context.Background()
	for _, bc := range []struct {
		name string
		size int64
		put  func(r io.Reader, size int64) (string, error)
	}{
		{"Bare/KnownSize", benchSize, func(r io.Reader, size int64) (string, error) {
			up, err := bare.PutObject(ctx, "bench", "bare", r, size, minio.PutObjectOptions{PartSize: DefaultPartSize})
			return up.VersionID, err
		}},
		{"Store/KnownSize", benchSize, func(r io.Reader, size int64) (string, error) {
			info, err := s.Put(ctx, "store", r, storage.PutOptions{Size: size})
			return info.VersionID, err
		}},
		{"Bare/UnknownSize", -1, func(r io.Reader, size int64) (string, error) {
			up, err := bare.PutObject(ctx, "bench", "bare", r, size, minio.PutObjectOptions{PartSize: DefaultPartSize})
			return up.VersionID, err
		}},
		{"Store/UnknownSize", -1, func(r io.Reader, size int64) (string, error) {
			info, err := s.Put(ctx, "store", r, storage.PutOptions{Size: size})
			return info.VersionID, err
		}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(benchSize)
			stop := peakHeap()
			for b.Loop() {
				vid, err := bc.put(&stream{block: block, n: benchSize}, bc.size)
				if err != nil {
					b.Fatal(err)
				}
				// Keep the disk flat so later cases are not slowed by earlier ones.
				b.StopTimer()
				key := map[bool]string{true: "bare", false: "store"}[bc.name[:4] == "Bare"]
				if err := bare.RemoveObject(ctx, "bench", key, minio.RemoveObjectOptions{VersionID: vid}); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
			b.ReportMetric(stop(), "peak-MB")
		})
	}
}
