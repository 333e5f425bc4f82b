package pipeline

import (
	"context"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/bpom/naskah"
	"github.com/bpom/naskah/pipeline/pdf"
	"github.com/bpom/naskah/storage"
)

// SignRequest is a signature by an official. The passphrase is used once to
// open the keystore and never stored or logged.
type SignRequest struct {
	Request
	Keystore   []byte // PKCS#12
	Passphrase string
	UseToken   bool   // sign with the actor's own PKCS#11 token key (Engine.Tokens) instead of a keystore
	PIN        string // the token's PIN, used once like the passphrase
	Reason     string
	Location   string
	Visible    bool
	Page       int
}

// Sign signs the text to sign (or adds the next signature to the signed
// text), verifies the result against our roots, stores it under retention
// and records it.
func (e *Engine) Sign(ctx context.Context, r SignRequest) (*naskah.Agreement, error) {
	return e.apply(ctx, r.Request, naskah.ActionSign, func(a *naskah.Agreement) (naskah.Action, func(), error) {
		probe := naskah.Action{Kind: naskah.ActionSign, Actor: r.Actor, At: e.now(),
			Document: &naskah.DocumentVersion{Kind: naskah.DocSigned, Version: a.NextVersion(naskah.DocSigned), Signers: []string{naskah.SignerTag(r.Actor.Role, r.Actor.User)}}}
		if _, err := naskah.Apply(*a, probe, e.Calendar); err != nil && naskah.ErrorCode(err) != naskah.EINVALID {
			return naskah.Action{}, nil, err
		}
		// Each signature goes on the newest signed text, the first on the text to sign.
		src := a.CurrentSigned()
		if src == nil {
			src = a.Latest(naskah.DocTextToSign)
		}
		if src == nil {
			return naskah.Action{}, nil, naskah.Errorf(naskah.EINVALID, "there is no text to sign: upload the %s first", naskah.DocTextToSign.Title())
		}
		for _, s := range signersOf(a, src) {
			if s == naskah.SignerTag(r.Actor.Role, r.Actor.User) {
				return naskah.Action{}, nil, naskah.Errorf(naskah.ECONFLICT, "you have already signed this text")
			}
		}
		signer, release, err := e.signer(ctx, r)
		if err != nil {
			return naskah.Action{}, nil, err
		}
		defer release()
		if err := e.checkBinding(ctx, r.Actor, signer.Certificate); err != nil {
			return naskah.Action{}, nil, err
		}
		data, err := e.readVersion(ctx, src)
		if err != nil {
			return naskah.Action{}, nil, err
		}
		reason := r.Reason
		if reason == "" {
			reason = fmt.Sprintf("Penandatanganan %s %s", a.Kind.Title(), numberOrID(a))
		}
		opts := pdf.SignOptions{Reason: reason, Location: r.Location, Visible: r.Visible, Page: r.Page,
			TSAURL: e.Config.TSAURL, Level: pdf.DefaultLevel(e.Config.TSAURL), Timeout: e.Config.SignTimeout, Now: e.Now, Roots: e.signRoots(r.Actor, signer)}
		if r.Visible {
			if opts.Page <= 0 {
				opts.Page = 1
			}
			if opts.Appearance, err = e.signatureAppearance(a, src, r.Actor.User); err != nil {
				return naskah.Action{}, nil, err
			}
		}
		signed, err := pdf.Sign(ctx, data, signer, opts)
		release() // a token's session ends as soon as the signature is made
		if err != nil {
			return naskah.Action{}, nil, err
		}
		rep, err := pdf.Verify(ctx, signed, e.verifyOptions())
		if err != nil {
			return naskah.Action{}, nil, err
		}
		if !rep.Valid {
			return naskah.Action{}, nil, naskah.Errorf(naskah.EINVALID, "the signature did not verify (%s): check that the certificate is issued by a trusted BPOM CA", problems(rep))
		}
		if err := checkTrustList(r.Actor, rep); err != nil {
			return naskah.Action{}, nil, err
		}
		d, undo, err := e.storeVersion(ctx, a, naskah.DocSigned, signed, r.Actor)
		if err != nil {
			return naskah.Action{}, nil, err
		}
		if err := e.recheckBinding(ctx, r.Actor, signer.Certificate, undo); err != nil {
			return naskah.Action{}, nil, err
		}
		d.Pages = src.Pages
		d.Signers = append(slices.Clone(signersOf(a, src)), naskah.SignerTag(r.Actor.Role, r.Actor.User))
		d.Signatures = append(signaturesOf(src), signatureInfo(r.Actor, signer.Certificate, d.UploadedAt, false))
		return naskah.Action{Kind: naskah.ActionSign, Actor: r.Actor, Note: r.Note, RequestID: r.RequestID, Document: d}, undo, nil
	})
}

