package search

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"

	"github.com/bpom/naskah"
)

// UnavailableMessage is what a search answers while the index is down or
// being rebuilt.
const UnavailableMessage = "indeks pencarian tidak tersedia, mencoba lagi — search index unavailable, retrying"

// Guard wraps an Index so that it fails soft: a panic inside the backend
// (bleve's segment code on a full disk, for one) becomes an EUNAVAILABLE
// error instead of killing the process, and after a panic or a failed
// write the index is "down": searches answer EUNAVAILABLE (stale or broken
// results are worse than none), while writes keep being tried — the
// outbox retries them — and the first one that succeeds brings it back.
// While a rebuild runs (SetRebuilding) searches are refused the same way.
//
// Safe for concurrent use.
type Guard struct {
	// Reopen, when set, replaces the backend after a panic (its state is
	// then unknown) before the next write is tried. It receives the old
	// backend, already closed.
	Reopen func(ctx context.Context) (Index, error)
	// Reopened, when set, is called after Reopen's index took over.
	Reopened func()
	Logger   *slog.Logger

	reopenMu   sync.Mutex // one reopen at a time: two opens of one bleve directory would wait on each other's lock
	mu         sync.Mutex
	inner      Index
	down       error // why the index is down; nil when up
	downSince  time.Time
	panicked   bool // reopen before the next write
	rebuilding bool
}

// NewGuard wraps idx.
func NewGuard(idx Index, logger *slog.Logger) *Guard {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Guard{inner: idx, Logger: logger}
}

// Inner returns the wrapped index.
func (g *Guard) Inner() Index {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.inner
}

// Replace swaps the backend (after an index was moved aside and created
// anew) and returns the old one, which the caller closes.
func (g *Guard) Replace(idx Index) Index {
	g.mu.Lock()
	defer g.mu.Unlock()
	old := g.inner
	g.inner, g.panicked = idx, false
	return old
}

// SetRebuilding marks a rebuild in progress (searches refused) or done.
func (g *Guard) SetRebuilding(on bool) {
	g.mu.Lock()
	g.rebuilding = on
	g.mu.Unlock()
}

// BeginRebuild marks a rebuild in progress unless one already is; it
// reports whether the caller is the one to run it.
func (g *Guard) BeginRebuild() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.rebuilding {
		return false
	}
	g.rebuilding = true
	return true
}

// Rebuilding reports whether a rebuild is in progress.
func (g *Guard) Rebuilding() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.rebuilding
}

// Down returns why the index cannot write, or nil.
func (g *Guard) Down() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.down
}

func (g *Guard) unavailable(cause error) error {
	if naskah.ErrorCode(cause) == naskah.EUNAVAILABLE && naskah.ErrorMessage(cause) == UnavailableMessage {
		return cause
	}
	if cause == nil {
		return naskah.Errorf(naskah.EUNAVAILABLE, "%s", UnavailableMessage)
	}
	return naskah.WrapError(naskah.EUNAVAILABLE, cause, "%s", UnavailableMessage)
}

