//go:build cgo

// Package softhsmtest makes real SoftHSM2 tokens for tests: a SoftHSM2 of
// the test's own (its config and token directory in a temp dir), tokens
// initialised with softhsm2-util, keys generated inside a token or
// imported into it, certified by a test CA, the certificate stored beside
// the key.
package softhsmtest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/ThalesGroup/crypto11"

	"github.com/bpom/naskah/pipeline/pdf/internal/devca"
)

// modules are where Debian's softhsm2 package puts the library.
var modules = []string{"/usr/lib/softhsm/libsofthsm2.so", "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so", "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so"}

// HSM is a SoftHSM2 of one test: SOFTHSM2_CONF points at its config for
// the rest of the test, so tests using it cannot run in parallel.
type HSM struct {
	Module string // the PKCS#11 library
	Dir    string // config and tokens
	util   string
}

// MustHSM sets up an empty SoftHSM2. When softhsm2 is missing the test is
// skipped, or fails with NASKAH_REQUIRE_TOOLS=1 (CI).
func MustHSM(tb testing.TB) *HSM {
	tb.Helper()
	util, err := exec.LookPath("softhsm2-util")
	module := ""
	for _, m := range modules {
		if _, serr := os.Stat(m); serr == nil {
			module = m
			break
		}
	}
	if err != nil || module == "" {
		if os.Getenv("NASKAH_REQUIRE_TOOLS") == "1" {
			tb.Fatalf("softhsm2 is required (NASKAH_REQUIRE_TOOLS=1) but missing: apt-get install softhsm2")
		}
		tb.Skip("softhsm2 not installed")
	}
	dir := tb.TempDir()
	tokens := filepath.Join(dir, "tokens")
	if err := os.Mkdir(tokens, 0o700); err != nil {
		tb.Fatal(err)
	}
	conf := filepath.Join(dir, "softhsm2.conf")
	body := "directories.tokendir = " + tokens + "\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n"
	if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
		tb.Fatal(err)
	}
	tb.Setenv("SOFTHSM2_CONF", conf)
	return &HSM{Module: module, Dir: dir, util: util}
}

// SOPIN is every test token's security officer PIN.
const SOPIN = "12345678"

// MustToken initialises a token labelled label with the user PIN pin.
func (h *HSM) MustToken(tb testing.TB, label, pin string) {
	tb.Helper()
	h.run(tb, "--init-token", "--free", "--label", label, "--so-pin", SOPIN, "--pin", pin)
}

func (h *HSM) run(tb testing.TB, args ...string) {
	tb.Helper()
	if out, err := exec.Command(h.util, args...).CombinedOutput(); err != nil {
		tb.Fatalf("softhsm2-util %v: %v\n%s", args, err, out)
	}
}

// KeyType is the kind of key to make.
type KeyType string

const (
	RSA2048   KeyType = "RSA-2048"
	RSA3072   KeyType = "RSA-3072"
	ECDSAP256 KeyType = "ECDSA-P256"
	ECDSAP384 KeyType = "ECDSA-P384"
)

// Holder is who a certificate is issued to.
type Holder struct{ Name, Title string }

// Options of a key made on a token.
type Options struct {
	Extractable bool // mark the private key extractable and not sensitive (to test that it is refused)
	NoCert      bool // do not store the certificate on the token
}

// MustKey generates a key pair inside the token (the private key sensitive
// and not extractable unless opts says otherwise), has ca certify it for
// holder and stores the certificate on the token with the key's id and
// label. It returns the certificate.
func (h *HSM) MustKey(tb testing.TB, token, pin, label string, id []byte, kind KeyType, ca *x509.Certificate, caKey crypto.Signer, holder Holder, opts Options) *x509.Certificate {
	tb.Helper()
	c := h.MustContext(tb, token, pin)
	defer c.Close()
	pub, err := crypto11.NewAttributeSetWithIDAndLabel(id, []byte(label))
	if err != nil {
		tb.Fatal(err)
	}
	priv := pub.Copy()
	if opts.Extractable {
		priv.Set(crypto11.CkaSensitive, false)
		priv.Set(crypto11.CkaExtractable, true)
	}
	var key crypto11.Signer
	switch kind {
	case RSA2048, RSA3072:
		bits := map[KeyType]int{RSA2048: 2048, RSA3072: 3072}[kind]
		key, err = c.GenerateRSAKeyPairWithAttributes(pub, priv, bits)
	case ECDSAP256, ECDSAP384:
		curve := map[KeyType]elliptic.Curve{ECDSAP256: elliptic.P256(), ECDSAP384: elliptic.P384()}[kind]
		key, err = c.GenerateECDSAKeyPairWithAttributes(pub, priv, curve)
	default:
		tb.Fatalf("key type %q", kind)
	}
	if err != nil {
		tb.Fatalf("generate %s on %s: %v", kind, token, err)
	}
	cert := mustIssue(tb, ca, caKey, holder, key.Public())
	if !opts.NoCert {
		if err := c.ImportCertificateWithLabel(id, []byte(label), cert); err != nil {
			tb.Fatalf("store certificate on %s: %v", token, err)
		}
	}
	return cert
}

// MustImport generates a key outside the token, imports it with
// `softhsm2-util --import` (PKCS#8 PEM), as an official would load a key
// issued elsewhere, and returns its certificate, which is not stored on the
// token.
func (h *HSM) MustImport(tb testing.TB, token, pin, label string, id []byte, kind KeyType, ca *x509.Certificate, caKey crypto.Signer, holder Holder) *x509.Certificate {
	tb.Helper()
	var key crypto.Signer
	var err error
	switch kind {
	case RSA2048:
		key, err = rsa.GenerateKey(rand.Reader, 2048)
	case ECDSAP256:
		key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	default:
		tb.Fatalf("key type %q", kind)
	}
	if err != nil {
		tb.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		tb.Fatal(err)
	}
	f := filepath.Join(tb.TempDir(), "key.pem")
	if err := os.WriteFile(f, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		tb.Fatal(err)
	}
	h.run(tb, "--import", f, "--token", token, "--label", label, "--id", hex.EncodeToString(id), "--pin", pin)
	os.Remove(f)
	return mustIssue(tb, ca, caKey, holder, key.Public())
}

// MustContext opens the token with crypto11 for setting it up; close it
// before signing through pkcs11.Signers.
func (h *HSM) MustContext(tb testing.TB, token, pin string) *crypto11.Context {
	tb.Helper()
	c, err := crypto11.Configure(&crypto11.Config{Path: h.Module, TokenLabel: token, Pin: pin})
	if err != nil {
		tb.Fatalf("open token %s: %v", token, err)
	}
	return c
}

func mustIssue(tb testing.TB, ca *x509.Certificate, caKey crypto.Signer, holder Holder, pub crypto.PublicKey) *x509.Certificate {
	tb.Helper()
	issuer := &devca.CA{Cert: ca, Key: caKey}
	cert, err := issuer.IssueFor(devca.Spec{CommonName: holder.Name, Title: holder.Title, Organization: "Badan Pengawas Obat dan Makanan", Country: "ID"}, pub)
	if err != nil {
		tb.Fatal(err)
	}
	return cert
}

// PEM returns certificates in PEM, for a certificate file in the config.
func PEM(certs ...*x509.Certificate) []byte {
	var b []byte
	for _, c := range certs {
		b = append(b, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	return b
}
