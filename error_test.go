package naskah_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/bpom/naskah"
)

// TestErrorMessageHidesInternal: an EINTERNAL message (which may name a
// bucket or a host) never becomes the user's message, wrapped or not.
func TestErrorMessageHidesInternal(t *testing.T) {
	secret := naskah.Errorf(naskah.EINTERNAL, "MinIO refused access; check the access key's permissions on bucket naskah")
	for name, err := range map[string]error{
		"bare":    secret,
		"wrapped": fmt.Errorf("minio: put x: %w", secret),
		"plain":   errors.New("open /var/lib/naskah/secret: permission denied"),
	} {
		got := naskah.ErrorMessage(err)
		if got != naskah.InternalMessage || strings.Contains(got, "bucket") || strings.Contains(got, "/var/lib") {
			t.Errorf("%s: got %q, want %q", name, got, naskah.InternalMessage)
		}
	}
	if got := naskah.ErrorMessage(naskah.Errorf(naskah.ENOTFOUND, "no agreement x")); got != "no agreement x" {
		t.Errorf("not found: got %q, want its message", got)
	}
	if got := naskah.ErrorMessage(nil); got != "" {
		t.Errorf("nil: got %q, want empty", got)
	}
}

func TestRetryAfter(t *testing.T) {
	err := fmt.Errorf("login: %w", &naskah.Error{Code: naskah.ERATELIMITED, Message: "wait", RetryAfter: 7 * time.Second})
	if got := naskah.RetryAfter(err); got != 7*time.Second {
		t.Errorf("got %v, want 7s", got)
	}
	if got := naskah.RetryAfter(naskah.Errorf(naskah.EUNAVAILABLE, "down")); got != 0 {
		t.Errorf("no hint: got %v, want 0", got)
	}
}
