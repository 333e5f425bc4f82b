package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/bpom/naskah"
	"github.com/bpom/naskah/search"
	"github.com/bpom/naskah/storage"
)

// The outbox holds index updates not yet applied: one key per agreement,
// outbox/<id>.json, written before the record commit. The worker reads the
// current record, so an entry only says "index this agreement again";
// applying one twice is harmless, and none is lost across a restart.
const outboxPrefix = "outbox/"

type outboxEntry struct {
	ID       string    `json:"id"`
	Revision int       `json:"revision"`
	Queued   time.Time `json:"queued"`
}

type worker struct {
	once sync.Once
	kick chan struct{}
	mu   sync.Mutex
	text map[string]string // sha256 → extracted text, bounded
	// lastErr is the outcome of the worker's last drain (outbox_safe.go).
	lastErr error
}

func (e *Engine) w() *worker {
	e.work.once.Do(func() {
		e.work.kick = make(chan struct{}, 1)
		e.work.text = map[string]string{}
	})
	return &e.work
}

// Kick wakes the outbox worker.
func (e *Engine) Kick() {
	select {
	case e.w().kick <- struct{}{}:
	default:
	}
}

func (e *Engine) queue(ctx context.Context, id string, rev int) error {
	body, _ := json.Marshal(outboxEntry{ID: id, Revision: rev, Queued: e.now()})
	_, err := e.Store.Put(ctx, outboxPrefix+id+".json", bytes.NewReader(body), storage.PutOptions{Size: int64(len(body)), ContentType: "application/json"})
	if err != nil {
		return fmt.Errorf("queue index update for %s: %w", id, err)
	}
	return nil
}

// Pending returns the number of index updates not yet applied.
func (e *Engine) Pending(ctx context.Context) (int, error) {
	objs, err := e.Store.List(ctx, outboxPrefix)
	return len(objs), err
}

