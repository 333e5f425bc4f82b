package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bpom/naskah"
	"github.com/bpom/naskah/search"
)

// indexedDataDir is a data dir with four agreements, indexed.
func indexedDataDir(t *testing.T) Config {
	t.Helper()
	clearNaskahEnv(t)
	cfg := DefaultConfig()
	cfg.DataDir, cfg.Listen, cfg.LogLevel = t.TempDir(), "127.0.0.1:0", "error"
	populate(t, cfg)
	mustRun(t, 0, "reindex", "-data", cfg.DataDir)
	return cfg
}

// brokenDirs lists the index directories moved aside.
func brokenDirs(t *testing.T, cfg Config) []string {
	t.Helper()
	m, err := filepath.Glob(cfg.path("index.broken-*"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// searchAgreements waits until a search answers (the rebuild runs in the
// background) and returns how many agreements it finds; before that every
// answer must be EUNAVAILABLE with the retry message.
func searchAgreements(t *testing.T, m *Main) (int, int) {
	t.Helper()
	ctx := context.Background()
	refused := 0
	deadline := time.Now().Add(2 * time.Minute)
	for {
		res, err := m.Engine.Search(ctx, opsUnit, search.Query{Type: search.TypeAgreement})
		if err == nil {
			return res.Total, refused
		}
		if naskah.ErrorCode(err) != naskah.EUNAVAILABLE || naskah.ErrorMessage(err) != search.UnavailableMessage {
			t.Fatalf("search during the rebuild: %v, want EUNAVAILABLE %q", err, search.UnavailableMessage)
		}
		refused++
		if time.Now().After(deadline) {
			t.Fatalf("the index was not rebuilt: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A damaged index (root.bolt or index_meta.json overwritten) does not stop
// serve: it is moved aside, never deleted, and rebuilt from storage while
// the service answers.
func TestServeRecoversDamagedIndex(t *testing.T) {
	for _, tc := range []struct{ name, file, garbage string }{
		{"root.bolt garbage", "store/root.bolt", strings.Repeat("\xde\xad\xbe\xef", 2048)},
		{"root.bolt empty", "store/root.bolt", ""},
		{"index_meta.json", "index_meta.json", `{"storage":"scorch","index_type":`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := indexedDataDir(t)
			if err := os.WriteFile(filepath.Join(cfg.path("index"), tc.file), []byte(tc.garbage), 0o600); err != nil {
				t.Fatal(err)
			}
			m := &Main{Config: cfg, Out: io.Discard}
			if err := m.Run(context.Background()); err != nil {
				t.Fatalf("serve with a damaged index: %v", err)
			}
			defer m.Close()
			n, refused := searchAgreements(t, m)
			if n != 4 {
				t.Fatalf("after the rebuild the index finds %d agreements, want 4", n)
			}
			moved := brokenDirs(t, cfg)
			if len(moved) != 1 {
				t.Fatalf("moved-aside index directories: %v, want one", moved)
			}
			kept, err := os.ReadFile(filepath.Join(moved[0], tc.file))
			// bolt initialises an empty file before the open fails on it
			if err != nil || tc.garbage != "" && string(kept) != tc.garbage {
				t.Fatalf("the damaged file was not kept as it was in %s: %v", moved[0], err)
			}
			t.Logf("%s: serve started, %d searches refused during the rebuild, 4 agreements found after it; damaged index kept in %s", tc.name, refused, filepath.Base(moved[0]))
		})
	}
}

// naskah reindex on a damaged index rebuilds it (the damaged one kept);
// -from-scratch moves even a sound index aside.
func TestReindexDamagedAndFromScratch(t *testing.T) {
	cfg := indexedDataDir(t)
	if err := os.WriteFile(filepath.Join(cfg.path("index"), "store", "root.bolt"), []byte("rotten"), 0o600); err != nil {
		t.Fatal(err)
	}
	out := mustRun(t, 0, "reindex", "-data", cfg.DataDir)
	if !strings.Contains(out, "reindexed 4 agreements") || len(brokenDirs(t, cfg)) != 1 {
		t.Fatalf("reindex of a damaged index: %s; moved aside: %v", out, brokenDirs(t, cfg))
	}
	time.Sleep(2 * time.Millisecond) // distinct timestamps in the names
	out = mustRun(t, 0, "reindex", "-from-scratch", "-data", cfg.DataDir)
	if !strings.Contains(out, "reindexed 4 agreements") || len(brokenDirs(t, cfg)) != 2 {
		t.Fatalf("reindex -from-scratch: %s; moved aside: %v", out, brokenDirs(t, cfg))
	}
	m := &Main{Config: cfg, Out: io.Discard}
	if err := m.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if n, _ := searchAgreements(t, m); n != 4 {
		t.Fatalf("after reindex -from-scratch the index finds %d agreements, want 4", n)
	}
}

// An index directory the process may not read is a permission problem,
// reported as one: nothing is moved aside.
func TestIndexPermissionNotMovedAside(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root reads every file: permissions cannot be tested as root")
	}
	cfg := indexedDataDir(t)
	meta := filepath.Join(cfg.path("index"), "index_meta.json")
	if err := os.Chmod(meta, 0); err != nil {
		t.Fatal(err)
	}
	defer os.Chmod(meta, 0o600)
	m := &Main{Config: cfg, Out: io.Discard}
	err := m.Open(context.Background())
	m.Close()
	if err == nil || !strings.Contains(err.Error(), "read and write access") || len(brokenDirs(t, cfg)) != 0 {
		t.Fatalf("unreadable index: %v; moved aside: %v", err, brokenDirs(t, cfg))
	}
}

// A command that only opens the index (fsck) and finds it damaged moves it
// aside; the need to rebuild is kept, and the next serve fills the index.
func TestDamagedIndexFoundByFsckRebuiltByServe(t *testing.T) {
	cfg := indexedDataDir(t)
	if err := os.WriteFile(filepath.Join(cfg.path("index"), "index_meta.json"), []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	mustRun(t, 0, "fsck", "-data", cfg.DataDir)
	if len(brokenDirs(t, cfg)) != 1 {
		t.Fatalf("fsck did not move the damaged index aside: %v", brokenDirs(t, cfg))
	}
	m := &Main{Config: cfg, Out: io.Discard}
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if n, _ := searchAgreements(t, m); n != 4 {
		t.Fatalf("serve after fsck found a damaged index: %d agreements indexed, want 4", n)
	}
	deadline := time.Now().Add(time.Minute)
	for {
		if _, err := os.Stat(cfg.path("index") + ".rebuild"); err != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the rebuild marker stays after the rebuild")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// fsck -repair rebuilds a damaged index (kept aside).
func TestFsckRepairRebuildsIndex(t *testing.T) {
	cfg := indexedDataDir(t)
	if err := os.WriteFile(filepath.Join(cfg.path("index"), "store", "root.bolt"), []byte("rotten"), 0o600); err != nil {
		t.Fatal(err)
	}
	if out := mustRun(t, 0, "fsck", "-repair", "-data", cfg.DataDir); !strings.Contains(out, "rebuilt 4 agreements") {
		t.Fatalf("fsck -repair on a damaged index: %s", out)
	}
	if _, err := os.Stat(cfg.path("index") + ".rebuild"); err == nil {
		t.Fatalf("the rebuild marker stays after fsck -repair rebuilt the index")
	}
	m := &Main{Config: cfg, Out: io.Discard}
	if err := m.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if n, _ := searchAgreements(t, m); n != 4 || len(brokenDirs(t, cfg)) != 1 {
		t.Fatalf("after fsck -repair: %d agreements indexed, moved aside %v", n, brokenDirs(t, cfg))
	}
}
