package pipeline

import (
	"context"
	"io"
	"sync"
	"time"
)

// byteRate paces reads to a number of bytes per second shared by every
// reader (fsck -deep -rate). A nil *byteRate does not pace.
type byteRate struct {
	perSec float64
	mu     sync.Mutex
	next   time.Time // when the bytes reserved so far have been "spent"
}

func newByteRate(mbps float64) *byteRate {
	if mbps <= 0 {
		return nil
	}
	return &byteRate{perSec: mbps * 1e6}
}

// wait blocks until n more bytes fit the rate (or ctx ends).
func (b *byteRate) wait(ctx context.Context, n int) error {
	b.mu.Lock()
	now := time.Now()
	if b.next.Before(now) {
		b.next = now
	}
	b.next = b.next.Add(time.Duration(float64(n) / b.perSec * float64(time.Second)))
	d := b.next.Sub(now)
	b.mu.Unlock()
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func (b *byteRate) reader(ctx context.Context, r io.Reader) io.Reader {
	if b == nil {
		return r
	}
	return &pacedReader{ctx: ctx, r: r, b: b}
}

type pacedReader struct {
	ctx context.Context
	r   io.Reader
	b   *byteRate
}

func (p *pacedReader) Read(buf []byte) (int, error) {
	if len(buf) > 256<<10 {
		buf = buf[:256<<10] // pace in steps, not one long sleep per big read
	}
	n, err := p.r.Read(buf)
	if n > 0 {
		if werr := p.b.wait(p.ctx, n); werr != nil {
			return n, werr
		}
	}
	return n, err
}
