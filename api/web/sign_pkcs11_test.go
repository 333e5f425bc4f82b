//go:build cgo

package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/bpom/naskah"
	"github.com/bpom/naskah/pipeline/pdf/pdftest"
	"github.com/bpom/naskah/pipeline/pdf/pkcs11"
	"github.com/bpom/naskah/pipeline/pdf/pkcs11/softhsmtest"
)

// TestSignPageWithToken: an official with a token key is offered the PIN
// (token chosen by default); a missing or wrong PIN is shown at the PIN
// field and never echoed; the right PIN signs.
func TestSignPageWithToken(t *testing.T) {
	e := MustEnv(t, "http://naskah.test")
	pki := pdftest.MustPKI(t)
	e.Engine.Roots.AddCert(pki.CA.Cert)
	hsm := softhsmtest.MustHSM(t)
	hsm.MustToken(t, "kepala-token", "135-kepala")
	cert := hsm.MustKey(t, "kepala-token", "135-kepala", "sign", []byte{1}, softhsmtest.RSA2048, pki.CA.Cert, pki.CA.Key,
		softhsmtest.Holder{Name: "Dr. Taruna Ikrar (token)", Title: "Kepala Badan Pengawas Obat dan Makanan"}, softhsmtest.Options{})
	tokens, err := pkcs11.New(pkcs11.Config{Module: hsm.Module, Keys: []pkcs11.Key{{User: "kepala", Token: "kepala-token", Label: "sign"}}})
	if err != nil {
		t.Fatal(err)
	}
	e.Engine.Tokens = tokens
	if _, err := e.Engine.RegisterCertificate(context.Background(), naskah.Actor{User: "admin", Role: naskah.RoleAdmin}, "kepala", cert.Raw); err != nil {
		t.Fatalf("register the token certificate: %v", err)
	}

	c := newClient(t, e.App)
	c.login("bkh")
	id := initiate(t, c, "PKS Pengujian Mutu Obat")
	advance(t, e, id)
	k := newClient(t, e.App)
	k.login("kepala")
	r := k.get("/agreements/" + id + "/sign")
	if r.Status != http.StatusOK || !strings.Contains(r.Body, `id="pin"`) || !strings.Contains(r.Body, "Token / HSM saya") || !strings.Contains(r.Body, `value="token" checked`) {
		t.Fatalf("signing page of an official with a token: want the PIN field, token chosen\n%s", r.Body)
	}
	r = k.postMultipart("/agreements/"+id+"/sign", map[string]string{"method": "token", "location": "Jakarta"}, nil, nil)
	if r.Status != http.StatusBadRequest || !strings.Contains(r.Body, `id="pin-err"`) || !strings.Contains(r.Body, "Isi PIN token") {
		t.Fatalf("no PIN: got %d, want 400 at the PIN field", r.Status)
	}
	r = k.postMultipart("/agreements/"+id+"/sign", map[string]string{"method": "token", "pin": "999-salah", "location": "Jakarta"}, nil, nil)
	if r.Status != http.StatusForbidden || !strings.Contains(r.Body, `id="pin-err"`) || !strings.Contains(r.Body, "PIN token salah") {
		t.Fatalf("wrong PIN: got %d, want 403 at the PIN field\n%s", r.Status, r.Body)
	}
	if strings.Contains(r.Body, "999-salah") {
		t.Fatal("the PIN was echoed back into the page")
	}
	r = k.postMultipart("/agreements/"+id+"/sign", map[string]string{"method": "token", "pin": "135-kepala", "location": "Jakarta", "visible": "1", "page": "1"}, nil, nil)
	if r.Status != http.StatusSeeOther {
		t.Fatalf("sign with the token: got %d, want 303\n%s", r.Status, r.Body)
	}
	if r = k.get(r.Location); !strings.Contains(r.Body, "ASLI") || !strings.Contains(r.Body, "Dr. Taruna Ikrar (token)") {
		t.Fatalf("signing result: want a valid report naming the token certificate's holder\n%s", r.Body)
	}
}
