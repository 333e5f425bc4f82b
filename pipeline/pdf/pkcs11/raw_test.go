//go:build cgo

package pkcs11_test

import (
	"errors"
	"testing"

	p11 "github.com/miekg/pkcs11"
)

// mustRawSession opens a session on token and logs in, bypassing crypto11,
// to look at the token as any PKCS#11 application would.
func mustRawSession(t *testing.T, module, token, pin string) (*p11.Ctx, p11.SessionHandle) {
	t.Helper()
	ctx := p11.New(module)
	if ctx == nil {
		t.Fatalf("cannot load %s", module)
	}
	if err := ctx.Initialize(); err != nil {
		t.Fatalf("C_Initialize: %v", err)
	}
	slots, err := ctx.GetSlotList(true)
	if err != nil {
		t.Fatal(err)
	}
	for _, slot := range slots {
		info, err := ctx.GetTokenInfo(slot)
		if err != nil || info.Label != token {
			continue
		}
		session, err := ctx.OpenSession(slot, p11.CKF_SERIAL_SESSION)
		if err != nil {
			t.Fatal(err)
		}
		if err := ctx.Login(session, p11.CKU_USER, pin); err != nil {
			t.Fatalf("C_Login %s: %v", token, err)
		}
		return ctx, session
	}
	t.Fatalf("no token %q", token)
	return nil, 0
}

func closeRaw(ctx *p11.Ctx, session p11.SessionHandle) {
	ctx.Logout(session)
	ctx.CloseSession(session)
	ctx.Finalize()
	ctx.Destroy()
}

// mustNoSession checks that nothing of a signature is left open: the
// module was finalised (a fresh C_Initialize succeeds, where it would say
// CKR_CRYPTOKI_ALREADY_INITIALIZED while any session of ours lived).
func mustNoSession(t *testing.T, module string) {
	t.Helper()
	ctx := p11.New(module)
	if ctx == nil {
		t.Fatalf("cannot load %s", module)
	}
	defer ctx.Destroy()
	err := ctx.Initialize()
	var code p11.Error
	if errors.As(err, &code) && code == p11.CKR_CRYPTOKI_ALREADY_INITIALIZED {
		t.Fatal("the PKCS#11 module is still initialised: a signature's session was left open")
	}
	if err != nil {
		t.Fatalf("C_Initialize: %v", err)
	}
	ctx.Finalize()
}
