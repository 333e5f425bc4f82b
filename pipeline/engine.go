// Package pipeline is Naskah's engine: it applies an SOP action to an
// agreement — authorise, validate the PDF, stamp, sign, verify, store the
// versions, commit the record with a conditional write, queue the index
// update and append the audit event — or refuses it with nothing changed.
package pipeline

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/bpom/naskah"
	"github.com/bpom/naskah/pipeline/pdf"
	"github.com/bpom/naskah/search"
	"github.com/bpom/naskah/storage"
)

// Config holds the engine's settings.
type Config struct {
	Limits        pdf.Limits    // upload limits
	VerifyURL     string        // public verification page base, e.g. https://naskah.pom.go.id/verify
	ArchivePeriod time.Duration // retention of signed originals and CTCs
	ExpiryWindow  time.Duration // agreements expiring within it are listed for extension
	TSAURL        string        // RFC 3161 timestamp authority, optional
	SignTimeout   time.Duration
	SpecimenDir   string // <user>.png or .jpg: an official's signature or seal in the visible box; empty = none
}

// DefaultConfig returns the defaults: 50 MiB / 2000 pages, 10 years of
// retention, a 6-month expiry window.
func DefaultConfig() Config {
	return Config{
		Limits:        pdf.Limits{MaxBytes: 50 << 20, MaxPages: 2000},
		VerifyURL:     "http://localhost:8080/verify",
		ArchivePeriod: 10 * 365 * 24 * time.Hour,
		ExpiryWindow:  183 * 24 * time.Hour,
		SignTimeout:   30 * time.Second,
	}
}

// Engine carries agreements through the SOP. It keeps no state of its own
// beyond configuration: records in storage are the truth, so any number of
// engines (service replicas) may share one store. Safe for concurrent use.
type Engine struct {
	Store     storage.Store
	Index     search.Index // may be nil: updates wait in the outbox
	Extractor search.Extractor
	Calendar  *naskah.Calendar
	Roots     *x509.CertPool // trust roots for verification
	Tokens    TokenKeys      // officials' PKCS#11 token keys (pkcs11.Signers); nil: keystores only
	// PartnerRoots are the partner trust list: CAs trusted for partners'
	// countersignatures made outside Naskah (nil: none accepted).
	PartnerRoots *x509.CertPool
	Config       Config
	Now          func() time.Time
	Logger       *slog.Logger

	work    worker
	records recordCache

	// AccountName, when set, gives an account's full name: a certificate
	// registered to it must name that person (RegisterCertificateWith).
	AccountName func(user string) string
}

// New returns an engine with defaults for what is not set.
func New(st storage.Store, idx search.Index, cfg Config) *Engine {
	return &Engine{Store: st, Index: idx, Config: cfg, Calendar: naskah.DefaultCalendar(), Now: time.Now,
		Logger: slog.New(slog.DiscardHandler), Extractor: search.NewExtractor(30 * time.Second), Roots: x509.NewCertPool()}
}

func (e *Engine) now() time.Time { return e.Now().In(naskah.Jakarta) }

// NewID returns a fresh agreement id: date and random, usable as a search id.
func NewID(now time.Time) string {
	var b [5]byte
	_, _ = rand.Read(b[:])
	return now.In(naskah.Jakarta).Format("20060102") + "-" + hex.EncodeToString(b[:])
}

// Load reads an agreement's record and its ETag. ENOTFOUND when unknown.
func (e *Engine) Load(ctx context.Context, id string) (*naskah.Agreement, string, error) {
	if !search.ValidID(id) {
		return nil, "", naskah.Errorf(naskah.ENOTFOUND, "agreement %q does not exist: check the id", id)
	}
	rc, info, err := e.Store.Get(ctx, naskah.RecordKey(id), storage.GetOptions{})
	if err != nil {
		if naskah.ErrorCode(err) == naskah.ENOTFOUND {
			return nil, "", naskah.Errorf(naskah.ENOTFOUND, "agreement %q does not exist: check the id", id)
		}
		return nil, "", fmt.Errorf("load %s: %w", id, err)
	}
	defer rc.Close()
	var a naskah.Agreement
	if err := json.NewDecoder(rc).Decode(&a); err != nil {
		return nil, "", fmt.Errorf("load %s: %w", id, err)
	}
	e.records.put(id, info.ETag, &a)
	return &a, info.ETag, nil
}

// Get returns an agreement the actor may see.
func (e *Engine) Get(ctx context.Context, actor naskah.Actor, id string) (*naskah.Agreement, error) {
	a, _, err := e.Load(ctx, id)
	if err != nil {
		return nil, err
	}
	if !actor.CanSee(a) {
		// Same answer as a missing agreement: a unit learns nothing of others'.
		return nil, naskah.Errorf(naskah.ENOTFOUND, "agreement %q does not exist: check the id", id)
	}
	return a, nil
}

