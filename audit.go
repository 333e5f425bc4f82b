package naskah

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
)

// AuditEvent is one entry of an agreement's append-only audit trail. Each
// carries the hash of the previous one, so editing, removing or reordering
// any event breaks the chain at that point.
type AuditEvent struct {
	Seq       int        `json:"seq"`
	At        time.Time  `json:"at"`
	User      string     `json:"user"`
	Role      Role       `json:"role"`
	Action    ActionKind `json:"action"`
	Step      StepID     `json:"step"`
	To        StepID     `json:"to,omitempty"`
	Detail    string     `json:"detail,omitempty"`
	Documents []string   `json:"documents,omitempty"` // "kind vN sha256"
	RequestID string     `json:"request_id,omitempty"`
	Prev      string     `json:"prev"`
	Hash      string     `json:"hash"`
}

// canonical is the exact text the hash covers; fields are separated by a
// byte that cannot appear in them unescaped.
func (e *AuditEvent) canonical() string {
	esc := func(s string) string { return strings.ReplaceAll(s, "\x1f", "\\x1f") }
	return strings.Join([]string{
		fmt.Sprint(e.Seq), e.At.UTC().Format(time.RFC3339Nano), esc(e.User), string(e.Role), string(e.Action),
		string(e.Step), string(e.To), esc(e.Detail), esc(strings.Join(e.Documents, "\x1e")), esc(e.RequestID), e.Prev,
	}, "\x1f")
}

// ComputeHash returns the SHA-256 (hex) of the event's content and Prev.
func (e *AuditEvent) ComputeHash() string {
	sum := sha256.Sum256([]byte(e.canonical()))
	return hex.EncodeToString(sum[:])
}

// AppendAudit appends e to the chain, setting its Seq, Prev and Hash.
func AppendAudit(chain []AuditEvent, e AuditEvent) []AuditEvent {
	e.Seq = len(chain) + 1
	e.Prev = ""
	if n := len(chain); n > 0 {
		e.Prev = chain[n-1].Hash
	}
	e.At = e.At.UTC().Truncate(time.Microsecond)
	e.Hash = e.ComputeHash()
	return append(chain, e)
}

// AuditError says where an audit chain first fails to verify.
type AuditError struct {
	Index  int // position in the slice (0-based)
	Seq    int
	Reason string
}

func (e *AuditError) Error() string {
	return fmt.Sprintf("audit trail broken at event %d (seq %d): %s", e.Index+1, e.Seq, e.Reason)
}

// VerifyAudit checks the chain and returns an *AuditError naming the first
// event that was edited, removed, inserted or reordered, or nil.
func VerifyAudit(chain []AuditEvent) error {
	prev := ""
	for i := range chain {
		e := &chain[i]
		switch {
		case e.Seq != i+1:
			return &AuditError{Index: i, Seq: e.Seq, Reason: fmt.Sprintf("sequence number is %d, want %d (an event was removed or inserted)", e.Seq, i+1)}
		case e.Prev != prev:
			return &AuditError{Index: i, Seq: e.Seq, Reason: "link to the previous event does not match (the previous event was changed or removed)"}
		case e.ComputeHash() != e.Hash:
			return &AuditError{Index: i, Seq: e.Seq, Reason: "content does not match its hash (this event was edited)"}
		}
		prev = e.Hash
	}
	return nil
}
