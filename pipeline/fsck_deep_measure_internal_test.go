package pipeline

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/bpom/naskah"
	"github.com/bpom/naskah/internal/miniotest"
	"github.com/bpom/naskah/storage"
	"github.com/bpom/naskah/storage/local"
	"github.com/bpom/naskah/storage/minio"
)

// TestMeasureDeepCheck measures fsck -deep's reading on the embedded store:
// NASKAH_FSCK_MEASURE_MB=1024 go test -run TestMeasureDeepCheck -v ./pipeline/
// (32 MB versions; the bytes were just written, so they are in the page
// cache: this is the SHA-256 and store overhead, a disk adds its own rate).
func TestMeasureDeepCheck(t *testing.T) {
	mb, _ := strconv.Atoi(os.Getenv("NASKAH_FSCK_MEASURE_MB"))
	if mb <= 0 {
		t.Skip("a measurement: set NASKAH_FSCK_MEASURE_MB (e.g. 1024)")
	}
	t.Run("local", func(t *testing.T) {
		st, err := local.Open(local.Config{Dir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		measureDeep(t, st, mb)
	})
	t.Run("minio", func(t *testing.T) {
		srv := miniotest.Start(t)
		st, err := minio.New(context.Background(), minio.Config{Endpoint: srv.Endpoint, AccessKey: srv.AccessKey, SecretKey: srv.SecretKey,
			Bucket: "naskah-measure", Timeout: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		measureDeep(t, st, mb)
	})
}

func measureDeep(t *testing.T, st storage.Store, mb int) {
	ctx := context.Background()
	const size = 32 << 20
	var jobs []deepJob
	for i := range max(1, mb/32) {
		h := sha256.New()
		key := fmt.Sprintf("agreements/m%d/documents/signed.pdf", i)
		info, err := st.Put(ctx, key, io.TeeReader(io.LimitReader(rand.Reader, size), h), storage.PutOptions{Size: size})
		if err != nil {
			t.Fatal(err)
		}
		jobs = append(jobs, deepJob{id: fmt.Sprint(i), d: naskah.DocumentVersion{Key: key, VersionID: info.VersionID, SHA256: hex.EncodeToString(h.Sum(nil))}})
	}
	e := New(st, nil, DefaultConfig())
	start := time.Now()
	found, n, err := e.deepCheck(ctx, jobs, nil, nil)
	took := time.Since(start)
	if err != nil || len(found) != 0 {
		t.Fatalf("deep check: %v %+v", err, found)
	}
	t.Logf("fsck -deep read %d MB in %v: %.0f MB/s, %.1f s per GB (%d workers)", n>>20, took.Round(time.Millisecond), float64(n)/1e6/took.Seconds(), took.Seconds()/(float64(n)/1e9), deepWorkers)
}
