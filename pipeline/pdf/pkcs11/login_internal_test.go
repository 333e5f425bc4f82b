//go:build cgo

package pkcs11

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	p11 "github.com/miekg/pkcs11"

	"github.com/bpom/naskah"
)

// TestLoginError: what crypto11's Configure answers, in our terms.
// SoftHSM2 never locks a PIN by itself, so the locked case is checked here
// on the code the token returns.
func TestLoginError(t *testing.T) {
	for _, tt := range []struct {
		err  error
		code string
		want string
	}{
		{p11.Error(p11.CKR_PIN_INCORRECT), naskah.EFORBIDDEN, "PIN token salah"},
		{p11.Error(p11.CKR_PIN_LEN_RANGE), naskah.EFORBIDDEN, "PIN token salah"},
		{p11.Error(p11.CKR_PIN_LOCKED), naskah.EFORBIDDEN, "terkunci karena PIN salah berulang kali"},
		{p11.Error(p11.CKR_PIN_EXPIRED), naskah.EFORBIDDEN, "kedaluwarsa"},
		{p11.Error(p11.CKR_USER_PIN_NOT_INITIALIZED), naskah.EUNAVAILABLE, "belum diatur"},
		{p11.Error(p11.CKR_DEVICE_REMOVED), naskah.EUNAVAILABLE, "tidak dapat dibuka"},
		{errors.New("could not find PKCS#11 token"), naskah.EUNAVAILABLE, "tidak ditemukan"},
		{errors.New("failed to create module context: failed to open module"), naskah.EUNAVAILABLE, "Modul PKCS#11"},
	} {
		// crypto11 wraps the token's code in a message.
		got := loginError("kepala-token", fmt.Errorf("failed to log into long term session: %w", tt.err))
		if naskah.ErrorCode(got) != tt.code || !strings.Contains(naskah.ErrorMessage(got), tt.want) || !strings.Contains(naskah.ErrorMessage(got), " — ") {
			t.Errorf("%v: got %s %q, want %s saying %q (Indonesian — English)", tt.err, naskah.ErrorCode(got), naskah.ErrorMessage(got), tt.code, tt.want)
		}
	}
}