// Initiate creates an agreement at the first step of its process. An id
// the caller chose must pass CheckClientID.
func (e *Engine) Initiate(ctx context.Context, actor naskah.Actor, a naskah.Agreement, requestID string) (*naskah.Agreement, error) {
	if a.ID != "" {
		if err := CheckClientID(actor, a.ID); err != nil {
			return nil, err
		}
	}
	if err := checkAgreementText(a); err != nil {
		return nil, err
	}
	return e.initiate(ctx, actor, a, requestID)
}

// initiate is Initiate for ids the engine chose (monev rounds).
func (e *Engine) initiate(ctx context.Context, actor naskah.Actor, a naskah.Agreement, requestID string) (*naskah.Agreement, error) {
	now := e.now()
	if a.ID == "" {
		a.ID = NewID(now)
		if requestID != "" {
			// A retried initiate with the same request id names the same
			// agreement, whenever the retry comes.
			sum := sha256.Sum256([]byte(actor.User + "\x00" + requestID))
			a.ID = "r" + hex.EncodeToString(sum[:8])
		}
	}
	if !search.ValidID(a.ID) {
		return nil, naskah.Errorf(naskah.EINVALID, "agreement id %q: use letters, digits, '-' or '_'", a.ID)
	}
	if a.Extends != "" {
		if _, err := e.Get(ctx, actor, a.Extends); err != nil {
			return nil, naskah.Errorf(naskah.EINVALID, "the extended agreement %q does not exist: check the id", a.Extends)
		}
	}
	next, err := naskah.Initiate(a, actor, now, e.Calendar)
	if err != nil {
		return nil, err
	}
	if requestID != "" {
		next.Requests = []string{requestID}
	}
	if err := e.commit(ctx, &next, ""); err != nil {
		if naskah.ErrorCode(err) == naskah.ECONFLICT && requestID != "" {
			if cur, _, lerr := e.Load(ctx, next.ID); lerr == nil && cur.HasRequest(requestID) {
				return cur, nil
			}
		}
		return nil, err
	}
	e.Logger.Info("initiated", "agreement", next.ID, "process", next.Process, "by", actor.User)
	return &next, nil
}

// Request is the common part of every action on an existing agreement.
type Request struct {
	Actor     naskah.Actor
	ID        string // agreement id
	RequestID string // idempotency key: a retried request has the effect of one
	Revision  int    // the revision the actor saw; 0 skips the staleness check
	Note      string
}

// Act applies a document-less action (submit, approve, reject, return,
// deliver, receive, archive).
func (e *Engine) Act(ctx context.Context, r Request, kind naskah.ActionKind) (*naskah.Agreement, error) {
	switch kind {
	case naskah.ActionUpload, naskah.ActionSign, naskah.ActionInitiate:
		return nil, naskah.Errorf(naskah.EINVALID, "%s needs its own request (with a file or a keystore)", kind)
	}
	return e.apply(ctx, r, kind, func(a *naskah.Agreement) (naskah.Action, func(), error) {
		return naskah.Action{Kind: kind, Actor: r.Actor, Note: r.Note, RequestID: r.RequestID}, nil, nil
	})
}

// Upload is a document for an upload action.
type Upload struct {
	Kind     naskah.DocumentKind
	FileName string
	Body     io.Reader // read up to Config.Limits.MaxBytes+1
}

// Upload validates the PDF, stamps the step's marks, stores the version and
// records it.
func (e *Engine) Upload(ctx context.Context, r Request, up Upload) (*naskah.Agreement, error) {
	if !up.Kind.Valid() {
		return nil, naskah.Errorf(naskah.EINVALID, "document kind %q is unknown: use one of the kinds listed for the step", up.Kind)
	}
	data, err := readLimited(up.Body, e.Config.Limits.MaxBytes)
	if err != nil {
		return nil, err
	}
	// A monev matrix may be the spreadsheet the units fill in (C2); every
	// other document is a PDF.
	media, pages, active := "application/pdf", 0, []string(nil)
	if up.Kind == naskah.DocMonevMatrix && isXLSX(data) {
		if _, err := xlsxText(ctx, data); err != nil {
			return nil, err
		}
		media = MediaXLSX
	} else {
		info, err := pdf.Inspect(ctx, data, e.Config.Limits)
		if err != nil {
			return nil, err
		}
		pages, active = info.Pages, info.ActiveContent
	}
	origSum := sha256.Sum256(data)
	return e.apply(ctx, r, naskah.ActionUpload, func(a *naskah.Agreement) (naskah.Action, func(), error) {
		// Authorise before any work: Apply would refuse anyway, but we
		// must not store bytes for a refused action.
		probe := naskah.Action{Kind: naskah.ActionUpload, Actor: r.Actor, At: e.now(),
			Document: &naskah.DocumentVersion{Kind: up.Kind, Version: a.NextVersion(up.Kind)}}
		if _, err := naskah.Apply(*a, probe, e.Calendar); err != nil {
			return naskah.Action{}, nil, err
		}
		stamped, removed, places := data, []string(nil), []naskah.SignaturePlace(nil)
		if media == "application/pdf" {
			if stamped, active, removed, places, err = e.stampActive(ctx, a, up.Kind, data, active); err != nil {
				return naskah.Action{}, nil, err
			}
		}
		d, undo, err := e.storeMedia(ctx, a, up.Kind, stamped, r.Actor, media)
		if err != nil {
			return naskah.Action{}, nil, err
		}
		d.Pages, d.FileName = pages, cleanName(up.FileName)
		d.ActiveContent, d.ActiveContentRemoved, d.SignaturePlaces = active, removed, places
		d.OriginalSHA256 = hex.EncodeToString(origSum[:])
		return naskah.Action{Kind: naskah.ActionUpload, Actor: r.Actor, Note: r.Note, RequestID: r.RequestID, Document: d}, undo, nil
	})
}

