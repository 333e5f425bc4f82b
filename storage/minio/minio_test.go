package minio

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bpom/naskah"
	"github.com/bpom/naskah/internal/miniotest"
	"github.com/bpom/naskah/storage"
	"github.com/bpom/naskah/storage/storagetest"
)

// MustNew connects a Store to srv with a fresh bucket.
func MustNew(tb testing.TB, srv *miniotest.Server, bucket string, timeout time.Duration) *Store {
	tb.Helper()
	s, err := New(context.Background(), Config{
		Endpoint: srv.Endpoint, AccessKey: srv.AccessKey, SecretKey: srv.SecretKey,
		Bucket: bucket, Timeout: timeout,
	})
	if err != nil {
		tb.Fatalf("new store on %s: %v", srv.Endpoint, err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	srv := miniotest.Start(t)
	var n atomic.Int64
	storagetest.Run(t, func(t *testing.T) storage.Store {
		return MustNew(t, srv, fmt.Sprintf("naskah-test-%d", n.Add(1)), 0)
	})
}

func TestBucketWithoutLock(t *testing.T) {
	srv := miniotest.Start(t)
	s := MustNew(t, srv, "first", 0)
	if err := s.client.MakeBucket(context.Background(), "plain", makeBucketOptions()); err != nil {
		t.Fatal(err)
	}
	_, err := New(context.Background(), Config{Endpoint: srv.Endpoint, AccessKey: srv.AccessKey, SecretKey: srv.SecretKey, Bucket: "plain"})
	storagetest.MustCode(t, err, naskah.EINVALID)
	if !strings.Contains(err.Error(), "object lock") {
		t.Fatalf("got %v, want a message about object lock", err)
	}
}

func TestNewUnavailable(t *testing.T) {
	srv := miniotest.Start(t)
	srv.Stop()
	start := time.Now()
	_, err := New(context.Background(), Config{Endpoint: srv.Endpoint, AccessKey: srv.AccessKey, SecretKey: srv.SecretKey, Bucket: "naskah-down", Timeout: 3 * time.Second})
	storagetest.MustCode(t, err, naskah.EUNAVAILABLE)
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("got EUNAVAILABLE after %v, want within the 3s timeout", d)
	}
}

// TestStoppedAndRestarted: with MinIO gone every call fails with
// EUNAVAILABLE within the timeout; after a restart the same Store works.
func TestStoppedAndRestarted(t *testing.T) {
	srv := miniotest.Start(t)
	s := MustNew(t, srv, "faults", 3*time.Second)
	ctx := context.Background()
	info := storagetest.MustPut(t, s, "agreements/f/record.json", []byte(`{"n":1}`), storage.PutOptions{})

	srv.Stop()
	calls := map[string]func() error{
		"put": func() error {
			_, err := storagetest.Put(s, "agreements/f/record.json", []byte(`{"n":2}`), storage.PutOptions{IfMatch: info.ETag})
			return err
		},
		"put unsized": func() error {
			_, err := storagetest.Put(s, "agreements/f/doc.pdf", []byte("pdf"), storage.PutOptions{Size: -1})
			return err
		},
		"get": func() error {
			_, _, err := s.Get(ctx, "agreements/f/record.json", storage.GetOptions{})
			return err
		},
		"stat": func() error {
			_, err := s.Stat(ctx, "agreements/f/record.json", storage.GetOptions{})
			return err
		},
		"list": func() error { _, err := s.List(ctx, "agreements/"); return err },
		"versions": func() error {
			_, err := s.ListVersions(ctx, "agreements/f/record.json")
			return err
		},
		"delete": func() error { return s.Delete(ctx, "agreements/f/record.json", storage.DeleteOptions{}) },
	}
	for name, call := range calls {
		start := time.Now()
		err := call()
		if got := naskah.ErrorCode(err); got != naskah.EUNAVAILABLE {
			t.Errorf("%s with MinIO stopped: got %q (%v), want %q", name, got, err, naskah.EUNAVAILABLE)
		}
		if d := time.Since(start); d > 15*time.Second {
			t.Errorf("%s with MinIO stopped took %v, want a bounded failure", name, d)
		}
	}

	srv.Restart()
	got, _ := storagetest.MustGet(t, s, "agreements/f/record.json", storage.GetOptions{})
	if string(got) != `{"n":1}` {
		t.Fatalf("got %s after restart, want {\"n\":1}", got)
	}
	storagetest.MustPut(t, s, "agreements/f/record.json", []byte(`{"n":2}`), storage.PutOptions{IfMatch: info.ETag})
}

// TestServerRetentionTranslated: MinIO's own refusal (not just our check
// before it) comes back as ERETAINED.
func TestServerRetentionTranslated(t *testing.T) {
	srv := miniotest.Start(t)
	s := MustNew(t, srv, "retained", 0)
	info := storagetest.MustPut(t, s, "signed.pdf", []byte("signed"), storage.PutOptions{RetainUntil: time.Now().Add(time.Hour)})
	err := s.client.RemoveObject(context.Background(), s.bucket, "signed.pdf", minioRemoveVersion(info.VersionID))
	storagetest.MustCode(t, s.translate("delete", "signed.pdf", err), naskah.ERETAINED)
}
