package pipeline

import (
	"context"
	"strings"

	"github.com/bpom/naskah"
	"github.com/bpom/naskah/pipeline/pdf"
)

// ServesOriginal reports whether a download of d without an explicit choice
// gives the stored bytes: signed texts and CTCs (a stamped copy of them no
// longer verifies and would look forged) and spreadsheets (nothing to stamp).
func ServesOriginal(d *naskah.DocumentVersion) bool {
	return d.Kind.Retained() || d.MediaType == MediaXLSX
}

// DownloadCopy returns a marked "uncontrolled copy" of a document version,
// the explicit choice beside the original. A copy of a signed text or CTC
// says on its face which signed document it copies (number, version,
// SHA-256 of the original, signers, verification link) and carries the
// marker pdf.Verify recognises; a copy of a draft is the usual stamped copy.
// Spreadsheets have no copy: EINVALID.
func (e *Engine) DownloadCopy(ctx context.Context, actor naskah.Actor, id string, kind naskah.DocumentKind, version int) ([]byte, *naskah.DocumentVersion, error) {
	data, d, err := e.Download(ctx, actor, id, kind, version, true)
	if err != nil {
		return nil, nil, err
	}
	if d.MediaType == MediaXLSX {
		return nil, nil, naskah.Errorf(naskah.EINVALID, "spreadsheets have no marked copy: download the file itself")
	}
	marks := pdf.CopyMarks{Who: actorName(actor), When: e.now()}
	if d.Kind.Retained() {
		a, err := e.Get(ctx, actor, id)
		if err != nil {
			return nil, nil, err
		}
		of := &pdf.CopyOf{AgreementID: a.ID, Number: numberOrID(a), Version: d.Version, SHA256: d.SHA256,
			VerifyURL: e.verifyURL(a.ID), SignedBy: signerNames(d.Signers)}
		if a.SignedAt != nil {
			of.SignedAt = *a.SignedAt
		}
		marks.Of = of
	}
	out, err := pdf.StampUncontrolledCopy(ctx, data, marks)
	if err != nil {
		return nil, nil, err
	}
	return out, d, nil
}

// signerNames turns record signer tags ("ROLE:user") into what the copy
// shows: the user after the role.
func signerNames(tags []string) []string {
	out := make([]string, 0, len(tags))
	for _, t := range tags {
		if role, user, ok := strings.Cut(t, ":"); ok {
			t = user + " (" + role + ")"
		}
		out = append(out, t)
	}
	return out
}
