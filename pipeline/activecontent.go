package pipeline

import (
	"context"

	"github.com/bpom/naskah"
	"github.com/bpom/naskah/pipeline/pdf"
)

// stampActive is stampFor that accounts for active content, given what
// Inspect found (active). The text to sign is stamped without it —
// pdf.StampForSigningPlaces removes it or refuses the file — so what was
// found is what was removed; other kinds keep it as the record's warning.
// The text to sign also loses its empty signature fields, which pdfsign
// cannot fill: their places are returned for the version's record, and
// the note "empty signature fields replaced" joins removed.
func (e *Engine) stampActive(ctx context.Context, a *naskah.Agreement, kind naskah.DocumentKind, data []byte, active []string) (out []byte, stillActive, removed []string, places []naskah.SignaturePlace, err error) {
	if kind == naskah.DocTextToSign {
		out, _, places, err = pdf.StampForSigningPlaces(ctx, data, pdf.SigningMarks{VerifyURL: e.verifyURL(a.ID), AgreementNumber: numberOrID(a)})
		if err != nil {
			return nil, nil, nil, nil, err
		}
		removed = active
		if len(places) > 0 {
			removed = append(append([]string(nil), active...), PlacesReplacedNote)
		}
		return out, nil, removed, places, nil
	}
	out, err = e.stampFor(ctx, a, kind, data)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	return out, active, nil, nil, nil
}

// PlacesReplacedNote is recorded in ActiveContentRemoved when the text to
// sign's empty signature fields were taken out for Naskah's boxes.
const PlacesReplacedNote = "kolom tanda tangan kosong diganti dengan kotak tanda tangan Naskah — empty signature fields replaced by Naskah's signature boxes"
