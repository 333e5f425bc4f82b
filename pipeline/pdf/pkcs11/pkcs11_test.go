//go:build cgo

package pkcs11_test

import (
	"context"
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	p11 "github.com/miekg/pkcs11"

	"github.com/bpom/naskah"
	"github.com/bpom/naskah/pipeline/pdf"
	"github.com/bpom/naskah/pipeline/pdf/pdftest"
	"github.com/bpom/naskah/pipeline/pdf/pkcs11"
	"github.com/bpom/naskah/pipeline/pdf/pkcs11/softhsmtest"
)

const (
	pinKepala = "4321-kepala"
	pinMadya  = "8765-madya"
)

// fixture is a SoftHSM2 with one token per official, as a ministry would
// issue them: KEPALA's with an RSA-2048 key, MADYA's with an ECDSA P-256
// key, both generated inside the token and certified by the test CA.
type fixture struct {
	hsm     *softhsmtest.HSM
	pki     *pdftest.PKI
	certs   map[string]*x509.Certificate // by user
	signers *pkcs11.Signers
	cfg     pkcs11.Config
}

func mustFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{hsm: softhsmtest.MustHSM(t), pki: pdftest.MustPKI(t), certs: map[string]*x509.Certificate{}}
	for _, o := range []struct {
		user, token, pin string
		kind             softhsmtest.KeyType
		holder           softhsmtest.Holder
	}{
		{"kepala", "kepala-token", pinKepala, softhsmtest.RSA2048, softhsmtest.Holder{Name: "Dr. Taruna Ikrar", Title: "Kepala Badan Pengawas Obat dan Makanan"}},
		{"deputi1", "madya-token", pinMadya, softhsmtest.ECDSAP256, softhsmtest.Holder{Name: "Rina Kartika", Title: "Pejabat Pimpinan Tinggi Madya"}},
	} {
		f.hsm.MustToken(t, o.token, o.pin)
		f.certs[o.user] = f.hsm.MustKey(t, o.token, o.pin, "sign", []byte{0x01}, o.kind, f.pki.CA.Cert, f.pki.CA.Key, o.holder, softhsmtest.Options{})
		f.cfg.Keys = append(f.cfg.Keys, pkcs11.Key{User: o.user, Token: o.token, Label: "sign"})
	}
	f.cfg.Module = f.hsm.Module
	var err error
	if f.signers, err = pkcs11.New(f.cfg); err != nil {
		t.Fatal(err)
	}
	return f
}

func mustOpen(t *testing.T, s *pkcs11.Signers, user, pin string) (*pdf.Signer, func()) {
	t.Helper()
	signer, release, err := s.Open(context.Background(), user, pin)
	if err != nil {
		t.Fatalf("open %s's token: %v", user, err)
	}
	t.Cleanup(release)
	return signer, release
}

// TestSignWithToken signs with each key type on its token; the result
// verifies with our Verify and with pdfsig, and names the holder of the
// token's certificate.
func TestSignWithToken(t *testing.T) {
	f := mustFixture(t)
	db := f.pki.MustNSSDB(t)
	data := pdftest.PDF(pdftest.Portrait)
	baseline := runtime.NumGoroutine()
	defer func() {
		t.Helper()
		mustNoSession(t, f.hsm.Module)
		// Nothing of a signature keeps running (generous bound, polled).
		for end := time.Now().Add(10 * time.Second); runtime.NumGoroutine() > baseline && time.Now().Before(end); {
			time.Sleep(10 * time.Millisecond)
		}
		if n := runtime.NumGoroutine(); n > baseline {
			t.Errorf("goroutines: %d after signing, want at most %d as before", n, baseline)
		}
	}()
	for i, user := range []string{"kepala", "deputi1"} {
		pin := map[string]string{"kepala": pinKepala, "deputi1": pinMadya}[user]
		signer, release := mustOpen(t, f.signers, user, pin)
		if !signer.Certificate.Equal(f.certs[user]) {
			t.Fatalf("%s: got the certificate of %q, want %q", user, signer.Certificate.Subject.CommonName, f.certs[user].Subject.CommonName)
		}
		if signer.Name != f.certs[user].Subject.CommonName || signer.Title == "" {
			t.Errorf("%s: signer named %q, %q, want the certificate's name and title", user, signer.Name, signer.Title)
		}
		signed, err := pdf.Sign(context.Background(), data, signer, pdf.SignOptions{Reason: "Penandatanganan", Location: "Jakarta", Visible: true, Page: 1, Roots: f.pki.Roots,
			Rect: [4]float64{40 + float64(i)*180, 100, 200 + float64(i)*180, 160}})
		release()
		if err != nil {
			t.Fatalf("%s: sign: %v", user, err)
		}
		rep, err := pdf.Verify(context.Background(), signed, pdf.VerifyOptions{Roots: f.pki.Roots})
		if err != nil || !rep.Valid || len(rep.Signatures) != i+1 {
			t.Fatalf("%s: verify: %v, report %+v, want %d valid signatures", user, err, rep, i+1)
		}
		if got := rep.Signatures[i].Certificate; got == nil || !got.Equal(f.certs[user]) {
			t.Errorf("%s: the signature carries another certificate than the token's", user)
		}
		if ps := db.MustPdfsig(t, signed); !ps.AllGood(i + 1) {
			t.Errorf("%s: pdfsig: got not all valid and trusted, want %d:\n%s", user, i+1, ps.Output)
		}
		data = signed // MADYA signs after KEPALA: RSA then ECDSA on one file
	}
}

