//go:build cgo

package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bpom/naskah/pipeline/pdf/pkcs11"
)

// TestConfigPKCS11: the token mapping comes from the file, the module also
// from NASKAH_PKCS11_MODULE; mistakes are all reported; a served Main
// offers token signing to exactly the mapped users.
func TestConfigPKCS11(t *testing.T) {
	dir := t.TempDir()
	module := filepath.Join(dir, "libtoken.so")
	if err := os.WriteFile(module, []byte("not loaded until someone signs"), 0o644); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "naskah.yaml")
	os.WriteFile(file, []byte("pkcs11:\n  keys:\n    - {user: kepala, token: naskah, key: kepala-sign}\n    - {user: madya, token: naskah, key: madya-sign, id: \"0a\"}\n"), 0o644)
	env := map[string]string{"NASKAH_DATA_DIR": filepath.Join(dir, "data"), "NASKAH_LISTEN": "127.0.0.1:0"}
	if _, err := LoadConfig(file, func(k string) string { return env[k] }); err == nil || !strings.Contains(err.Error(), "NASKAH_PKCS11_MODULE") {
		t.Fatalf("keys without a module: %v, want an error naming NASKAH_PKCS11_MODULE", err)
	}
	env["NASKAH_PKCS11_MODULE"] = module
	c, err := LoadConfig(file, func(k string) string { return env[k] })
	if err != nil || c.PKCS11.Module != module || len(c.PKCS11.Keys) != 2 || c.PKCS11.Keys[1].ID != "0a" || c.PKCS11.Keys[0].Label != "kepala-sign" {
		t.Fatalf("got %+v, %v", c.PKCS11, err)
	}

	os.WriteFile(file, []byte("pkcs11:\n  keys:\n    - {user: kepala, token: naskah, key: a}\n    - {user: kepala, token: naskah, key: b, certificate: /nonexistent.pem}\n"), 0o644)
	env["NASKAH_PKCS11_MODULE"] = filepath.Join(dir, "missing.so")
	_, err = LoadConfig(file, func(k string) string { return env[k] })
	for _, want := range []string{"missing.so does not exist", "has a key already", "cannot read /nonexistent.pem"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("config problems: %v, want one saying %q", err, want)
		}
	}

	c.Listen, c.LogLevel = "127.0.0.1:0", "error"
	c.PKCS11.Keys = append(c.PKCS11.Keys, pkcs11.Key{User: "nobody", Token: "t", Label: "k"})
	bad := &Main{Config: c, Out: io.Discard}
	err = bad.Run(context.Background())
	bad.Close()
	if err == nil || !strings.Contains(err.Error(), `user "nobody" is not a Naskah user`) {
		t.Fatalf("a key for an unknown user: %v, want a configuration error naming it", err)
	}
	c.PKCS11.Keys = c.PKCS11.Keys[:2]
	m := &Main{Config: c, Out: io.Discard}
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if !m.Engine.HasToken("kepala") || !m.Engine.HasToken("madya") || m.Engine.HasToken("bkh") {
		t.Fatalf("HasToken kepala %v madya %v bkh %v, want true true false", m.Engine.HasToken("kepala"), m.Engine.HasToken("madya"), m.Engine.HasToken("bkh"))
	}
}
