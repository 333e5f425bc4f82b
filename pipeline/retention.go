package pipeline

import (
	"context"
	"time"

	"github.com/bpom/naskah"
	"github.com/bpom/naskah/storage"
)

// Retention after commit. A signed text or CTC is stored without retention;
// only once the record that references it has committed does the version
// get its retention (storage.Store.Retain). A signature that never commits
// (a racing signer won, the record write failed, the process died) thus
// leaves at most an unretained version, which undo removes and fsck reports,
// never an undeletable orphan. If retention cannot be applied right after
// the commit, the action stays committed and acknowledged; the outbox worker
// (IndexAgreement) and `naskah fsck -repair` apply it later.

// retainTimeout bounds the retention call after a commit; it runs even when
// the request that committed has gone away.
const retainTimeout = 10 * time.Second

// wantRetention returns the date until which a referenced version must be
// retained, and false if it needs none (not a retained kind, no archive
// period, or the period has already ended).
func (e *Engine) wantRetention(d *naskah.DocumentVersion) (time.Time, bool) {
	var until time.Time
	switch {
	case d.RetainUntil != nil:
		until = *d.RetainUntil
	case d.Kind.Retained() && e.Config.ArchivePeriod > 0:
		until = d.UploadedAt.Add(e.Config.ArchivePeriod)
	default:
		return time.Time{}, false
	}
	until = storage.RetainDate(until)
	return until, until.After(e.Now())
}

// retainAfterCommit applies d's retention once the record referencing it
// has committed. A failure is logged, not returned: the action committed.
func (e *Engine) retainAfterCommit(ctx context.Context, d *naskah.DocumentVersion) {
	if d == nil || d.VersionID == "" {
		return
	}
	until, ok := e.wantRetention(d)
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), retainTimeout)
	defer cancel()
	if err := e.Store.Retain(ctx, d.Key, d.VersionID, until); err != nil {
		e.Logger.Error("committed version not yet retained; the outbox worker and naskah fsck -repair will retain it",
			"key", d.Key, "version", d.VersionID, "until", until, "err", err)
	}
}

// ensureRetention retains every version of a that should be retained and is
// not (yet). It returns how many it retained; it stops at the first error.
func (e *Engine) ensureRetention(ctx context.Context, a *naskah.Agreement) (int, error) {
	n := 0
	for i := range a.Documents {
		d := &a.Documents[i]
		until, ok := e.wantRetention(d)
		if !ok {
			continue
		}
		info, err := e.Store.Stat(ctx, d.Key, storage.GetOptions{VersionID: d.VersionID})
		if err != nil {
			if naskah.ErrorCode(err) == naskah.ENOTFOUND {
				continue // fsck reports a missing version
			}
			return n, err
		}
		if !info.RetainUntil.Before(until) {
			continue
		}
		if err := e.Store.Retain(ctx, d.Key, d.VersionID, until); err != nil {
			return n, err
		}
		e.Logger.Info("retention applied after commit", "agreement", a.ID, "key", d.Key, "version", d.VersionID, "until", until)
		n++
	}
	return n, nil
}

// settle decides what happens to the bytes an action stored when its commit
// returned an error. The error may hide a commit that landed (a timeout
// after the server wrote, or a conditional write retried by the client and
// refused as a conflict with itself), so the record is read again: if it
// references d, the action committed and the record is returned (retention
// then applies as after any commit); if it does not, undo removes the bytes;
// if the record cannot be read, the bytes stay: an unretained version that
// fsck reports, never a deleted one a record might reference.
func (e *Engine) settle(ctx context.Context, id string, d *naskah.DocumentVersion, undo func()) *naskah.Agreement {
	if d == nil || d.VersionID == "" {
		if undo != nil {
			undo()
		}
		return nil
	}
	lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), retainTimeout)
	defer cancel()
	cur, _, err := e.Load(lctx, id)
	if err != nil {
		if naskah.ErrorCode(err) != naskah.ENOTFOUND {
			e.Logger.Warn("commit outcome unknown; stored version left unretained for fsck", "agreement", id, "key", d.Key, "version", d.VersionID, "err", err)
			return nil
		}
	} else {
		for i := range cur.Documents {
			if c := &cur.Documents[i]; c.Key == d.Key && c.VersionID == d.VersionID {
				return cur
			}
		}
	}
	if undo != nil {
		undo()
	}
	return nil
}