// DrainOutbox applies every queued update once. It returns how many were
// applied and the first error; entries that failed stay queued.
func (e *Engine) DrainOutbox(ctx context.Context) (int, error) {
	if e.Index == nil {
		return 0, naskah.Errorf(naskah.EUNAVAILABLE, "no search index is configured")
	}
	objs, err := e.Store.List(ctx, outboxPrefix)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, o := range objs {
		id := strings.TrimSuffix(strings.TrimPrefix(o.Key, outboxPrefix), ".json")
		// Pin the version before indexing: an entry queued meanwhile is a
		// newer version, and only the one read here may be removed.
		version := o.VersionID
		if version == "" {
			info, err := e.Store.Stat(ctx, o.Key, storage.GetOptions{})
			if naskah.ErrorCode(err) == naskah.ENOTFOUND {
				continue
			}
			if err != nil {
				return n, err
			}
			version = info.VersionID
		}
		if err := e.IndexAgreement(ctx, id); err != nil {
			return n, err
		}
		if err := e.dropOutboxVersions(ctx, o.Key, version); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// dropOutboxVersions removes the applied version of an outbox entry and
// every older one. Removing only the applied version would make the one
// before it current again, to be re-applied on the next pass, forever;
// versions queued after the pinned one stay for the next pass.
func (e *Engine) dropOutboxVersions(ctx context.Context, key, applied string) error {
	vs, err := e.Store.ListVersions(ctx, key)
	if naskah.ErrorCode(err) == naskah.ENOTFOUND {
		return nil
	}
	if err != nil {
		return err
	}
	older := false
	for _, v := range vs { // newest first
		if v.VersionID == applied {
			older = true
		}
		if !older {
			continue
		}
		if err := e.Store.Delete(ctx, key, storage.DeleteOptions{VersionID: v.VersionID}); err != nil && naskah.ErrorCode(err) != naskah.ENOTFOUND {
			return err
		}
	}
	if !older {
		// Not listed (removed meanwhile, or a listing without it): remove
		// it by id as before.
		if err := e.Store.Delete(ctx, key, storage.DeleteOptions{VersionID: applied}); err != nil && naskah.ErrorCode(err) != naskah.ENOTFOUND {
			return err
		}
	}
	return nil
}

// RunOutbox applies queued updates until ctx ends, retrying with backoff
// (1 s doubling to 1 min) while the index or the store is down or panics.
func (e *Engine) RunOutbox(ctx context.Context) {
	wk := e.w()
	backoff := time.Second
	for {
		_, err := e.drainSafe(ctx)
		wait := 30 * time.Second
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			e.Logger.Warn("index updates wait in the outbox", "err", err, "retry_in", backoff)
			wait = backoff
			backoff = min(backoff*2, time.Minute)
		} else {
			backoff = time.Second
		}
		select {
		case <-ctx.Done():
			return
		case <-wk.kick:
			if err != nil {
				// Still failing: don't spin on every commit.
				select {
				case <-ctx.Done():
					return
				case <-time.After(wait):
				}
			}
		case <-time.After(wait):
		}
	}
}

// IndexAgreement writes the search documents of one agreement (and removes
// them if the agreement no longer exists).
func (e *Engine) IndexAgreement(ctx context.Context, id string) error {
	a, _, err := e.Load(ctx, id)
	if naskah.ErrorCode(err) == naskah.ENOTFOUND {
		return e.Index.Delete(ctx, id)
	}
	if err != nil {
		return err
	}
	// The outbox entry was queued before the commit, so it is still here
	// if retention after the commit failed: apply it now (retention.go).
	if _, err := e.ensureRetention(ctx, a); err != nil {
		if naskah.ErrorCode(err) == naskah.EUNAVAILABLE {
			return err
		}
		e.Logger.Error("cannot retain a committed version; run naskah fsck -repair", "agreement", id, "err", err)
	}
	docs, err := e.Documents(ctx, a)
	if err != nil {
		return err
	}
	return e.Index.Upsert(ctx, docs...)
}

// textPreference is the order in which a version's text stands for the
// agreement's own search document: signed text first.
var textPreference = []naskah.DocumentKind{naskah.DocSigned, naskah.DocCTC, naskah.DocTextToSign, naskah.DocFinalDraftPartner,
	naskah.DocFinalDraft, naskah.DocApprovedDraft, naskah.DocSecondDraft, naskah.DocFirstDraft, naskah.DocReviewedDraft,
	naskah.DocInitialDraft, naskah.DocCounterDraft, naskah.DocMonevReport, naskah.DocMonevMatrix}

// Documents builds the search documents of an agreement: one for the
// agreement and one per document version.
func (e *Engine) Documents(ctx context.Context, a *naskah.Agreement) ([]search.Doc, error) {
	base := search.Doc{AgreementID: a.ID, Number: a.Number, Title: a.Title, Kind: string(a.Kind), Scope: string(a.Scope),
		PartnerName: a.Partner.Name, PartnerKind: string(a.Partner.Kind), PartnerCountry: a.Partner.Country,
		Unit: a.Unit, Step: string(a.Step), Status: string(a.Status), UpdatedAt: a.UpdatedAt}
	if a.SignedAt != nil {
		base.SignedAt, base.YearSigned = *a.SignedAt, a.SignedAt.Year()
	}
	if a.ValidUntil != nil {
		base.ExpiresAt = *a.ValidUntil
	}
	texts := map[string]string{}
	var docs []search.Doc
	for i := range a.Documents {
		d := &a.Documents[i]
		text, err := e.text(ctx, d)
		if err != nil {
			return nil, err
		}
		texts[d.SHA256] = text
		v := base
		v.ID, v.Type, v.DocumentKind, v.Version, v.Text = fmt.Sprintf("%s_%s_v%d", a.ID, d.Kind, d.Version), search.TypeVersion, string(d.Kind), d.Version, text
		v.UpdatedAt = d.UploadedAt
		docs = append(docs, v)
	}
	ag := base
	ag.ID, ag.Type = a.ID, search.TypeAgreement
	for _, k := range textPreference {
		if d := a.Latest(k); d != nil {
			ag.Text, ag.DocumentKind, ag.Version = texts[d.SHA256], string(k), d.Version
			break
		}
	}
	return append([]search.Doc{ag}, docs...), nil
}

// text extracts a version's text, remembering it by SHA-256; an
// unreadable PDF indexes as empty text rather than blocking the outbox.
func (e *Engine) text(ctx context.Context, d *naskah.DocumentVersion) (string, error) {
	wk := e.w()
	wk.mu.Lock()
	t, ok := wk.text[d.SHA256]
	wk.mu.Unlock()
	if ok {
		return t, nil
	}
	data, err := e.readVersion(ctx, d)
	if err != nil {
		return "", err
	}
	if d.MediaType == MediaXLSX {
		t, err = xlsxText(ctx, data)
		if err != nil {
			e.Logger.Warn("spreadsheet text extraction failed; indexing without text", "key", d.Key, "err", err)
			t = ""
		}
	} else if e.Extractor != nil {
		t, err = e.Extractor.Extract(ctx, data)
		if err != nil {
			e.Logger.Warn("text extraction failed; indexing without text", "key", d.Key, "version", d.Version, "err", err)
			t = ""
		}
	}
	wk.mu.Lock()
	if len(wk.text) > 4096 {
		clear(wk.text)
	}
	wk.text[d.SHA256] = t
	wk.mu.Unlock()
	return t, nil
}

// Reindex empties the index and rebuilds it from storage, calling progress
// after each agreement with (done, total).
func (e *Engine) Reindex(ctx context.Context, progress func(done, total int)) (int, error) {
	if e.Index == nil {
		return 0, naskah.Errorf(naskah.EUNAVAILABLE, "no search index is configured")
	}
	// Empty first, list after: an update the outbox worker applies
	// meanwhile is then either listed here or kept, never emptied away.
	if err := e.Index.DeleteAll(ctx); err != nil {
		return 0, err
	}
	ids, err := e.recordIDs(ctx)
	if err != nil {
		return 0, err
	}
	for i, id := range ids {
		if err := e.IndexAgreement(ctx, id); err != nil {
			return i, fmt.Errorf("reindex %s: %w", id, err)
		}
		if progress != nil {
			progress(i+1, len(ids))
		}
	}
	return len(ids), nil
}

func (e *Engine) recordIDs(ctx context.Context) ([]string, error) {
	objs, err := e.Store.List(ctx, "agreements/")
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, o := range objs {
		if strings.HasSuffix(o.Key, "/record.json") {
			ids = append(ids, strings.TrimSuffix(strings.TrimPrefix(o.Key, "agreements/"), "/record.json"))
		}
	}
	return ids, nil
}

// Search runs a query restricted to what the actor may see.
func (e *Engine) Search(ctx context.Context, actor naskah.Actor, q search.Query) (*search.Result, error) {
	if e.Index == nil {
		return nil, naskah.Errorf(naskah.EUNAVAILABLE, "search is not configured")
	}
	switch actor.Role {
	case naskah.RoleUnit, naskah.RoleUPT:
		q.Units = []string{actor.Unit}
	case naskah.RoleMitra, naskah.RoleKemenlu, "":
		return nil, naskah.Errorf(naskah.EFORBIDDEN, "searching the archive is for BPOM staff")
	}
	return e.Index.Search(ctx, q)
}
