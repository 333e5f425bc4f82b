package pipeline

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/bpom/naskah"
	"github.com/bpom/naskah/pipeline/pdf"
	"github.com/bpom/naskah/storage"
)

// ActionImport is the audit action of an agreement brought in by Import
// rather than carried through the SOP in Naskah.
const ActionImport naskah.ActionKind = "import"

// ImportID is the id an imported PDF gets: derived from its SHA-256, so
// importing the same file twice names the same agreement.
func ImportID(data []byte) string {
	return "imp-" + sha256Hex(data)[:24]
}

// Import records an agreement that was signed before Naskah (or outside
// it): the PDF becomes version 1 of its signed text, under retention, and
// the record is completed at step DONE with one "import" audit event. The
// index update goes through the outbox like every commit.
//
// The PDF is inspected with the engine's limits (EINVALID / ETOOLARGE for
// a broken, encrypted, empty or oversized file). A PDF carrying signatures
// must verify against the engine's roots: any broken, untrusted or
// after-the-fact-modified signature is refused with EINVALID, because the
// archive would otherwise present it as signed. A PDF without signatures
// (a scan of a paper original) is accepted; the audit event and the
// document's empty Signers say so.
//
// a carries the metadata (title, kind, scope, partner, unit, number,
// signed_at, valid_from/until); its process follows from the scope. When
// a.ID is empty it is ImportID(data). If the agreement exists already and
// holds these very bytes, Import returns it together with an ECONFLICT
// error saying it was imported before (so a re-run skips it without
// storing anything); with other bytes, ECONFLICT and a nil agreement.
func (e *Engine) Import(ctx context.Context, actor naskah.Actor, a naskah.Agreement, data []byte) (*naskah.Agreement, error) {
	if actor.Role != naskah.RoleAdmin && actor.Role != naskah.RoleBKH {
		return nil, naskah.Errorf(naskah.EFORBIDDEN, "only ADMIN or BKH may import agreements; you are %s", actor.Role)
	}
	if len(data) == 0 {
		return nil, naskah.Errorf(naskah.EINVALID, "the file is empty: export the signed agreement to PDF again")
	}
	if a.ID == "" {
		a.ID = ImportID(data)
	}
	sum := sha256Hex(data)
	// Existence first: a retained version stored for a duplicate could
	// never be removed again.
	if cur, _, err := e.Load(ctx, a.ID); err == nil {
		if d := cur.Latest(naskah.DocSigned); d != nil && d.SHA256 == sum {
			return cur, naskah.Errorf(naskah.ECONFLICT, "already imported as agreement %s", cur.ID)
		}
		return nil, naskah.Errorf(naskah.ECONFLICT, "agreement %s already exists with another signed text", a.ID)
	} else if naskah.ErrorCode(err) != naskah.ENOTFOUND {
		return nil, err
	}

	switch a.Scope {
	case naskah.ScopeDomestic, "":
		a.Process = naskah.ProcessDomestic
	case naskah.ScopeForeign:
		a.Process = naskah.ProcessForeign
	default:
		return nil, naskah.Errorf(naskah.EINVALID, "scope %q is unknown: use domestic or foreign", a.Scope)
	}
	if a.InitiatorRole == "" {
		a.InitiatorRole = naskah.RoleUnit
	}
	if err := a.Validate(); err != nil {
		return nil, err
	}

	info, err := pdf.Inspect(ctx, data, e.Config.Limits)
	if err != nil {
		return nil, err
	}
	var signers []string
	detail := "imported signed text without a digital signature (scan of a paper original)"
	if info.Signatures > 0 {
		rep, err := pdf.Verify(ctx, data, pdf.VerifyOptions{Roots: e.Roots, Now: e.Now})
		if err != nil {
			return nil, err
		}
		if !rep.Valid {
			return nil, naskah.Errorf(naskah.EINVALID, "the PDF carries %d signature(s) that do not verify (%s): import the original signed file, or add its CA to the trust roots", info.Signatures, problems(rep))
		}
		for _, s := range rep.Signatures {
			signers = append(signers, s.SignerName)
		}
		detail = fmt.Sprintf("imported signed text, %d signature(s) verified: %s", len(signers), strings.Join(signers, "; "))
	}

	now := e.now()
	a.Status, a.Step, a.Revision = naskah.StatusCompleted, naskah.StepDone, 1
	a.CreatedAt, a.UpdatedAt = now, now
	a.History, a.Documents, a.Audit, a.Requests = []naskah.StepEntry{}, nil, nil, nil
	d, undo, err := e.storeImported(ctx, &a, data, actor)
	if err != nil {
		return nil, err
	}
	d.Step, d.Pages, d.OriginalSHA256, d.Signers = naskah.StepDone, info.Pages, sum, signers
	d.FileName = cleanName(a.Title) + ".pdf"
	a.Documents = []naskah.DocumentVersion{*d}
	a.Audit = naskah.AppendAudit(nil, naskah.AuditEvent{At: now, User: actor.User, Role: actor.Role, Action: ActionImport,
		To: naskah.StepDone, Detail: detail, Documents: []string{fmt.Sprintf("%s v%d %s", d.Kind, d.Version, d.SHA256)}})
	if err := e.commit(ctx, &a, ""); err != nil {
		if cur := e.settle(ctx, a.ID, d, undo); cur != nil {
			e.retainAfterCommit(ctx, d)
			return cur, nil
		}
		if naskah.ErrorCode(err) == naskah.ECONFLICT {
			// A concurrent import of the same file won; report it as done.
			if cur, _, lerr := e.Load(ctx, a.ID); lerr == nil {
				if cd := cur.Latest(naskah.DocSigned); cd != nil && cd.SHA256 == sum {
					return cur, naskah.Errorf(naskah.ECONFLICT, "already imported as agreement %s", cur.ID)
				}
			}
		}
		return nil, err
	}
	e.retainAfterCommit(ctx, d)
	e.Logger.Info("imported", "agreement", a.ID, "by", actor.User, "signatures", len(signers))
	return &a, nil
}

// storeImported writes the imported bytes as version 1 of the signed text,
// retained after the commit like every signed original. It is storeVersion without
// the step's media handling, kept separate so the importer does not follow
// every change of the upload path; undo removes an unretained version.
func (e *Engine) storeImported(ctx context.Context, a *naskah.Agreement, data []byte, by naskah.Actor) (*naskah.DocumentVersion, func(), error) {
	sum := sha256Hex(data)
	key := naskah.DocumentKey(a.ID, naskah.DocSigned)
	opts := storage.PutOptions{Size: int64(len(data)), ContentType: "application/pdf", SHA256: sum,
		Metadata: map[string]string{"agreement": a.ID, "kind": string(naskah.DocSigned), "version": "1", "uploaded-by": by.User, "imported": "true"}}
	var retain *time.Time
	if e.Config.ArchivePeriod > 0 {
		t := e.now().Add(e.Config.ArchivePeriod).UTC().Truncate(time.Second)
		retain = &t // applied after the commit, as for every signed text
	}
	info, err := e.Store.Put(ctx, key, bytes.NewReader(data), opts)
	if err != nil {
		return nil, nil, fmt.Errorf("store imported %s: %w", a.ID, err)
	}
	undo := func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		_ = e.Store.Delete(ctx, key, storage.DeleteOptions{VersionID: info.VersionID})
	}
	return &naskah.DocumentVersion{Kind: naskah.DocSigned, Version: 1, Key: key, VersionID: info.VersionID, SHA256: sum,
		Size: int64(len(data)), MediaType: "application/pdf", UploadedBy: by.User, UploadedAt: e.now(), RetainUntil: retain}, undo, nil
}
