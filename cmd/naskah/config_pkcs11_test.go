package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
	os.WriteFile(file, []byte("pkcs11:\n  keys:\n    - {user: kepala, token: naskah, key: kepala-sign}\n    - {user: deputi1, token: naskah, key: madya-sign, id: \"0a\"}\n"), 0o644)
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
	m := &Main{Config: c, Out: io.Discard}
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if !m.Engine.HasToken("kepala") || !m.Engine.HasToken("deputi1") || m.Engine.HasToken("bkh") {
		t.Fatalf("HasToken kepala %v deputi1 %v bkh %v, want true true false", m.Engine.HasToken("kepala"), m.Engine.HasToken("deputi1"), m.Engine.HasToken("bkh"))
	}
}
