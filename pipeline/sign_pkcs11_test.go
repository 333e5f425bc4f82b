//go:build cgo

package pipeline_test

import (
	"context"
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bpom/naskah"
	"github.com/bpom/naskah/pipeline"
	"github.com/bpom/naskah/pipeline/pdf/pkcs11"
	"github.com/bpom/naskah/pipeline/pdf/pkcs11/softhsmtest"
	"github.com/bpom/naskah/storage"
)

// mustTokens gives KEPALA an RSA-2048 key and MITRA an ECDSA P-256 key,
// each generated inside a SoftHSM2 token of their own and certified by the
// harness's development CA, and sets them as the engine's token keys.
func mustTokens(t *testing.T, h *harness, users ...string) map[string]*x509.Certificate {
	t.Helper()
	caCert, caKey := mustDevCA(t, h)
	hsm := softhsmtest.MustHSM(t)
	cfg := pkcs11.Config{Module: hsm.Module}
	certs := map[string]*x509.Certificate{}
	for _, u := range users {
		kind := map[string]softhsmtest.KeyType{"kepala": softhsmtest.RSA2048, "mitra": softhsmtest.ECDSAP256}[u]
		hsm.MustToken(t, u+"-token", "pin-"+u)
		certs[u] = hsm.MustKey(t, u+"-token", "pin-"+u, u+"-sign", []byte{0x42}, kind, caCert, caKey, softhsmtest.Holder{Name: "Token " + u, Title: "Pejabat"}, softhsmtest.Options{})
		cfg.Keys = append(cfg.Keys, pkcs11.Key{User: u, Token: u + "-token", Label: u + "-sign"})
		// Identity binding: the token's certificate is registered to its user.
		if _, err := h.e.RegisterCertificate(context.Background(), admin, u, certs[u].Raw); err != nil {
			t.Fatalf("register the token certificate of %s: %v", u, err)
		}
	}
	s, err := pkcs11.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	h.e.Tokens = s
	return certs
}

