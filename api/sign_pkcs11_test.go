//go:build cgo

package api_test

import (
	"bytes"
	"context"
	"mime/multipart"
	"strings"
	"testing"

	"github.com/bpom/naskah"
	"github.com/bpom/naskah/pipeline/pdf/pdftest"
	"github.com/bpom/naskah/pipeline/pdf/pkcs11"
	"github.com/bpom/naskah/pipeline/pdf/pkcs11/softhsmtest"
)

// TestSignWithTokenOverHTTP: KEPALA signs A9 with the key on their
// SoftHSM2 token by sending only the PIN; a wrong PIN is 403 and stores
// nothing, and never reaches the log; MITRA, without a token key, cannot
// use KEPALA's PIN; the partner then countersigns with a keystore.
func TestSignWithTokenOverHTTP(t *testing.T) {
	v := MustStart(t)
	pki := pdftest.MustPKI(t)
	v.engine.Roots.AddCert(pki.CA.Cert)
	hsm := softhsmtest.MustHSM(t)
	hsm.MustToken(t, "kepala-token", "pin-kepala-2468")
	cert := hsm.MustKey(t, "kepala-token", "pin-kepala-2468", "sign", []byte{1}, softhsmtest.ECDSAP256, pki.CA.Cert, pki.CA.Key,
		softhsmtest.Holder{Name: "Dr. Taruna Ikrar", Title: "Kepala Badan Pengawas Obat dan Makanan"}, softhsmtest.Options{})
	tokens, err := pkcs11.New(pkcs11.Config{Module: hsm.Module, Keys: []pkcs11.Key{{User: "kepala", Token: "kepala-token", Label: "sign"}}})
	if err != nil {
		t.Fatal(err)
	}
	v.engine.Tokens = tokens
	if _, err := v.engine.RegisterCertificate(context.Background(), naskah.Actor{User: "admin", Role: naskah.RoleAdmin}, "kepala", cert.Raw); err != nil {
		t.Fatalf("register the token certificate: %v", err)
	}

	a := v.initiateA("Nota Kesepahaman Pengawasan Obat Tradisional")
	id := a.ID
	for _, who := range []string{"unit", "bkh", "bkh", "bho", "bkh"} {
		v.finish(who, id) // A1–A5
	}
	v.act("kepala", id, naskah.ActionApprove, "")
	v.finish("bkh", id) // A7
	v.upload("bkh", id, naskah.DocTextToSign, smallPDF("obat tradisional"))
	if a = v.act("bkh", id, naskah.ActionSubmit, ""); a.Step != naskah.StepDelivery {
		t.Fatalf("after A8: %s, want A9", a.Step)
	}

	r := v.doJSON("kepala", "POST", "/agreements/"+id+"/sign", map[string]any{"use_token": true, "pin": "salah-pin-9753"}, nil)
	if code, detail := r.problem(); r.status != 403 || code != "forbidden" || !strings.Contains(detail, "PIN token salah") {
		t.Fatalf("wrong PIN: %d %s %q, want 403 saying the PIN is wrong", r.status, code, detail)
	}
	r = v.doJSON("mitra", "POST", "/agreements/"+id+"/sign", map[string]any{"pin": "pin-kepala-2468"}, nil)
	if code, detail := r.problem(); r.status != 400 || !strings.Contains(detail, "tidak memiliki kunci") {
		t.Fatalf("MITRA with KEPALA's PIN: %d %s %q, want 400 saying MITRA has no token key", r.status, code, detail)
	}
	if got := v.get("kepala", id); got.Revision != a.Revision || got.Latest(naskah.DocSigned) != nil {
		t.Fatalf("refused signatures changed the agreement: revision %d want %d", got.Revision, a.Revision)
	}

	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for _, f := range [][2]string{{"use_token", "1"}, {"pin", "pin-kepala-2468"}, {"location", "Jakarta"}, {"visible", "1"}, {"page", "1"}} {
		w.WriteField(f[0], f[1])
	}
	w.Close()
	if r := v.do("kepala", "POST", "/agreements/"+id+"/sign", &b, w.FormDataContentType(), nil); r.status != 200 {
		t.Fatalf("KEPALA signing with the token: %d %s", r.status, r.body)
	}
	v.sign("mitra", id)
	data, _, err := v.engine.Download(context.Background(), naskah.Actor{User: "bkh", Role: naskah.RoleBKH}, id, naskah.DocSigned, 0, true)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := v.engine.VerifyDocument(context.Background(), data)
	if err != nil || !rep.Valid || len(rep.Signatures) != 2 || !rep.Signatures[0].Certificate.Equal(cert) {
		t.Fatalf("verify: %v, report %+v, want 2 valid signatures, the first with KEPALA's token certificate", err, rep)
	}
	for _, pin := range []string{"salah-pin-9753", "pin-kepala-2468"} {
		if strings.Contains(v.log.String(), pin) {
			t.Errorf("the log carries a PIN")
		}
	}
}