// stampFor applies the step's marks: the draft watermark and header on
// drafts, page numbers and the verification QR code on the text to sign.
func (e *Engine) stampFor(ctx context.Context, a *naskah.Agreement, kind naskah.DocumentKind, data []byte) ([]byte, error) {
	switch {
	case kind.IsDraft():
		wm := pdf.WatermarkDraft
		if kind.IsFinalDraft() {
			wm = pdf.WatermarkFinalDraft
		}
		return pdf.StampDraft(ctx, data, pdf.DraftMarks{Watermark: wm, SOPCode: naskah.SOPCode, AgreementNumber: numberOrID(a),
			Version: fmt.Sprintf("%s v%d", kind, a.NextVersion(kind)), Step: string(a.Step), Date: e.now()})
	case kind == naskah.DocTextToSign:
		return pdf.StampForSigning(ctx, data, pdf.SigningMarks{VerifyURL: e.verifyURL(a.ID), AgreementNumber: numberOrID(a)})
	}
	return data, nil
}

func (e *Engine) verifyURL(id string) string {
	return strings.TrimRight(e.Config.VerifyURL, "/") + "/" + id
}

func numberOrID(a *naskah.Agreement) string {
	if a.Number != "" {
		return a.Number
	}
	return a.ID
}

// storeVersion writes a new version of a document and returns its record
// entry and an undo that removes it if the commit fails.
func (e *Engine) storeVersion(ctx context.Context, a *naskah.Agreement, kind naskah.DocumentKind, data []byte, by naskah.Actor) (*naskah.DocumentVersion, func(), error) {
	return e.storeMedia(ctx, a, kind, data, by, "application/pdf")
}

// storeMedia is storeVersion for a given media type (PDF or XLSX).
func (e *Engine) storeMedia(ctx context.Context, a *naskah.Agreement, kind naskah.DocumentKind, data []byte, by naskah.Actor, media string) (*naskah.DocumentVersion, func(), error) {
	sum := sha256.Sum256(data)
	hexSum := hex.EncodeToString(sum[:])
	key := naskah.DocumentKey(a.ID, kind)
	if media == MediaXLSX {
		key = strings.TrimSuffix(key, ".pdf") + ".xlsx"
	}
	opts := storage.PutOptions{Size: int64(len(data)), ContentType: media, SHA256: hexSum,
		Metadata: map[string]string{"agreement": a.ID, "kind": string(kind), "version": fmt.Sprint(a.NextVersion(kind)), "uploaded-by": by.User}}
	// Retention is applied only after the record commits (retention.go):
	// until then the version is an ordinary one that undo can remove.
	var retain *time.Time
	if kind.Retained() && e.Config.ArchivePeriod > 0 {
		t := e.now().Add(e.Config.ArchivePeriod).UTC().Truncate(time.Second)
		retain = &t
	}
	info, err := e.Store.Put(ctx, key, bytes.NewReader(data), opts)
	if err != nil {
		return nil, nil, fmt.Errorf("store %s: %w", kind, err)
	}
	undo := func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if err := e.Store.Delete(ctx, key, storage.DeleteOptions{VersionID: info.VersionID}); err != nil {
			e.Logger.Warn("orphaned document version left behind", "key", key, "version", info.VersionID, "err", err)
		}
	}
	return &naskah.DocumentVersion{Kind: kind, Version: a.NextVersion(kind), Key: key, VersionID: info.VersionID,
		SHA256: hexSum, Size: int64(len(data)), MediaType: media, UploadedBy: by.User, UploadedAt: e.now(), RetainUntil: retain}, undo, nil
}

