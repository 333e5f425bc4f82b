package main

import (
	"context"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bpom/naskah/internal/miniotest"
	"github.com/bpom/naskah/pipeline"
	"github.com/bpom/naskah/pipeline/pdf"
)

// testUsersCert: add (PEM and DER), list, revoke through the CLI; a
// second process (a replica) on the same store sees the result.
func testUsersCert(t *testing.T, data string) {
	pki, err := pdf.GenerateDevPKI(t.TempDir(), nil, time.Now().Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	certFile := func(i int, asPEM bool) (string, string) {
		p12, _ := os.ReadFile(pki.Keystores[i].Path)
		s, err := pdf.LoadPKCS12(p12, pki.Keystores[i].Passphrase)
		if err != nil {
			t.Fatal(err)
		}
		b := s.Certificate.Raw
		if asPEM {
			b = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: b})
		}
		f := filepath.Join(t.TempDir(), "c.cer")
		os.WriteFile(f, b, 0o600)
		return f, pipeline.Fingerprint(s.Certificate)
	}
	kepalaPEM, kfp := certFile(0, true)
	mitraDER, mfp := certFile(3, false)
	out := mustRun(t, 0, "users", "cert", "add", "--user", "kepala", "--cert", kepalaPEM, "-data", data)
	if !strings.Contains(out, kfp) || !strings.Contains(out, "Dr. Taruna Ikrar") {
		t.Fatalf("add: %s", out)
	}
	mustRun(t, 0, "users", "cert", "add", "--user", "mitra", "--cert", mitraDER, "-data", data)
	if out := mustRun(t, 1, "users", "cert", "add", "--user", "madya", "--cert", kepalaPEM, "-data", data); !strings.Contains(out, `"kepala"`) {
		t.Fatalf("a certificate of another user: %s", out)
	}
	mustRun(t, 2, "users", "cert", "add", "--user", "kepala", "-data", data)
	mustRun(t, 2, "users", "cert", "frobnicate", "-data", data)
	out = mustRun(t, 0, "users", "cert", "revoke", "--user", "kepala", "--fingerprint", strings.ToUpper(kfp), "--reason", "token hilang", "-data", data)
	if !strings.Contains(out, "revoked") || !strings.Contains(out, "token hilang") {
		t.Fatalf("revoke: %s", out)
	}
	out = mustRun(t, 0, "users", "cert", "list", "-data", data)
	if !strings.Contains(out, kfp) || !strings.Contains(out, mfp) || !strings.Contains(out, "revoked") || !strings.Contains(out, "active") {
		t.Fatalf("list: %s", out)
	}
	out = mustRun(t, 0, "users", "cert", "list", "--user", "mitra", "-data", data)
	if strings.Contains(out, kfp) || !strings.Contains(out, mfp) {
		t.Fatalf("list --user mitra: %s", out)
	}
	cfg, err := LoadConfig("", os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	cfg.DataDir = data
	m := &Main{Config: cfg}
	if err := m.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	cs, err := m.Engine.Certificates(context.Background(), "kepala")
	if err != nil || len(cs) != 1 || cs[0].Active() || cs[0].RevokeReason != "token hilang" || !strings.HasPrefix(cs[0].RevokedBy, "cli:") {
		t.Fatalf("engine sees %+v %v", cs, err)
	}
}

func TestUsersCertLocal(t *testing.T) {
	clearNaskahEnv(t)
	testUsersCert(t, t.TempDir())
}

func TestUsersCertMinIO(t *testing.T) {
	clearNaskahEnv(t)
	srv := miniotest.Start(t)
	t.Setenv("NASKAH_MINIO_ENDPOINT", srv.Endpoint)
	t.Setenv("NASKAH_MINIO_ACCESS_KEY", srv.AccessKey)
	t.Setenv("NASKAH_MINIO_SECRET_KEY", srv.SecretKey)
	t.Setenv("NASKAH_MINIO_BUCKET", "naskah-users")
	testUsersCert(t, t.TempDir())
}