// call runs f on the backend, turning a panic into an error.
func (g *Guard) call(op string, f func(Index) error) (err error) {
	g.mu.Lock()
	idx := g.inner
	g.mu.Unlock()
	defer func() {
		if r := recover(); r != nil {
			g.Logger.Error("search index panicked; it is down until a write succeeds", "op", op, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			g.mu.Lock()
			g.panicked = true
			g.setDownLocked(fmt.Errorf("%s panicked: %v", op, r))
			g.mu.Unlock()
			err = g.unavailable(fmt.Errorf("%s panicked: %v", op, r))
		}
	}()
	return f(idx)
}

func (g *Guard) setDownLocked(err error) {
	if g.down == nil {
		g.downSince = time.Now()
	}
	g.down = err
}

// write runs a write; its outcome decides whether the index is up.
func (g *Guard) write(ctx context.Context, op string, f func(Index) error) error {
	g.reopenIfPanicked(ctx)
	err := g.call(op, f)
	g.mu.Lock()
	defer g.mu.Unlock()
	switch {
	case err == nil:
		if g.down != nil {
			g.Logger.Info("search index writes again", "down_for", time.Since(g.downSince).Round(time.Second))
		}
		g.down = nil
	case naskah.ErrorCode(err) == naskah.EINVALID, ctx.Err() != nil:
		// The caller's input or the caller's deadline: not the index's health.
	default:
		// A backend that cannot write (a full disk, a broken segment)
		// is unavailable to the caller, who retries: not an internal error.
		g.setDownLocked(err)
		if naskah.ErrorCode(err) != naskah.EUNAVAILABLE {
			err = g.unavailable(err)
		}
	}
	return err
}

func (g *Guard) reopenIfPanicked(ctx context.Context) {
	g.reopenMu.Lock()
	defer g.reopenMu.Unlock()
	g.mu.Lock()
	if !g.panicked || g.Reopen == nil {
		g.mu.Unlock()
		return
	}
	old := g.inner
	g.mu.Unlock()
	_ = g.call("close", func(Index) error { return old.Close() })
	var idx Index
	err := g.call("reopen", func(Index) error {
		var err error
		idx, err = g.Reopen(ctx)
		return err
	})
	g.mu.Lock()
	if err != nil {
		g.setDownLocked(fmt.Errorf("reopen after a panic: %w", err))
		g.mu.Unlock()
		g.Logger.Error("search index cannot be reopened; retrying", "err", err)
		return
	}
	g.inner, g.panicked = idx, false
	g.mu.Unlock()
	g.Logger.Info("search index reopened after a panic")
	if g.Reopened != nil {
		g.Reopened()
	}
}

// Upsert implements Index.
func (g *Guard) Upsert(ctx context.Context, docs ...Doc) error {
	return g.write(ctx, "upsert", func(i Index) error { return i.Upsert(ctx, docs...) })
}

// Delete implements Index.
func (g *Guard) Delete(ctx context.Context, ids ...string) error {
	return g.write(ctx, "delete", func(i Index) error { return i.Delete(ctx, ids...) })
}

// DeleteAll implements Index.
func (g *Guard) DeleteAll(ctx context.Context) error {
	return g.write(ctx, "delete all", func(i Index) error { return i.DeleteAll(ctx) })
}

// Search implements Index; EUNAVAILABLE while down or rebuilding.
func (g *Guard) Search(ctx context.Context, q Query) (*Result, error) {
	g.mu.Lock()
	down, rebuilding := g.down, g.rebuilding
	g.mu.Unlock()
	if rebuilding {
		return nil, g.unavailable(fmt.Errorf("rebuilding from storage"))
	}
	if down != nil {
		return nil, g.unavailable(down)
	}
	var res *Result
	err := g.call("search", func(i Index) error {
		var err error
		res, err = i.Search(ctx, q)
		return err
	})
	return res, err
}

// Count implements Index.
func (g *Guard) Count(ctx context.Context) (int, error) {
	var n int
	err := g.call("count", func(i Index) error {
		var err error
		n, err = i.Count(ctx)
		return err
	})
	return n, err
}

// ProbeID is the id a write probe deletes: never a real document.
const ProbeID = "naskah-write-probe"

// Health implements Index: nil when the backend answers and can write (a
// rebuild in progress is healthy: it writes).
// While down it tries a cheap write (deleting a document that does not
// exist), so the index comes back as soon as the fault clears, without
// waiting for the outbox's next attempt.
func (g *Guard) Health(ctx context.Context) error {
	if g.Down() != nil {
		if err := g.Delete(ctx, ProbeID); err != nil {
			return g.unavailable(err)
		}
	}
	return g.call("health", func(i Index) error { return i.Health(ctx) })
}

// Close implements Index.
func (g *Guard) Close() error {
	return g.call("close", func(i Index) error { return i.Close() })
}