// apply is the one path every action on an existing agreement takes: load,
// check revision and idempotency, prepare (store bytes), Apply, queue the
// index update, commit conditionally; undo stored bytes on failure.
func (e *Engine) apply(ctx context.Context, r Request, kind naskah.ActionKind, prepare func(a *naskah.Agreement) (naskah.Action, func(), error)) (*naskah.Agreement, error) {
	if err := naskah.CheckText("note", r.Note, naskah.MaxNote, true); err != nil {
		return nil, err
	}
	a, etag, err := e.Load(ctx, r.ID)
	if err != nil {
		return nil, err
	}
	if !r.Actor.CanSee(a) {
		return nil, naskah.Errorf(naskah.ENOTFOUND, "agreement %q does not exist: check the id", r.ID)
	}
	if a.HasRequest(r.RequestID) {
		return a, nil // a retry of an action already applied
	}
	if r.Revision != 0 && r.Revision != a.Revision {
		return nil, naskah.Errorf(naskah.ECONFLICT, "the agreement changed since you loaded it (revision %d, you saw %d): reload it and try again", a.Revision, r.Revision)
	}
	act, undo, err := prepare(a)
	if err != nil {
		if naskah.ErrorCode(err) == naskah.EFORBIDDEN && movedOn(a, r.Actor, kind) {
			return nil, movedOnError(a, err)
		}
		return nil, err
	}
	act.At = e.now()
	next, err := naskah.Apply(*a, act, e.Calendar)
	if naskah.ErrorCode(err) == naskah.EFORBIDDEN && movedOn(a, r.Actor, act.Kind) {
		err = movedOnError(a, err)
	}
	committing := err == nil
	if committing {
		err = e.commit(ctx, &next, etag)
	}
	if err != nil {
		if !committing {
			if undo != nil {
				undo()
			}
		} else if cur := e.settle(ctx, r.ID, act.Document, undo); cur != nil {
			e.retainAfterCommit(ctx, act.Document)
			return cur, nil
		}
		if naskah.ErrorCode(err) == naskah.ECONFLICT && r.RequestID != "" {
			if cur, _, lerr := e.Load(ctx, r.ID); lerr == nil && cur.HasRequest(r.RequestID) {
				return cur, nil
			}
		}
		return nil, err
	}
	e.retainAfterCommit(ctx, act.Document)
	e.Logger.Info("action", "agreement", next.ID, "action", act.Kind, "step", a.Step, "to", next.Step, "by", r.Actor.User)
	return &next, nil
}

// commit queues the index update, then writes the record conditionally:
// create-only when etag is "", else only over that ETag. The outbox entry
// goes first so a crash between the two re-indexes at worst.
func (e *Engine) commit(ctx context.Context, a *naskah.Agreement, etag string) error {
	body, err := json.Marshal(a)
	if err != nil {
		return fmt.Errorf("encode record: %w", err)
	}
	if err := e.queue(ctx, a.ID, a.Revision); err != nil {
		return err
	}
	info, err := e.Store.Put(ctx, naskah.RecordKey(a.ID), bytes.NewReader(body), storage.PutOptions{
		Size: int64(len(body)), ContentType: "application/json", IfMatch: etag, IfNoneMatch: etag == "",
		Metadata: map[string]string{"revision": fmt.Sprint(a.Revision), "step": string(a.Step)}})
	if naskah.ErrorCode(err) == naskah.ECONFLICT {
		if etag == "" {
			return naskah.Errorf(naskah.ECONFLICT, "agreement %s already exists", a.ID)
		}
		return naskah.Errorf(naskah.ECONFLICT, "the agreement changed while you were acting (someone else acted first): reload it and try again")
	}
	if err != nil {
		return fmt.Errorf("commit %s: %w", a.ID, err)
	}
	e.records.put(a.ID, info.ETag, a)
	e.Kick()
	return nil
}

// readLimited reads r fully, refusing more than max bytes with ETOOLARGE
// while reading (it never holds more than max+1 bytes).
func readLimited(r io.Reader, max int64) ([]byte, error) {
	if r == nil {
		return nil, naskah.Errorf(naskah.EINVALID, "no file was sent: attach the PDF")
	}
	if max <= 0 {
		max = 50 << 20
	}
	data, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		var ne *naskah.Error
		if errors.As(err, &ne) {
			return nil, err
		}
		return nil, naskah.WrapError(naskah.EINVALID, err, "the upload was interrupted: send the file again")
	}
	if int64(len(data)) > max {
		return nil, naskah.Errorf(naskah.ETOOLARGE, "the file is larger than the %d MB limit: compress it or split the annexes", max>>20)
	}
	if len(data) == 0 {
		return nil, naskah.Errorf(naskah.EINVALID, "the file is empty: attach the PDF")
	}
	return data, nil
}

func cleanName(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == '/' || r == '\\' {
			return -1
		}
		return r
	}, s)
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}