// TestWrongPIN: a wrong PIN is EFORBIDDEN with a message in Indonesian and
// English that names the PIN, before and after a successful signature (the
// login does not outlive release).
func TestWrongPIN(t *testing.T) {
	f := mustFixture(t)
	check := func(when string) {
		t.Helper()
		_, _, err := f.signers.Open(context.Background(), "kepala", "0000-salah")
		if naskah.ErrorCode(err) != naskah.EFORBIDDEN {
			t.Fatalf("%s: wrong PIN: %v, want forbidden", when, err)
		}
		if msg := naskah.ErrorMessage(err); !strings.Contains(msg, "PIN token salah") || !strings.Contains(msg, " — The token PIN is wrong") {
			t.Errorf("%s: message %q, want Indonesian — English about the PIN", when, msg)
		}
		if strings.Contains(err.Error(), "0000-salah") {
			t.Errorf("%s: the error %q carries the PIN", when, err)
		}
	}
	check("before signing")
	_, release := mustOpen(t, f.signers, "kepala", pinKepala)
	release()
	check("after a signature")
	// Another official's PIN does not open KEPALA's token either.
	if _, _, err := f.signers.Open(context.Background(), "kepala", pinMadya); naskah.ErrorCode(err) != naskah.EFORBIDDEN {
		t.Fatalf("KEPALA's token with MADYA's PIN: %v, want forbidden", err)
	}
	if _, _, err := f.signers.Open(context.Background(), "kepala", ""); naskah.ErrorCode(err) != naskah.EINVALID {
		t.Fatalf("empty PIN: %v, want invalid", err)
	}
}

// TestNoLoginWhileAnotherSigns: PKCS#11 shares a token's login among the
// sessions of a process, so a wrong PIN while KEPALA's signature is open
// would otherwise be let in (crypto11 takes CKR_USER_ALREADY_LOGGED_IN as
// success). It must wait for the first signature, then be refused.
func TestNoLoginWhileAnotherSigns(t *testing.T) {
	f := mustFixture(t)
	signer, release := mustOpen(t, f.signers, "kepala", pinKepala)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if s, _, err := f.signers.Open(ctx, "kepala", "0000-salah"); naskah.ErrorCode(err) != naskah.EUNAVAILABLE {
		t.Fatalf("wrong PIN while the token is logged in: signer %v, err %v, want unavailable (busy)", s != nil, err)
	}
	done := make(chan error, 1)
	go func() {
		_, _, err := f.signers.Open(context.Background(), "kepala", "0000-salah")
		done <- err
	}()
	if _, err := signer.Key.Sign(nil, make([]byte, 32), crypto.SHA256); err != nil {
		t.Fatalf("the open signature cannot sign: %v", err)
	}
	release()
	if err := <-done; naskah.ErrorCode(err) != naskah.EFORBIDDEN {
		t.Fatalf("wrong PIN after the signature ended: %v, want forbidden", err)
	}
	// Released: the key no longer signs, and the module is finalised (a
	// fresh C_Initialize succeeds), so no session or login is left.
	if _, err := signer.Key.Sign(nil, make([]byte, 32), crypto.SHA256); err == nil {
		t.Fatal("the key signed after release")
	}
	mustNoSession(t, f.hsm.Module)
}

