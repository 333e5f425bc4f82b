package api

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/bpom/naskah"
)

// heavyLimit bounds the requests that stamp, sign, verify or extract at
// once in this process: each may hold a whole PDF and several copies of it
// in memory. A request waits a short while for a slot and is otherwise
// refused with 503 and Retry-After, so a burst degrades into retries
// instead of exhausting memory.
type heavyLimit struct {
	slots chan struct{}
	wait  time.Duration
}

func newHeavyLimit(n int, wait time.Duration) *heavyLimit {
	return &heavyLimit{slots: make(chan struct{}, n), wait: wait}
}

// Heavy is middleware for routes doing heavy PDF work.
func (s *Server) Heavy() fiber.Handler {
	return func(c *fiber.Ctx) error {
		release, err := s.AcquireHeavy(c.UserContext())
		if err != nil {
			return err
		}
		defer release()
		return c.Next()
	}
}

// AcquireHeavy takes a slot for heavy work, waiting up to HeavyWait, and
// returns its release; the web UI bounds its uploads, signatures,
// downloads and verifications with it.
func (s *Server) AcquireHeavy(ctx context.Context) (release func(), err error) {
	h := s.heavy
	t := time.NewTimer(h.wait)
	defer t.Stop()
	select {
	case h.slots <- struct{}{}:
		return func() { <-h.slots }, nil
	case <-t.C:
		return nil, &naskah.Error{Code: naskah.EUNAVAILABLE, RetryAfter: 5 * time.Second,
			Message: "Server sedang memproses banyak dokumen: coba lagi sebentar lagi — The server is busy with many documents: try again shortly"}
	case <-ctx.Done():
		return nil, naskah.WrapError(naskah.EUNAVAILABLE, ctx.Err(), "the request was cancelled")
	}
}
