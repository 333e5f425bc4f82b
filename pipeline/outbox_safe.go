package pipeline

import (
	"context"
	"fmt"
	"runtime/debug"

	"github.com/bpom/naskah"
)

// drainSafe is DrainOutbox for the background worker: a panic anywhere
// below it (the index backend, text extraction, storage) becomes an
// EUNAVAILABLE error, logged with its stack, and the worker backs off and
// tries again; the entries stay queued. The outcome is kept for readiness.
func (e *Engine) drainSafe(ctx context.Context) (n int, err error) {
	defer func() {
		if r := recover(); r != nil {
			e.Logger.Error("outbox worker panicked; index updates wait in the outbox", "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			err = naskah.Errorf(naskah.EUNAVAILABLE, "outbox worker panicked: %v", r)
		}
		wk := e.w()
		wk.mu.Lock()
		wk.lastErr = err
		wk.mu.Unlock()
	}()
	return e.DrainOutbox(ctx)
}

// OutboxErr returns the error of the worker's last drain (nil when it
// applied everything, or has not run).
func (e *Engine) OutboxErr() error {
	wk := e.w()
	wk.mu.Lock()
	defer wk.mu.Unlock()
	return wk.lastErr
}