// TestDemoCertificatesRegistered: the first run binds each demo official's
// certificate to their account; a restart keeps exactly those.
func TestDemoCertificatesRegistered(t *testing.T) {
	clearNaskahEnv(t)
	cfg := DefaultConfig()
	cfg.DataDir, cfg.Listen, cfg.LogLevel = t.TempDir(), "127.0.0.1:0", "error"
	ctx := context.Background()
	for run := 1; run <= 2; run++ {
		m := &Main{Config: cfg, Out: &strings.Builder{}}
		if err := m.Run(ctx); err != nil {
			t.Fatal(err)
		}
		all, err := m.Engine.AllCertificates(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range []string{"kepala", "madya", "pratama", "upt", "mitra"} {
			if len(all[u]) != 1 || !all[u][0].Active() {
				t.Errorf("run %d: %s has %d certificates, want 1 active", run, u, len(all[u]))
			}
		}
		if len(all["bkh"]) != 0 || len(all) != 5 {
			t.Errorf("run %d: certificates for %d users, want the 5 signing officials", run, len(all))
		}
		if m.Engine.PartnerRoots == nil {
			t.Errorf("run %d: demo mode has no partner trust list", run)
		}
		m.Close()
	}
}

// TestPartnerTrustRootsConfig: NASKAH_PARTNER_TRUST_ROOTS fills the
// engine's partner trust list; a file without certificates is refused.
func TestPartnerTrustRootsConfig(t *testing.T) {
	clearNaskahEnv(t)
	pki, err := pdf.GenerateDevPKI(t.TempDir(), pdf.DefaultDevOfficials()[:1], time.Now())
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("NASKAH_PARTNER_TRUST_ROOTS", pki.CACert)
	cfg, err := LoadConfig("", os.Getenv)
	if err != nil || cfg.PartnerTrustRoots != pki.CACert {
		t.Fatalf("config: %q %v, want the env file", cfg.PartnerTrustRoots, err)
	}
	cfg.DataDir = t.TempDir()
	m := &Main{Config: cfg}
	if err := m.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	if m.Engine.PartnerRoots == nil {
		t.Fatalf("the engine has no partner trust list")
	}
	m.Close()
	bad := filepath.Join(t.TempDir(), "empty.pem")
	os.WriteFile(bad, []byte("no certificates"), 0o600)
	cfg.PartnerTrustRoots, cfg.DataDir = bad, t.TempDir()
	m = &Main{Config: cfg}
	defer m.Close()
	if err := m.Open(context.Background()); err == nil || !strings.Contains(err.Error(), "partner trust roots") {
		t.Fatalf("a file without certificates: %v, want an error naming the partner trust roots", err)
	}
}

// TestUsersCertHolderName: with a users file, add refuses a certificate
// whose holder is not the account's name (titles aside) unless --force,
// which is recorded.
func TestUsersCertHolderName(t *testing.T) {
	clearNaskahEnv(t)
	data := t.TempDir()
	users := filepath.Join(t.TempDir(), "users.yaml")
	os.WriteFile(users, []byte("- {username: kepala, name: \"Prof. Dr. Taruna Ikrar, M.Si.\", role: KEPALA}\n- {username: madya, name: Rina Kartika, role: MADYA}\n"), 0o600)
	t.Setenv("NASKAH_USERS_FILE", users)
	pki, err := pdf.GenerateDevPKI(t.TempDir(), nil, time.Now().Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	cert := func(id string) string {
		for _, k := range pki.Keystores {
			if k.Official.ID == id {
				p12, _ := os.ReadFile(k.Path)
				s, err := pdf.LoadPKCS12(p12, k.Passphrase)
				if err != nil {
					t.Fatal(err)
				}
				f := filepath.Join(t.TempDir(), id+".pem")
				os.WriteFile(f, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.Certificate.Raw}), 0o600)
				return f
			}
		}
		t.Fatalf("no keystore %s", id)
		return ""
	}
	if out := mustRun(t, 1, "users", "cert", "add", "--user", "kepala", "--cert", cert("madya"), "-data", data); !strings.Contains(out, "Rina Kartika") || !strings.Contains(out, "force") {
		t.Fatalf("Rina Kartika's certificate for kepala: %s", out)
	}
	mustRun(t, 0, "users", "cert", "add", "--user", "kepala", "--cert", cert("kepala"), "-data", data)
	mustRun(t, 0, "users", "cert", "add", "--user", "madya", "--cert", cert("kepala-upt"), "--force", "-data", data)
	cfg, err := LoadConfig("", os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	cfg.DataDir = data
	m := &Main{Config: cfg}
	if err := m.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	cs, err := m.Engine.Certificates(context.Background(), "madya")
	if err != nil || len(cs) != 1 || !strings.HasPrefix(cs[0].NameConfirmedBy, "cli:") || cs[0].AccountName != "Rina Kartika" {
		t.Fatalf("forced registration: %+v %v, want the confirmation recorded", cs, err)
	}
}
