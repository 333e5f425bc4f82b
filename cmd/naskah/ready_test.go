package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bpom/naskah"
	"github.com/bpom/naskah/search"
	"github.com/bpom/naskah/storage"
)

// readyz returns /readyz's status and detail (or body).
func readyz(t *testing.T, m *Main) (int, string) {
	t.Helper()
	r, err := http.Get("http://" + m.Addr + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Body.Close()
	body, _ := io.ReadAll(r.Body)
	var p struct{ Detail string }
	if json.Unmarshal(body, &p) == nil && p.Detail != "" {
		return r.StatusCode, p.Detail
	}
	return r.StatusCode, string(body)
}

func waitReady(t *testing.T, m *Main, want int, contains string) string {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		code, detail := readyz(t, m)
		if code == want && strings.Contains(detail, contains) {
			return detail
		}
		if time.Now().After(deadline) {
			t.Fatalf("readyz: %d %s, want %d with %q", code, detail, want, contains)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// noWriteIndex refuses writes while off is set.
type noWriteIndex struct {
	search.Index
	off atomic.Bool
}

func (i *noWriteIndex) Upsert(ctx context.Context, docs ...search.Doc) error {
	if i.off.Load() {
		return naskah.Errorf(naskah.EINTERNAL, "bleve: upsert: no space left on device")
	}
	return i.Index.Upsert(ctx, docs...)
}

func (i *noWriteIndex) Delete(ctx context.Context, ids ...string) error {
	if i.off.Load() {
		return naskah.Errorf(naskah.EINTERNAL, "bleve: delete: no space left on device")
	}
	return i.Index.Delete(ctx, ids...)
}

// noWriteStore refuses writes while off is set.
type noWriteStore struct {
	storage.Store
	off atomic.Bool
}

func (s *noWriteStore) Put(ctx context.Context, key string, r io.Reader, opts storage.PutOptions) (storage.ObjectInfo, error) {
	if s.off.Load() {
		return storage.ObjectInfo{}, naskah.Errorf(naskah.EUNAVAILABLE, "minio: write quorum not available")
	}
	return s.Store.Put(ctx, key, r, opts)
}

// /readyz tells the truth: 503 with the reason when free disk is under
// min_free_mb, when the index cannot write, when the store takes no
// writes; 200 again once each clears, without a restart.
func TestReadyzReasons(t *testing.T) {
	clearNaskahEnv(t)
	cfg := DefaultConfig()
	cfg.DataDir, cfg.Listen, cfg.LogLevel = t.TempDir(), "127.0.0.1:0", "error"
	start := func(minFree int) (*Main, *noWriteIndex, *noWriteStore) {
		c := cfg
		c.MinFreeMB = minFree
		m := &Main{Config: c, Out: io.Discard}
		if err := m.Open(context.Background()); err != nil {
			t.Fatal(err)
		}
		idx := &noWriteIndex{Index: m.guard.Inner()}
		m.guard.Replace(idx)
		st := &noWriteStore{Store: m.Store}
		m.Engine.Store = st
		if err := m.Run(context.Background()); err != nil {
			t.Fatal(err)
		}
		return m, idx, st
	}
	m, _, _ := start(1 << 40) // more than any disk
	d := waitReady(t, m, 503, "min_free_mb")
	t.Logf("disk below the threshold: 503 %s", d)
	m.Close()

	m, idx, st := start(1)
	defer m.Close()
	waitReady(t, m, 200, `"disk":"ok"`)

	// The index stops writing: an update fails in the outbox.
	idx.off.Store(true)
	if _, err := m.Engine.Initiate(context.Background(), opsUnit, naskah.Agreement{Title: "Kerja sama siap", Kind: naskah.KindMoU, Process: naskah.ProcessDomestic,
		Partner: naskah.Partner{Name: "Universitas Indonesia", Kind: naskah.PartnerAcademia}}, ""); err != nil {
		t.Fatalf("commit with the index not writing: %v", err)
	}
	m.Engine.Kick()
	d = waitReady(t, m, 503, "index:")
	t.Logf("index cannot write: 503 %s", d)
	idx.off.Store(false)
	waitReady(t, m, 200, `"index":"ok"`)

	st.off.Store(true)
	d = waitReady(t, m, 503, "store_write:")
	t.Logf("store takes no writes: 503 %s", d)
	st.off.Store(false)
	waitReady(t, m, 200, `"store_write":"ok"`)
	if objs, err := st.List(context.Background(), "health/"); err != nil || len(objs) != 0 {
		t.Fatalf("the probe left objects: %v %v", objs, err)
	}
}
