package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bpom/naskah"
)

// rotVersion flips one byte of a document version on the local store.
func rotVersion(t *testing.T, cfg Config) (key, versionID string) {
	t.Helper()
	m := &Main{Config: cfg}
	if err := m.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	as, err := m.Engine.List(context.Background(), naskah.Actor{User: "op", Role: naskah.RoleAdmin})
	m.Close()
	if err != nil || len(as) == 0 {
		t.Fatalf("list: %v %d", err, len(as))
	}
	d := as[0].Documents[0]
	sum := sha256.Sum256([]byte(d.Key))
	path := filepath.Join(cfg.path("store"), "objects", hex.EncodeToString(sum[:])[:2], hex.EncodeToString(sum[:]), d.VersionID+".data")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0x40
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return d.Key, d.VersionID
}

// A rotted version does not stop a backup: the rest is written, the bad
// one listed, exit 1; --verify checks the file offline and finds damage
// done to the file afterwards.
func TestBackupPastDamagedVersionAndVerify(t *testing.T) {
	clearNaskahEnv(t)
	cfg := DefaultConfig()
	cfg.DataDir = t.TempDir()
	populate(t, cfg)
	good := filepath.Join(t.TempDir(), "good.tar")
	mustRun(t, 0, "backup", "-data", cfg.DataDir, "--to", good)
	out := mustRun(t, 0, "backup", "--verify", good)
	if !strings.Contains(out, "ok: every member") {
		t.Fatalf("verify of a sound backup: %s", out)
	}

	key, vid := rotVersion(t, cfg)
	partial := filepath.Join(t.TempDir(), "partial.tar.gz")
	out = mustRun(t, 1, "backup", "-data", cfg.DataDir, "--to", partial)
	if !strings.Contains(out, "1 versions could not be read") || !strings.Contains(out, key+" version "+vid) || !strings.Contains(out, "SHA-256") {
		t.Fatalf("backup past a rotted version: %s, want it listed", out)
	}
	rep, err := verifyBackup(partial)
	if err != nil {
		t.Fatal(err)
	}
	goodRep, _ := verifyBackup(good)
	if len(rep.Problems) != 0 || len(rep.Unreadable) != 1 || rep.Members != goodRep.Members-1 {
		t.Fatalf("partial backup: %d members (sound one: %d), problems %v, unreadable %v", rep.Members, goodRep.Members, rep.Problems, rep.Unreadable)
	}
	if out := mustRun(t, 1, "backup", "--verify", partial); !strings.Contains(out, "incomplete") {
		t.Fatalf("verify of a backup with a version left out: %s", out)
	}
	t.Logf("backup went on past %s %s: %d of %d versions written, exit 1", key, vid, rep.Members, goodRep.Members)

	// Damage to the file itself: a flipped byte in a member, a cut file.
	data, _ := os.ReadFile(good)
	i := bytes.Index(data, []byte("%PDF"))
	data[i+20] ^= 1
	flipped := filepath.Join(t.TempDir(), "flipped.tar")
	os.WriteFile(flipped, data, 0o600)
	if out := mustRun(t, 1, "backup", "--verify", flipped); !strings.Contains(out, "SHA-256 does not match") {
		t.Fatalf("verify of a flipped byte: %s", out)
	}
	cut := filepath.Join(t.TempDir(), "cut.tar")
	os.WriteFile(cut, data[:len(data)/2], 0o600)
	if out := mustRun(t, 1, "backup", "--verify", cut); !strings.Contains(out, "truncated") && !strings.Contains(out, "no manifest") {
		t.Fatalf("verify of a cut file: %s", out)
	}
}

// A version larger than the in-memory spool goes through the spool file
// byte for byte.
func TestBackupSpoolLarge(t *testing.T) {
	s, _ := newSpool(t.TempDir())
	defer s.close()
	for _, n := range []int{0, 10, spoolMem, spoolMem + 12345} {
		data := bytes.Repeat([]byte("naskah."), n/7+1)[:n]
		sum, got, err := s.fill(bytes.NewReader(data))
		want := sha256.Sum256(data)
		if err != nil || got != int64(n) || sum != hex.EncodeToString(want[:]) {
			t.Fatalf("fill %d bytes: %v %d %s", n, err, got, sum)
		}
		r, err := s.reader()
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if _, err := b.ReadFrom(r); err != nil || !bytes.Equal(b.Bytes(), data) {
			t.Fatalf("read back %d bytes: %v, %d bytes differ", n, err, b.Len())
		}
	}
}