func signersOf(a *naskah.Agreement, d *naskah.DocumentVersion) []string {
	if d.Kind == naskah.DocSigned {
		return d.Signers
	}
	return nil
}

func problems(rep *pdf.Report) string {
	var ps []string
	ps = append(ps, rep.Problems...)
	for _, s := range rep.Signatures {
		ps = append(ps, s.Problems...)
	}
	if len(ps) == 0 {
		return "no detail"
	}
	return fmt.Sprint(ps)
}

// readVersion reads one stored document version, checking its SHA-256
// against the record.
func (e *Engine) readVersion(ctx context.Context, d *naskah.DocumentVersion) ([]byte, error) {
	rc, info, err := e.Store.Get(ctx, d.Key, storage.GetOptions{VersionID: d.VersionID})
	if err != nil {
		return nil, fmt.Errorf("read %s v%d: %w", d.Kind, d.Version, err)
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		return nil, fmt.Errorf("read %s v%d: %w", d.Kind, d.Version, err)
	}
	if info.SHA256 != "" && info.SHA256 != d.SHA256 {
		return nil, naskah.Errorf(naskah.EINTERNAL, "stored %s v%d does not match the record's checksum: run naskah fsck", d.Kind, d.Version)
	}
	return data, nil
}

// Download returns a document version's bytes. A signed text or CTC is the
// stored original, byte for byte (its signature is what proves it; a marked
// copy is DownloadCopy). Any other version is by default a derived
// "uncontrolled copy" stamped with who and when; original=true returns the
// stored bytes.
func (e *Engine) Download(ctx context.Context, actor naskah.Actor, id string, kind naskah.DocumentKind, version int, original bool) ([]byte, *naskah.DocumentVersion, error) {
	a, err := e.Get(ctx, actor, id)
	if err != nil {
		return nil, nil, err
	}
	var d *naskah.DocumentVersion
	if version == 0 {
		d = a.Latest(kind)
	} else {
		d = a.Document(kind, version)
	}
	if d == nil {
		return nil, nil, naskah.Errorf(naskah.ENOTFOUND, "agreement %s has no %s version %d", id, kind, version)
	}
	data, err := e.readVersion(ctx, d)
	if err != nil {
		return nil, nil, err
	}
	if original || ServesOriginal(d) {
		return data, d, nil
	}
	// pdfcpu rewrites the file: a stamped copy of a signed text is a
	// derived copy whose signatures no longer verify, as its footer says.
	out, err := pdf.StampUncontrolledCopy(ctx, data, pdf.CopyMarks{Who: actorName(actor), When: e.now()})
	if err != nil {
		return nil, nil, err
	}
	return out, d, nil
}

func actorName(a naskah.Actor) string {
	if a.Name != "" {
		return a.Name + " (" + string(a.Role) + ")"
	}
	return a.User + " (" + string(a.Role) + ")"
}

// VerifyDocument verifies any PDF against the engine's trust roots.
func (e *Engine) VerifyDocument(ctx context.Context, data []byte) (*pdf.Report, error) {
	if int64(len(data)) > e.Config.Limits.MaxBytes && e.Config.Limits.MaxBytes > 0 {
		return nil, naskah.Errorf(naskah.ETOOLARGE, "the file is larger than the %d MB limit", e.Config.Limits.MaxBytes>>20)
	}
	// Public and unauthenticated (POST /verify): bounded in time whatever
	// the caller's context.
	ctx, cancel := context.WithTimeout(ctx, verifyTimeout)
	defer cancel()
	return pdf.Verify(ctx, data, e.verifyOptions())
}

// verifyTimeout bounds one VerifyDocument.
const verifyTimeout = 30 * time.Second
