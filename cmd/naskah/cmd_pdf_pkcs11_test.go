//go:build cgo

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bpom/naskah/pipeline/pdf/pdftest"
	"github.com/bpom/naskah/pipeline/pdf/pkcs11/softhsmtest"
)

// TestSignCommandWithToken: `naskah sign --token` signs with the key on a
// SoftHSM2 token, the PIN from NASKAH_SIGN_PIN; `verify` calls it VALID; a
// wrong PIN is exit 1 with the PIN message and the PIN nowhere in it.
func TestSignCommandWithToken(t *testing.T) {
	dir := t.TempDir()
	pki := pdftest.MustPKI(t)
	ca := filepath.Join(dir, "ca.pem")
	in := filepath.Join(dir, "in.pdf")
	os.WriteFile(ca, pki.CAPEM(), 0o644)
	os.WriteFile(in, pdftest.PDF(pdftest.Portrait), 0o644)
	hsm := softhsmtest.MustHSM(t)
	hsm.MustToken(t, "kepala-token", "7531")
	hsm.MustKey(t, "kepala-token", "7531", "sign", []byte{1}, softhsmtest.ECDSAP256, pki.CA.Cert, pki.CA.Key, softhsmtest.Holder{Name: "Dr. Taruna Ikrar"}, softhsmtest.Options{})
	signed := filepath.Join(dir, "signed.pdf")
	args := []string{"sign", "--token", "kepala-token", "--key", "sign", "--module", hsm.Module, "--roots", ca, "--location", "Jakarta", "-o", signed, in}

	t.Setenv("NASKAH_SIGN_PIN", "0000-salah")
	if code, _, errOut := runPDF(t, args...); code != 1 || !strings.Contains(errOut, "PIN token salah") || strings.Contains(errOut, "0000-salah") {
		t.Fatalf("wrong PIN: exit %d %q, want 1 saying the PIN is wrong", code, errOut)
	}
	t.Setenv("NASKAH_SIGN_PIN", "7531")
	if code, out, errOut := runPDF(t, args...); code != 0 || !strings.Contains(out, "signed by Dr. Taruna Ikrar") {
		t.Fatalf("sign with the token: exit %d %q %q", code, out, errOut)
	}
	if code, out, errOut := runPDF(t, "verify", "--roots", ca, signed); code != 0 || !strings.Contains(out, "VALID") {
		t.Fatalf("verify: exit %d %q %q, want VALID", code, out, errOut)
	}
	if code, _, _ := runPDF(t, "sign", "--token", "kepala-token", "--keystore", "x.p12", "-o", signed, in); code != 2 {
		t.Fatalf("both --token and --keystore: exit %d, want 2 (usage)", code)
	}
}