// TestOnlyOwnKey: the mapping gives a user their own key and nobody
// else's, whatever PIN they know.
func TestOnlyOwnKey(t *testing.T) {
	f := mustFixture(t)
	if f.signers.Has("bkh1") {
		t.Fatal("Has(bkh1) = true for a user without a key")
	}
	if _, _, err := f.signers.Open(context.Background(), "bkh1", pinKepala); naskah.ErrorCode(err) != naskah.EINVALID || !strings.Contains(naskah.ErrorMessage(err), "tidak memiliki kunci") {
		t.Fatalf("a user without a token key with KEPALA's PIN: %v, want invalid (no key)", err)
	}
	// MADYA knowing KEPALA's PIN still opens only MADYA's token.
	if _, _, err := f.signers.Open(context.Background(), "deputi1", pinKepala); naskah.ErrorCode(err) != naskah.EFORBIDDEN {
		t.Fatalf("MADYA with KEPALA's PIN: %v, want forbidden", err)
	}
	signer, _ := mustOpen(t, f.signers, "deputi1", pinMadya)
	if !signer.Certificate.Equal(f.certs["deputi1"]) {
		t.Fatalf("MADYA got %q's certificate", signer.Certificate.Subject.CommonName)
	}
}

// TestSharedToken: two users' keys on one token are told apart by label;
// each user gets only the key mapped to them.
func TestSharedToken(t *testing.T) {
	hsm, pki := softhsmtest.MustHSM(t), pdftest.MustPKI(t)
	hsm.MustToken(t, "biro", "1111")
	a := hsm.MustKey(t, "biro", "1111", "kepala-sign", []byte{1}, softhsmtest.RSA2048, pki.CA.Cert, pki.CA.Key, softhsmtest.Holder{Name: "A"}, softhsmtest.Options{})
	b := hsm.MustKey(t, "biro", "1111", "madya-sign", []byte{2}, softhsmtest.ECDSAP256, pki.CA.Cert, pki.CA.Key, softhsmtest.Holder{Name: "B"}, softhsmtest.Options{})
	s, err := pkcs11.New(pkcs11.Config{Module: hsm.Module, Keys: []pkcs11.Key{{User: "kepala", Token: "biro", Label: "kepala-sign"}, {User: "deputi1", Token: "biro", Label: "madya-sign"}}})
	if err != nil {
		t.Fatal(err)
	}
	for user, want := range map[string]*x509.Certificate{"kepala": a, "deputi1": b} {
		signer, release := mustOpen(t, s, user, "1111")
		if !signer.Certificate.Equal(want) {
			t.Errorf("%s got %q's certificate, want %q's", user, signer.Certificate.Subject.CommonName, want.Subject.CommonName)
		}
		release()
	}
}

// TestImportedKeyWithCertificateFile: a key imported with softhsm2-util
// (PKCS#8 PEM) and its certificate given as a file in the configuration.
func TestImportedKeyWithCertificateFile(t *testing.T) {
	hsm, pki := softhsmtest.MustHSM(t), pdftest.MustPKI(t)
	hsm.MustToken(t, "upt", "2468")
	for i, kind := range []softhsmtest.KeyType{softhsmtest.RSA2048, softhsmtest.ECDSAP256} {
		label := fmt.Sprintf("imported-%d", i)
		cert := hsm.MustImport(t, "upt", "2468", label, []byte{byte(0x10 + i)}, kind, pki.CA.Cert, pki.CA.Key, softhsmtest.Holder{Name: "Budi Santoso " + string(kind)})
		file := filepath.Join(t.TempDir(), "cert.pem")
		if err := os.WriteFile(file, softhsmtest.PEM(cert, pki.CA.Cert), 0o644); err != nil {
			t.Fatal(err)
		}
		s, err := pkcs11.New(pkcs11.Config{Module: hsm.Module, Keys: []pkcs11.Key{{User: "kepala-upt", Token: "upt", ID: fmt.Sprintf("%02x", 0x10+i), Certificate: file}}})
		if err != nil {
			t.Fatal(err)
		}
		signer, release := mustOpen(t, s, "kepala-upt", "2468")
		if !signer.Certificate.Equal(cert) || len(signer.Chain) != 1 {
			t.Fatalf("%s: certificate %q with %d chain certificates, want the file's leaf and CA", kind, signer.Certificate.Subject.CommonName, len(signer.Chain))
		}
		signed, err := pdf.Sign(context.Background(), pdftest.PDF(pdftest.Portrait), signer, pdf.SignOptions{Location: "Bandung"})
		release()
		if err != nil {
			t.Fatalf("%s: sign: %v", kind, err)
		}
		if rep, err := pdf.Verify(context.Background(), signed, pdf.VerifyOptions{Roots: pki.Roots}); err != nil || !rep.Valid {
			t.Fatalf("%s: verify: %v %+v", kind, err, rep)
		}
	}
}

