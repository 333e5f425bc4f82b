package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/bpom/naskah"
	"github.com/bpom/naskah/storage"
)

// rotVersion flips one byte of a document version on the local store.
func rotVersion(t *testing.T, cfg Config) (key, versionID string) {
	t.Helper()
	m := &Main{Config: cfg}
	if err := m.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	as, err := m.Engine.List(context.Background(), naskah.Actor{User: "op", Role: naskah.RoleAdmin})
	m.Close()
	if err != nil || len(as) == 0 {
		t.Fatalf("list: %v %d", err, len(as))
	}
	d := as[0].Documents[0]
	sum := sha256.Sum256([]byte(d.Key))
	path := filepath.Join(cfg.path("store"), "objects", hex.EncodeToString(sum[:])[:2], hex.EncodeToString(sum[:]), d.VersionID+".data")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0x40
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return d.Key, d.VersionID
}

// A rotted version does not stop a backup: the rest is written, the bad
// one listed, exit 1; --verify checks the file offline and finds damage
// done to the file afterwards.
func TestBackupPastDamagedVersionAndVerify(t *testing.T) {
	clearNaskahEnv(t)
	cfg := DefaultConfig()
	cfg.DataDir = t.TempDir()
	populate(t, cfg)
	good := filepath.Join(t.TempDir(), "good.tar")
	mustRun(t, 0, "backup", "-data", cfg.DataDir, "--to", good)
	out := mustRun(t, 0, "backup", "--verify", good)
	if !strings.Contains(out, "ok: every member") {
		t.Fatalf("verify of a sound backup: %s", out)
	}

	key, vid := rotVersion(t, cfg)
	partial := filepath.Join(t.TempDir(), "partial.tar.gz")
	out = mustRun(t, 1, "backup", "-data", cfg.DataDir, "--to", partial)
	if !strings.Contains(out, "1 versions could not be read") || !strings.Contains(out, key+" version "+vid) || !strings.Contains(out, "SHA-256") {
		t.Fatalf("backup past a rotted version: %s, want it listed", out)
	}
	rep, err := verifyBackup(partial)
	if err != nil {
		t.Fatal(err)
	}
	goodRep, _ := verifyBackup(good)
	if len(rep.Problems) != 0 || len(rep.Unreadable) != 1 || rep.Members != goodRep.Members-1 {
		t.Fatalf("partial backup: %d members (sound one: %d), problems %v, unreadable %v", rep.Members, goodRep.Members, rep.Problems, rep.Unreadable)
	}
	if out := mustRun(t, 1, "backup", "--verify", partial); !strings.Contains(out, "incomplete") {
		t.Fatalf("verify of a backup with a version left out: %s", out)
	}
	t.Logf("backup went on past %s %s: %d of %d versions written, exit 1", key, vid, rep.Members, goodRep.Members)

	// Damage to the file itself: a flipped byte in a member, a cut file.
	data, _ := os.ReadFile(good)
	i := bytes.Index(data, []byte("%PDF"))
	data[i+20] ^= 1
	flipped := filepath.Join(t.TempDir(), "flipped.tar")
	os.WriteFile(flipped, data, 0o600)
	if out := mustRun(t, 1, "backup", "--verify", flipped); !strings.Contains(out, "SHA-256 does not match") {
		t.Fatalf("verify of a flipped byte: %s", out)
	}
	cut := filepath.Join(t.TempDir(), "cut.tar")
	os.WriteFile(cut, data[:len(data)/2], 0o600)
	if out := mustRun(t, 1, "backup", "--verify", cut); !strings.Contains(out, "truncated") && !strings.Contains(out, "no manifest") {
		t.Fatalf("verify of a cut file: %s", out)
	}
}

// A version larger than the in-memory spool goes through the spool file
// byte for byte.
func TestBackupSpoolLarge(t *testing.T) {
	s, _ := newSpool(t.TempDir())
	defer s.close()
	for _, n := range []int{0, 10, spoolMem, spoolMem + 12345} {
		data := bytes.Repeat([]byte("naskah."), n/7+1)[:n]
		sum, got, err := s.fill(bytes.NewReader(data))
		want := sha256.Sum256(data)
		if err != nil || got != int64(n) || sum != hex.EncodeToString(want[:]) {
			t.Fatalf("fill %d bytes: %v %d %s", n, err, got, sum)
		}
		r, err := s.reader()
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if _, err := b.ReadFrom(r); err != nil || !bytes.Equal(b.Bytes(), data) {
			t.Fatalf("read back %d bytes: %v, %d bytes differ", n, err, b.Len())
		}
	}
}

// getFails fails reads of one key (a version whose shards are lost) or,
// with down, every read and listing (the store is down).
type getFails struct {
	storage.Store
	key       string
	down      atomic.Bool
	downAfter int64 // the store goes down at this read (0: never)
	reads     atomic.Int64
}

func (g *getFails) Get(ctx context.Context, key string, opts storage.GetOptions) (io.ReadCloser, storage.ObjectInfo, error) {
	if n := g.reads.Add(1); g.downAfter > 0 && n >= g.downAfter {
		g.down.Store(true)
	}
	if g.down.Load() || key == g.key {
		return nil, storage.ObjectInfo{}, naskah.Errorf(naskah.EUNAVAILABLE, "minio: read quorum not available")
	}
	return g.Store.Get(ctx, key, opts)
}

func (g *getFails) List(ctx context.Context, prefix string) ([]storage.ObjectInfo, error) {
	if g.down.Load() {
		return nil, naskah.Errorf(naskah.EUNAVAILABLE, "minio: not reachable")
	}
	return g.Store.List(ctx, prefix)
}

// An unreadable version is left out and listed; a store that goes down
// stops the backup instead of marking everything after it unreadable.
func TestBackupUnreadableVersusStoreDown(t *testing.T) {
	clearNaskahEnv(t)
	cfg := DefaultConfig()
	cfg.DataDir = t.TempDir()
	populate(t, cfg)
	m := &Main{Config: cfg}
	if err := m.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	objs, err := m.Store.List(context.Background(), "agreements/")
	if err != nil {
		t.Fatal(err)
	}
	st := &getFails{Store: m.Store, key: objs[0].Key}
	man, err := writeBackup(context.Background(), st, "test", filepath.Join(t.TempDir(), "b.tar"), false, io.Discard)
	if err != nil || len(man.Unreadable) == 0 || man.Unreadable[0].Key != objs[0].Key {
		t.Fatalf("backup with one unreadable key: %v %+v", err, man)
	}
	st = &getFails{Store: m.Store, downAfter: 5}
	_, err = writeBackup(context.Background(), st, "test", filepath.Join(t.TempDir(), "c.tar"), false, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "backup stopped") {
		t.Fatalf("backup of a store that goes down midway: %v, want it stopped", err)
	}
}
