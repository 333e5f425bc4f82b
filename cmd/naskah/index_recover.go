package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"time"

	"github.com/bpom/naskah/search"
	"github.com/bpom/naskah/search/bleve"
)

// openBleve opens the embedded index in dir. A damaged one (root.bolt or
// index_meta.json unreadable as an index, another schema) is moved aside to
// dir.broken-<UTC time> — never deleted: an operator may want it — and an
// empty index takes its place; rebuild is true then, and also when the
// index was created (a fresh data dir, or one whose index was removed), so
// that the caller fills it from storage. A file the process may not read
// is a permission problem, not damage: it is reported and nothing moves.
//
// The need to rebuild outlives the process: it is kept in dir.rebuild
// until a rebuild completes (rebuilt), so that a command which only
// opened the index (fsck, backup) leaves the next serve to fill it.
func openBleve(dir string, fromScratch bool, logger *slog.Logger) (idx *bleve.Index, rebuild bool, err error) {
	idx, rebuild, err = openBleveOnce(dir, fromScratch, logger)
	if err != nil {
		return nil, false, err
	}
	if rebuild {
		if err := os.WriteFile(dir+".rebuild", []byte("the search index must be rebuilt from storage\n"), 0o600); err != nil {
			logger.Warn("cannot record that the search index needs a rebuild", "err", err)
		}
	} else if _, err := os.Stat(dir + ".rebuild"); err == nil {
		rebuild = true
	}
	return idx, rebuild, nil
}

// rebuilt records that the embedded index holds everything in storage.
func (m *Main) rebuilt() {
	if m.Config.Meili.URL == "" {
		os.Remove(m.Config.path("index") + ".rebuild")
	}
}

func openBleveOnce(dir string, fromScratch bool, logger *slog.Logger) (idx *bleve.Index, rebuild bool, err error) {
	exists := true
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		exists = false
	}
	if exists && fromScratch {
		aside, err := moveAside(dir)
		if err != nil {
			return nil, false, err
		}
		logger.Warn("search index moved aside to rebuild it from scratch", "dir", dir, "moved_to", aside)
		exists = false
	}
	if !exists {
		idx, err := bleve.Open(dir)
		return idx, true, err
	}
	if err := readable(dir); err != nil {
		return nil, false, err
	}
	idx, err = tryOpenBleve(dir)
	if err == nil {
		return idx, false, nil
	}
	aside, merr := moveAside(dir)
	if merr != nil {
		return nil, false, fmt.Errorf("%w; moving the damaged index aside failed too: %v", err, merr)
	}
	logger.Error("search index damaged: moved aside, rebuilding it from storage in the background", "dir", dir, "moved_to", aside, "err", err)
	idx, err = bleve.Open(dir)
	return idx, true, err
}

// tryOpenBleve is bleve.Open with a panic (a corrupt bolt page) as an error.
func tryOpenBleve(dir string) (idx *bleve.Index, err error) {
	defer func() {
		if r := recover(); r != nil {
			idx, err = nil, fmt.Errorf("open search index %s: panic: %v\n%s", dir, r, debug.Stack())
		}
	}()
	return bleve.Open(dir)
}

// readable fails when a file of the index cannot be read by this process.
func readable(dir string) error {
	for _, name := range []string{"index_meta.json", filepath.Join("store", "root.bolt")} {
		f, err := os.Open(filepath.Join(dir, name))
		if errors.Is(err, fs.ErrPermission) {
			return fmt.Errorf("search index %s: %w: give the naskah user read and write access to the directory", dir, err)
		}
		if err == nil {
			f.Close()
		}
	}
	return nil
}

func moveAside(dir string) (string, error) {
	aside := fmt.Sprintf("%s.broken-%s", dir, time.Now().UTC().Format("20060102T150405.000Z"))
	if err := os.Rename(dir, aside); err != nil {
		return "", fmt.Errorf("move the search index aside: %w", err)
	}
	return aside, nil
}

// startRebuild fills the index from storage in the background while the
// service answers: searches answer EUNAVAILABLE (UnavailableMessage) until
// it is done. A failed or panicking pass is retried with backoff until it
// succeeds or the service stops.
func (m *Main) startRebuild(ctx context.Context) {
	g := m.guard
	if g == nil || !g.BeginRebuild() {
		return
	}
	m.workers.Add(1)
	go func() {
		defer m.workers.Done()
		defer g.SetRebuilding(false)
		backoff := time.Second
		for {
			start := time.Now()
			n, err := m.rebuildOnce(ctx)
			if err == nil {
				m.rebuilt()
				m.Logger.Info("search index rebuilt from storage", "agreements", n, "took", time.Since(start).Round(time.Millisecond))
				return
			}
			if ctx.Err() != nil {
				return
			}
			m.Logger.Warn("search index rebuild failed; retrying", "err", err, "retry_in", backoff)
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(backoff*2, time.Minute)
		}
	}()
}

func (m *Main) rebuildOnce(ctx context.Context) (n int, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("rebuild panicked: %v", r)
			m.Logger.Error("search index rebuild panicked", "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
		}
	}()
	return m.Engine.Reindex(ctx, nil)
}

// guardIndex wraps the opened index so that it fails soft; an embedded
// index that panicked is reopened (and, if the panic left it damaged,
// moved aside and rebuilt).
func (m *Main) guardIndex(idx search.Index) *search.Guard {
	g := search.NewGuard(idx, m.Logger)
	if m.Config.Meili.URL == "" {
		var rebuild bool
		g.Reopen = func(ctx context.Context) (search.Index, error) {
			idx, r, err := openBleve(m.Config.path("index"), false, m.Logger)
			if err != nil {
				return nil, err
			}
			rebuild = r
			return idx, nil
		}
		g.Reopened = func() {
			if rebuild && m.wctx != nil {
				m.startRebuild(m.wctx)
			}
		}
	}
	return g
}

// repairIndex is fsck's part for the index: a damaged embedded index was
// moved aside when it was opened, and a rebuild is owed; -repair runs it,
// otherwise fsck says so.
func repairIndex(ctx context.Context, m *Main, repair bool, out io.Writer) error {
	if !m.rebuild || m.ReadOnly {
		return nil
	}
	if !repair {
		fmt.Fprintln(out, "warning the search index must be rebuilt (it was damaged or missing): naskah serve does it in the background, or run naskah fsck -repair / naskah reindex")
		return nil
	}
	n, err := m.Engine.Reindex(ctx, nil)
	if err != nil {
		return fmt.Errorf("rebuild the search index: %w", err)
	}
	m.rebuilt()
	fmt.Fprintf(out, "repaired the search index: rebuilt %d agreements from storage\n", n)
	return nil
}
