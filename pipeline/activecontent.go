package pipeline

import (
	"context"

	"github.com/bpom/naskah"
)

// stampActive is stampFor that accounts for active content, given what
// Inspect found (active). The text to sign is stamped without it —
// pdf.StampForSigning removes it or refuses the file — so what was found
// is what was removed; other kinds keep it as the record's warning.
func (e *Engine) stampActive(ctx context.Context, a *naskah.Agreement, kind naskah.DocumentKind, data []byte, active []string) (out []byte, stillActive, removed []string, err error) {
	out, err = e.stampFor(ctx, a, kind, data)
	if err != nil {
		return nil, nil, nil, err
	}
	if kind == naskah.DocTextToSign {
		return out, nil, active, nil
	}
	return out, active, nil, nil
}
