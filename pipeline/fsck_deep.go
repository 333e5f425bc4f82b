package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"sync"
	"sync/atomic"

	"github.com/bpom/naskah"
	"github.com/bpom/naskah/storage"
)

// deepWorkers is how many versions a deep check reads at once: enough to
// overlap disk or network latency, few enough not to starve the service.
const deepWorkers = 4

// deepJob is one referenced version to read in full.
type deepJob struct {
	id string
	d  naskah.DocumentVersion
}

// deepCheck reads every byte of jobs, streamed (memory does not grow with
// the file), and reports each version whose bytes are unreadable or do not
// hash to the record's SHA-256: bit rot that a metadata check cannot see.
// It returns the findings in job order and the bytes read; EUNAVAILABLE
// (the store is down) and a cancelled ctx end the check with an error.
func (e *Engine) deepCheck(ctx context.Context, jobs []deepJob, progress func(done, total int), rate *byteRate) ([]Finding, int64, error) {
	found := make([]*Finding, len(jobs))
	var (
		next, done atomic.Int64
		read       atomic.Int64
		fatal      error
		mu         sync.Mutex
		wg         sync.WaitGroup
	)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for range min(deepWorkers, len(jobs)) {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(jobs) || ctx.Err() != nil {
					return
				}
				j := jobs[i]
				n, err := e.readAndHash(ctx, &j.d, rate)
				read.Add(n)
				if err != nil && (naskah.ErrorCode(err) == naskah.EUNAVAILABLE || ctx.Err() != nil) {
					mu.Lock()
					if fatal == nil {
						fatal = err
					}
					mu.Unlock()
					cancel()
					return
				}
				if err != nil {
					found[i] = &Finding{AgreementID: j.id, Key: j.d.Key, Severity: "error", Problem: fmt.Sprintf(
						"%s v%d (versi penyimpanan %s) rusak: isinya tidak cocok dengan SHA-256 rekaman; pulihkan dari cadangan — %s v%d (storage version %s) is damaged: %v; restore it from a backup",
						j.d.Kind, j.d.Version, j.d.VersionID, j.d.Kind, j.d.Version, j.d.VersionID, err)}
				}
				if progress != nil {
					mu.Lock()
					progress(int(done.Add(1)), len(jobs))
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	if fatal != nil {
		return nil, read.Load(), fatal
	}
	if err := ctx.Err(); err != nil {
		return nil, read.Load(), err
	}
	var out []Finding
	for _, f := range found {
		if f != nil {
			out = append(out, *f)
		}
	}
	return out, read.Load(), nil
}

// readAndHash streams one version through SHA-256 and compares it with the
// record. The store's own reader also checks its stored checksum at EOF.
func (e *Engine) readAndHash(ctx context.Context, d *naskah.DocumentVersion, rate *byteRate) (int64, error) {
	rc, _, err := e.Store.Get(ctx, d.Key, storage.GetOptions{VersionID: d.VersionID})
	if err != nil {
		return 0, err
	}
	defer rc.Close()
	h := sha256.New()
	n, err := io.Copy(h, rate.reader(ctx, rc))
	if err != nil {
		return n, err
	}
	if sum := hex.EncodeToString(h.Sum(nil)); sum != d.SHA256 {
		return n, naskah.Errorf(naskah.EINTERNAL, "its bytes hash to %s, the record says %s", sum, d.SHA256)
	}
	return n, nil
}
