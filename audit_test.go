package naskah_test

import (
	"errors"
	"testing"

	"github.com/bpom/naskah"
)

func TestAuditChainDetectsEdits(t *testing.T) {
	w := newWalker(t, domestic(unit), unit)
	w.finish(unit)
	w.finish(bkh)
	chain := w.a.Audit
	if len(chain) < 5 {
		t.Fatalf("chain has %d events, want at least 5", len(chain))
	}
	if err := naskah.VerifyAudit(chain); err != nil {
		t.Fatalf("untouched chain: %v", err)
	}
	tests := []struct {
		name  string
		edit  func(c []naskah.AuditEvent) []naskah.AuditEvent
		index int
	}{
		{"detail edited", func(c []naskah.AuditEvent) []naskah.AuditEvent { c[2].Detail = "changed"; return c }, 2},
		{"user edited", func(c []naskah.AuditEvent) []naskah.AuditEvent { c[3].User = "mallory"; return c }, 3},
		{"edited and rehashed", func(c []naskah.AuditEvent) []naskah.AuditEvent {
			c[1].Detail = "x"
			c[1].Hash = c[1].ComputeHash()
			return c
		}, 2},
		{"event removed", func(c []naskah.AuditEvent) []naskah.AuditEvent { return append(c[:1], c[2:]...) }, 1},
		{"swapped", func(c []naskah.AuditEvent) []naskah.AuditEvent { c[1], c[2] = c[2], c[1]; return c }, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.edit(append([]naskah.AuditEvent(nil), chain...))
			err := naskah.VerifyAudit(c)
			var ae *naskah.AuditError
			if !errors.As(err, &ae) {
				t.Fatalf("got %v, want an *AuditError", err)
			}
			if ae.Index != tt.index {
				t.Fatalf("broken at %d (%v), want %d", ae.Index, err, tt.index)
			}
		})
	}
}