// TestKeyStaysOnToken: the token refuses to reveal the private key (its
// secret attributes are sensitive, CKA_EXTRACTABLE is false), and a key
// marked extractable is refused for signing.
func TestKeyStaysOnToken(t *testing.T) {
	f := mustFixture(t)
	for token, pin := range map[string]string{"kepala-token": pinKepala, "madya-token": pinMadya} {
		ctx, session := mustRawSession(t, f.hsm.Module, token, pin)
		if err := ctx.FindObjectsInit(session, []*p11.Attribute{p11.NewAttribute(p11.CKA_CLASS, p11.CKO_PRIVATE_KEY)}); err != nil {
			t.Fatal(err)
		}
		objs, _, err := ctx.FindObjects(session, 10)
		ctx.FindObjectsFinal(session)
		if err != nil || len(objs) != 1 {
			t.Fatalf("%s: %d private keys (%v), want 1", token, len(objs), err)
		}
		attrs, err := ctx.GetAttributeValue(session, objs[0], []*p11.Attribute{p11.NewAttribute(p11.CKA_EXTRACTABLE, nil), p11.NewAttribute(p11.CKA_SENSITIVE, nil)})
		if err != nil || len(attrs) != 2 || attrs[0].Value[0] != 0 || attrs[1].Value[0] != 1 {
			t.Fatalf("%s: CKA_EXTRACTABLE, CKA_SENSITIVE = %v (%v), want false, true", token, attrs, err)
		}
		for _, secret := range []uint{p11.CKA_PRIVATE_EXPONENT, p11.CKA_PRIME_1, p11.CKA_VALUE} {
			_, err := ctx.GetAttributeValue(session, objs[0], []*p11.Attribute{p11.NewAttribute(secret, nil)})
			if code := (p11.Error(0)); !errors.As(err, &code) || (code != p11.CKR_ATTRIBUTE_SENSITIVE && code != p11.CKR_ATTRIBUTE_TYPE_INVALID) {
				t.Errorf("%s: reading secret attribute %#x: %v, want CKR_ATTRIBUTE_SENSITIVE", token, secret, err)
			}
		}
		// Wrapping the key out is refused too.
		if _, err := ctx.WrapKey(session, []*p11.Mechanism{p11.NewMechanism(p11.CKM_AES_KEY_WRAP_PAD, nil)}, objs[0], objs[0]); err == nil {
			t.Errorf("%s: the private key was wrapped out of the token", token)
		}
		closeRaw(ctx, session)
	}

	f.hsm.MustToken(t, "lemah", "1357")
	f.hsm.MustKey(t, "lemah", "1357", "sign", []byte{7}, softhsmtest.RSA2048, f.pki.CA.Cert, f.pki.CA.Key, softhsmtest.Holder{Name: "X"}, softhsmtest.Options{Extractable: true})
	s, err := pkcs11.New(pkcs11.Config{Module: f.hsm.Module, Keys: []pkcs11.Key{{User: "kepala", Token: "lemah", Label: "sign"}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Open(context.Background(), "kepala", "1357"); naskah.ErrorCode(err) != naskah.EFORBIDDEN || !strings.Contains(naskah.ErrorMessage(err), "CKA_EXTRACTABLE") {
		t.Fatalf("an extractable key: %v, want forbidden naming CKA_EXTRACTABLE", err)
	}
	mustNoSession(t, f.hsm.Module)
}

// TestUnavailable: a missing module, token, key or certificate is
// EUNAVAILABLE with a message saying whom to ask; nothing stays open.
func TestUnavailable(t *testing.T) {
	f := mustFixture(t)
	f.hsm.MustToken(t, "tanpa-sertifikat", "9999")
	f.hsm.MustKey(t, "tanpa-sertifikat", "9999", "sign", []byte{9}, softhsmtest.ECDSAP256, f.pki.CA.Cert, f.pki.CA.Key, softhsmtest.Holder{Name: "Y"}, softhsmtest.Options{NoCert: true})
	other := filepath.Join(t.TempDir(), "other.pem")
	os.WriteFile(other, softhsmtest.PEM(f.certs["deputi1"]), 0o644)
	for _, tt := range []struct {
		name string
		key  pkcs11.Key
		pin  string
		want string
	}{
		{"token not plugged in", pkcs11.Key{User: "u", Token: "tidak-ada", Label: "sign"}, "1", "tidak ditemukan"},
		{"key not on the token", pkcs11.Key{User: "u", Token: "kepala-token", Label: "lain"}, pinKepala, "tidak ada pada token"},
		{"certificate not on the token", pkcs11.Key{User: "u", Token: "tanpa-sertifikat", Label: "sign"}, "9999", "Sertifikat untuk kunci"},
		{"certificate of another key", pkcs11.Key{User: "u", Token: "kepala-token", Label: "sign", Certificate: other}, pinKepala, "bukan milik kunci"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, err := pkcs11.New(pkcs11.Config{Module: f.hsm.Module, Keys: []pkcs11.Key{tt.key}})
			if err != nil {
				t.Fatal(err)
			}
			_, _, err = s.Open(context.Background(), "u", tt.pin)
			if naskah.ErrorCode(err) != naskah.EUNAVAILABLE || !strings.Contains(naskah.ErrorMessage(err), tt.want) || !strings.Contains(naskah.ErrorMessage(err), " — ") {
				t.Fatalf("got %v, want unavailable saying %q (Indonesian — English)", err, tt.want)
			}
			mustNoSession(t, f.hsm.Module)
		})
	}
	// The module removed after start-up.
	lib := filepath.Join(t.TempDir(), "libgone.so")
	os.WriteFile(lib, []byte("x"), 0o644)
	s, err := pkcs11.New(pkcs11.Config{Module: lib, Keys: []pkcs11.Key{{User: "u", Token: "t", Label: "k"}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Open(context.Background(), "u", "1"); naskah.ErrorCode(err) != naskah.EUNAVAILABLE || !strings.Contains(naskah.ErrorMessage(err), "Modul PKCS#11") {
		t.Fatalf("a file that is not a PKCS#11 module: %v, want unavailable about the module", err)
	}
	os.Remove(lib)
	if _, _, err := s.Open(context.Background(), "u", "1"); naskah.ErrorCode(err) != naskah.EUNAVAILABLE || !strings.Contains(naskah.ErrorMessage(err), "Modul PKCS#11") {
		t.Fatalf("a missing module: %v, want unavailable about the module", err)
	}
}

// TestConfigProblems: every mistake is reported at once.
func TestConfigProblems(t *testing.T) {
	cfg := pkcs11.Config{Keys: []pkcs11.Key{
		{User: "kepala", Token: "t", Label: "k"},
		{User: "kepala", Token: "t", Label: "k2"},
		{Token: "t"},
		{User: "x", Label: "k", ID: "zz", Certificate: "/nonexistent.pem"},
	}}
	ps := strings.Join(cfg.Problems(), "\n")
	for _, want := range []string{"pkcs11.module is not", "has a key already", "user is empty", "give the key's label", "token is empty", "not hex", "cannot read /nonexistent.pem"} {
		if !strings.Contains(ps, want) {
			t.Errorf("problems:\n%s\nwant one saying %q", ps, want)
		}
	}
	if _, err := pkcs11.New(cfg); naskah.ErrorCode(err) != naskah.EINVALID {
		t.Errorf("New with problems: %v, want invalid", err)
	}
	cfg = pkcs11.Config{Module: "libsofthsm2.so"}
	if ps := cfg.Problems(); len(ps) != 1 || !strings.Contains(ps[0], "absolute path") {
		t.Errorf("relative module: %v, want one problem asking for an absolute path", ps)
	}
}