func mustDevCA(t *testing.T, h *harness) (*x509.Certificate, crypto.Signer) {
	t.Helper()
	certPEM, err := os.ReadFile(h.pki.CACert)
	if err != nil {
		t.Fatal(err)
	}
	keyPEM, err := os.ReadFile(h.pki.CAKey)
	if err != nil {
		t.Fatal(err)
	}
	cb, _ := pem.Decode(certPEM)
	kb, _ := pem.Decode(keyPEM)
	if cb == nil || kb == nil {
		t.Fatal("development CA files are not PEM")
	}
	cert, err := x509.ParseCertificate(cb.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	key, err := x509.ParsePKCS8PrivateKey(kb.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return cert, key.(crypto.Signer)
}

// atForeignSigning drives a foreign MoU to B9 with its text to sign.
func atForeignSigning(t *testing.T, h *harness) *naskah.Agreement {
	t.Helper()
	sd := time.Date(2027, 1, 20, 0, 0, 0, 0, naskah.Jakarta)
	b, err := h.e.Initiate(context.Background(), bkh, naskah.Agreement{Title: "MoU on Pharmacovigilance", Kind: naskah.KindMoU,
		Process: naskah.ProcessForeign, Partner: naskah.Partner{Name: "Agencia Espanola de Medicamentos", Kind: naskah.PartnerGovernment, Country: "ES"},
		Unit: unit.Unit, NeedsFullPowers: true, SigningDate: &sd}, "")
	if err != nil {
		t.Fatal(err)
	}
	b = h.upload(bkh, b, naskah.DocCounterDraft)
	for b.Step != naskah.StepForeignSigning {
		st := b.CurrentStep()
		switch {
		case slices.Contains(st.Actors, naskah.RoleBKH):
			b = h.finish(bkh, b)
		case slices.Contains(st.Actors, naskah.RoleKepala):
			b = h.act(kepala, b, naskah.ActionApprove, "")
		default:
			t.Fatalf("no actor for %s in this test", b.Step)
		}
	}
	return b
}

func storedKeys(t *testing.T, st storage.Store) []string {
	t.Helper()
	infos, err := st.List(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, i := range infos {
		if !strings.HasPrefix(i.Key, "outbox/") {
			keys = append(keys, i.Key+"@"+i.VersionID)
		}
	}
	return keys
}

// TestSignWithTokenKeys: KEPALA (RSA) and then MITRA (ECDSA) sign B9 with
// the keys on their own tokens, giving their PINs; a wrong PIN, another
// official's PIN or a user without a token key stores nothing; the signed
// text verifies with our verify and with pdfsig, and each signature
// carries its signer's token certificate.
func TestSignWithTokenKeys(t *testing.T) {
	h := newHarness(t, mustLocalStore(t), nil)
	certs := mustTokens(t, h, "kepala", "mitra")
	ctx := context.Background()
	b := atForeignSigning(t, h)

	before, rev := storedKeys(t, h.store), b.Revision
	for _, tt := range []struct {
		name string
		r    pipeline.SignRequest
		code string
	}{
		{"wrong PIN", pipeline.SignRequest{Request: h.req(kepala, b.ID), UseToken: true, PIN: "0000"}, naskah.EFORBIDDEN},
		{"the partner's PIN", pipeline.SignRequest{Request: h.req(kepala, b.ID), UseToken: true, PIN: "pin-mitra"}, naskah.EFORBIDDEN},
		{"no PIN", pipeline.SignRequest{Request: h.req(kepala, b.ID), UseToken: true}, naskah.EINVALID},
		{"token and keystore", pipeline.SignRequest{Request: h.req(kepala, b.ID), UseToken: true, PIN: "pin-kepala", Keystore: h.keys["kepala"]}, naskah.EINVALID},
		{"MADYA, who may not sign this, with KEPALA's PIN", pipeline.SignRequest{Request: h.req(madya, b.ID), UseToken: true, PIN: "pin-kepala"}, naskah.EFORBIDDEN},
	} {
		_, err := h.e.Sign(ctx, tt.r)
		if naskah.ErrorCode(err) != tt.code {
			t.Fatalf("%s: %v, want %s", tt.name, err, tt.code)
		}
	}
	if got := storedKeys(t, h.store); !slices.Equal(got, before) {
		t.Fatalf("refused signatures stored something:\nbefore %v\nafter  %v", before, got)
	}
	if cur, err := h.e.Get(ctx, bkh, b.ID); err != nil || cur.Revision != rev || cur.Latest(naskah.DocSigned) != nil {
		t.Fatalf("refused signatures changed the record: %v, revision %d want %d", err, cur.Revision, rev)
	}

	for i, by := range []naskah.Actor{kepala, mitra} {
		next, err := h.e.Sign(ctx, pipeline.SignRequest{Request: h.req(by, b.ID), UseToken: true, PIN: "pin-" + by.User, Location: "Jakarta", Visible: true, Page: 1})
		if err != nil {
			t.Fatalf("%s signs with the token: %v", by.User, err)
		}
		b = next
		signed, d, err := h.e.Download(ctx, bkh, b.ID, naskah.DocSigned, 0, true)
		if err != nil {
			t.Fatal(err)
		}
		rep, err := h.e.VerifyDocument(ctx, signed)
		if err != nil || !rep.Valid || len(rep.Signatures) != i+1 {
			t.Fatalf("after %s: verify %v, report %+v", by.User, err, rep)
		}
		if c := rep.Signatures[i].Certificate; c == nil || !c.Equal(certs[by.User]) {
			t.Fatalf("%s's signature does not carry %s's token certificate", by.User, by.User)
		}
		if want := naskah.SignerTag(by.Role, by.User); d.Signers[len(d.Signers)-1] != want {
			t.Fatalf("signers %v, want %s last", d.Signers, want)
		}
		checkPdfsig(t, h, signed, i+1)
	}
}

// TestTokenKeyIsTheActorsOnly: a user without a token key cannot sign with
// another's, whatever PIN they give; the keystore path stays open to them.
func TestTokenKeyIsTheActorsOnly(t *testing.T) {
	h := newHarness(t, mustLocalStore(t), nil)
	mustTokens(t, h, "kepala") // MITRA has no token key
	ctx := context.Background()
	b := atForeignSigning(t, h)
	b = h.sign(kepala, "kepala", b) // KEPALA may still use a keystore
	before := storedKeys(t, h.store)
	_, err := h.e.Sign(ctx, pipeline.SignRequest{Request: h.req(mitra, b.ID), UseToken: true, PIN: "pin-kepala"})
	if naskah.ErrorCode(err) != naskah.EINVALID || !strings.Contains(naskah.ErrorMessage(err), "tidak memiliki kunci") {
		t.Fatalf("MITRA with KEPALA's PIN: %v, want invalid (no token key)", err)
	}
	if got := storedKeys(t, h.store); !slices.Equal(got, before) {
		t.Fatalf("a refused signature stored something")
	}
	if h.e.HasToken("mitra") || !h.e.HasToken("kepala") {
		t.Fatalf("HasToken: mitra %v kepala %v, want false true", h.e.HasToken("mitra"), h.e.HasToken("kepala"))
	}
	h.sign(mitra, "mitra", b)
}
