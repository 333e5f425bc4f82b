package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/pem"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/bpom/naskah"
	"github.com/bpom/naskah/pipeline"
	"github.com/bpom/naskah/pipeline/pdf"
)

// toDelivery drives a domestic MoU signed by KEPALA to A9 over HTTP.
func (v *env) toDelivery(title string) string {
	v.t.Helper()
	id := v.initiateA(title).ID
	v.finish("unit", id) // A1
	for _, who := range []string{"bkh", "bkh", "bho", "bkh"} {
		v.finish(who, id) // A2–A5
	}
	v.act("kepala", id, naskah.ActionApprove, "")
	v.finish("bkh", id) // A7
	v.upload("bkh", id, naskah.DocTextToSign, smallPDF("obat tradisional"))
	if a := v.act("bkh", id, naskah.ActionSubmit, ""); a.Step != naskah.StepDelivery {
		v.t.Fatalf("after A8: %s, want A9", a.Step)
	}
	return id
}

func (v *env) versions(key string) int {
	v.t.Helper()
	vs, err := v.store.ListVersions(context.Background(), key)
	if naskah.ErrorCode(err) == naskah.ENOTFOUND {
		return 0
	}
	if err != nil {
		v.t.Fatal(err)
	}
	return len(vs)
}

func (v *env) signedBytes(id string) []byte {
	v.t.Helper()
	r := v.do("bkh", "GET", "/agreements/"+id+"/documents/signed/latest?original=1", nil, "", nil)
	if r.status != 200 {
		v.t.Fatalf("download signed: %d %s", r.status, r.body)
	}
	return r.body
}

func testSignerIdentity(t *testing.T, v *env) {
	ctx := context.Background()
	id := v.toDelivery("PKS Pengawasan Obat Tradisional")
	key := naskah.DocumentKey(id, naskah.DocSigned)
	before := v.get("bkh", id)

	// KEPALA with MITRA's keystore and passphrase: 403, nothing stored.
	r := v.doJSON("kepala", "POST", "/agreements/"+id+"/sign", map[string]any{"keystore": v.keys["mitra"], "passphrase": v.pass["mitra"]}, nil)
	if code, detail := r.problem(); r.status != 403 || code != "forbidden" || !strings.Contains(detail, "tidak terdaftar untuk akun Anda") || !strings.Contains(detail, "not registered to your account") {
		t.Fatalf("KEPALA with MITRA's keystore: %d %s %q, want 403: not registered", r.status, code, detail)
	}
	if n := v.versions(key); n != 0 {
		t.Fatalf("a refused signature stored %d versions", n)
	}
	if after := v.get("bkh", id); after.Revision != before.Revision || len(after.Documents) != len(before.Documents) {
		t.Fatalf("a refused signature changed the record: revision %d → %d", before.Revision, after.Revision)
	}
	// MITRA with KEPALA's: 403 too.
	if r := v.doJSON("mitra", "POST", "/agreements/"+id+"/sign", map[string]any{"keystore": v.keys["kepala"], "passphrase": v.pass["kepala"]}, nil); r.status != 403 {
		t.Fatalf("MITRA with KEPALA's keystore: %d %s, want 403", r.status, r.body)
	}

	// KEPALA with the own keystore: 200, the record binds the certificate.
	a := v.sign("kepala", id)
	d := a.Latest(naskah.DocSigned)
	if len(d.Signatures) != 1 || d.Signatures[0].User != "kepala" || len(d.Signatures[0].Fingerprint) != 64 || !strings.Contains(d.Signatures[0].Subject, "Taruna Ikrar") {
		t.Fatalf("recorded signatures %+v, want KEPALA's fingerprint and subject", d.Signatures)
	}
	if slices.Contains(a.AllowedActions, naskah.ActionSign) {
		t.Fatalf("KEPALA still offered sign: %v", a.AllowedActions)
	}
	if m := v.get("mitra", id); !slices.Contains(m.AllowedActions, naskah.ActionSign) {
		t.Fatalf("MITRA not offered sign: %v", m.AllowedActions)
	}
	// Delivering before the partner signed: a clear 400 naming the partner.
	v.upload("bkh", id, naskah.DocProofOfDelivery, smallPDF("tanda terima"))
	r = v.doJSON("bkh", "POST", "/agreements/"+id+"/actions/deliver", map[string]any{}, nil)
	if code, detail := r.problem(); r.status != 400 || code != "invalid" || !strings.Contains(detail, "MITRA") || !strings.Contains(detail, "masih menunggu") {
		t.Fatalf("deliver before the partner signed: %d %s %q, want 400 naming MITRA", r.status, code, detail)
	}

	// The partner countersigns outside Naskah, with a certificate from a
	// partner CA that is on the partner trust list and not BPOM's.
	partner, err := pdf.GenerateDevPKI(t.TempDir(), []pdf.DevOfficial{{ID: "direktur", Name: "Ir. Sari Wulandari", Title: "Direktur Utama", Organization: "PT Farma Nusantara", Country: "ID"}}, v.engine.Now().Add(-1e12))
	if err != nil {
		t.Fatal(err)
	}
	stranger, err := pdf.GenerateDevPKI(t.TempDir(), []pdf.DevOfficial{{ID: "direktur", Name: "Ir. Sari Wulandari", Title: "Direktur Utama", Organization: "PT Farma Nusantara", Country: "ID"}}, v.engine.Now().Add(-1e12))
	if err != nil {
		t.Fatal(err)
	}
	caPEM, _ := os.ReadFile(partner.CACert)
	v.engine.PartnerRoots, _ = pdf.LoadRoots(caPEM)
	signWith := func(pki *pdf.DevPKI, data []byte) []byte {
		p12, _ := os.ReadFile(pki.Keystores[0].Path)
		s, err := pdf.LoadPKCS12(p12, pki.Keystores[0].Passphrase)
		if err != nil {
			t.Fatal(err)
		}
		out, err := pdf.Sign(ctx, data, s, pdf.SignOptions{Reason: "Persetujuan mitra", Location: "Surabaya"})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	bpom := v.signedBytes(id)
	good := signWith(partner, bpom)
	tampered := bytes.Clone(good)
	i := bytes.Index(tampered, []byte("/Reason"))
	copy(tampered[i:], "/Reasom")
	alteredFirst := bytes.Clone(bpom)
	copy(alteredFirst[i:], "/Reasom")
	n := v.versions(key)
	for _, tt := range []struct {
		name, says string
		data       []byte
	}{
		{"untrusted CA", "partner trust list", signWith(stranger, bpom)},
		{"BPOM's signature altered", "unchanged", tampered},
		{"BPOM's signature altered, then signed", "unchanged", signWith(partner, alteredFirst)},
	} {
		r := v.uploadResp("mitra", id, naskah.DocSigned, tt.data, nil)
		if code, detail := r.problem(); r.status != 400 || code != "invalid" || !strings.Contains(detail, tt.says) {
			t.Fatalf("%s: %d %s %q, want 400 mentioning %q", tt.name, r.status, code, detail, tt.says)
		}
	}
	if got := v.versions(key); got != n {
		t.Fatalf("refused countersigned uploads stored versions: %d → %d", n, got)
	}
	// The partner's certificate must be registered to MITRA: until then
	// 403 and nothing stored. Its holder (Ir. Sari Wulandari) is not the
	// account's name (Dr. Maria Gonzalez): 409 unless the ADMIN forces it.
	if r := v.uploadResp("mitra", id, naskah.DocSigned, good, nil); r.status != 403 || !strings.Contains(string(r.body), "not registered to your account") {
		t.Fatalf("countersigned with an unregistered certificate: %d %s, want 403", r.status, r.body)
	}
	if got := v.versions(key); got != n {
		t.Fatalf("a refused countersigned upload stored a version: %d → %d", n, got)
	}
	p12, _ := os.ReadFile(partner.Keystores[0].Path)
	ps, _ := pdf.LoadPKCS12(p12, partner.Keystores[0].Passphrase)
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ps.Certificate.Raw})
	if r := v.do("admin", "POST", "/users/mitra/certificates", bytes.NewReader(certPEM), "application/x-pem-file", nil); r.status != 409 || !strings.Contains(string(r.body), "force") {
		t.Fatalf("a certificate of Ir. Sari Wulandari for Dr. Maria Gonzalez: %d %s, want 409 asking for force", r.status, r.body)
	}
	var reg struct{ Certificate pipeline.Certificate }
	if r := v.do("admin", "POST", "/users/mitra/certificates?force=true", bytes.NewReader(certPEM), "application/x-pem-file", nil); r.status != 201 || json.Unmarshal(r.body, &reg) != nil || reg.Certificate.NameConfirmedBy != "admin" {
		t.Fatalf("forced registration: %d %s, want 201 recording the ADMIN's confirmation", r.status, r.body)
	}
	if r := v.uploadResp("mitra", id, naskah.DocSigned, good, nil); r.status != 201 {
		t.Fatalf("countersigned upload from the partner trust list: %d %s", r.status, r.body)
	}
	a = v.get("mitra", id)
	if slices.Contains(a.AllowedActions, naskah.ActionSign) {
		t.Fatalf("MITRA still offered sign after countersigning: %v", a.AllowedActions)
	}
	if got := v.signedBytes(id); !bytes.Equal(got, good) {
		t.Fatalf("the stored countersigned text is not the upload byte for byte")
	}

	// The public page names the certificate holder and the Naskah user per signature.
	var pub struct {
		IdentityOK bool                        `json:"identity_ok"`
		Genuine    bool                        `json:"genuine"`
		Signatures []pipeline.SignatureBinding `json:"signatures"`
		Report     struct{ Valid bool }        `json:"report"`
	}
	v.MustJSON("", "GET", "/public/verify/"+id, nil, 200, &pub)
	if !pub.Report.Valid || !pub.IdentityOK || !pub.Genuine || len(pub.Signatures) != 2 || pub.Signatures[0].Holder != "Dr. Taruna Ikrar" || pub.Signatures[0].User != "kepala" ||
		pub.Signatures[1].Holder != "Ir. Sari Wulandari" || pub.Signatures[1].User != "mitra" || !pub.Signatures[1].External || pub.Signatures[1].TrustList != "partner" ||
		pub.Signatures[0].Party != "bpom" || pub.Signatures[1].Party != "partner" || !pub.Signatures[1].Registered || !pub.Signatures[1].NameMismatch {
		t.Fatalf("public verification: %+v", pub)
	}
	v.act("bkh", id, naskah.ActionDeliver, "")
}

func TestSignerIdentityMinIO(t *testing.T) { testSignerIdentity(t, MustStart(t)) }
func TestSignerIdentityLocal(t *testing.T) { testSignerIdentity(t, MustStartLocal(t)) }

// TestCertificateAPI: only ADMIN lists, registers and revokes; a revoked
// certificate stays listed and no longer signs.
func TestCertificateAPI(t *testing.T) {
	v := MustStartLocal(t)
	var list struct {
		User         string                 `json:"user"`
		Certificates []pipeline.Certificate `json:"certificates"`
	}
	v.MustJSON("admin", "GET", "/users/kepala/certificates", nil, 200, &list)
	if len(list.Certificates) != 1 || list.Certificates[0].CommonName != "Dr. Taruna Ikrar" || list.Certificates[0].Serial == "" || list.Certificates[0].Issuer == "" {
		t.Fatalf("demo certificate of kepala: %+v", list)
	}
	fp := list.Certificates[0].Fingerprint
	for _, user := range []string{"kepala", "bkh", "mitra"} {
		if r := v.doJSON(user, "GET", "/users/kepala/certificates", nil, nil); r.status != 403 {
			t.Fatalf("%s listing certificates: %d, want 403", user, r.status)
		}
		if r := v.doJSON(user, "DELETE", "/users/kepala/certificates/"+fp, nil, nil); r.status != 403 {
			t.Fatalf("%s revoking: %d, want 403", user, r.status)
		}
	}
	if r := v.doJSON("admin", "GET", "/users/nobody/certificates", nil, nil); r.status != 404 {
		t.Fatalf("unknown user: %d, want 404", r.status)
	}
	// Register KEPALA's certificate for MADYA: refused, it belongs to KEPALA.
	der := list.Certificates[0].DER
	pemCert := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	if r := v.do("admin", "POST", "/users/madya/certificates", bytes.NewReader(pemCert), "application/x-pem-file", nil); r.status != 409 {
		t.Fatalf("KEPALA's certificate for MADYA: %d %s, want 409", r.status, r.body)
	}
	if r := v.do("admin", "POST", "/users/madya/certificates", strings.NewReader("bukan sertifikat"), "application/x-pem-file", nil); r.status != 400 {
		t.Fatalf("garbage: %d %s, want 400", r.status, r.body)
	}
	// Revoke: kept with reason; signing with it is then refused.
	var rev struct{ Certificate pipeline.Certificate }
	v.MustJSON("admin", "DELETE", "/users/kepala/certificates/"+fp, map[string]string{"reason": "perangkat hilang"}, 200, &rev)
	if rev.Certificate.RevokedAt == nil || rev.Certificate.RevokedBy != "admin" || rev.Certificate.RevokeReason != "perangkat hilang" {
		t.Fatalf("revoked: %+v", rev.Certificate)
	}
	id := v.toDelivery("PKS Sertifikat Dicabut")
	r := v.doJSON("kepala", "POST", "/agreements/"+id+"/sign", map[string]any{"keystore": v.keys["kepala"], "passphrase": v.pass["kepala"]}, nil)
	if _, detail := r.problem(); r.status != 403 || !strings.Contains(detail, "dicabut") {
		t.Fatalf("sign with a revoked certificate: %d %q, want 403 revoked", r.status, detail)
	}
	// Still KEPALA's, revoked or not.
	if r := v.do("admin", "POST", "/users/madya/certificates", bytes.NewReader(der), "application/pkix-cert", nil); r.status != 409 {
		t.Fatalf("KEPALA's revoked certificate for MADYA: %d %s, want 409", r.status, r.body)
	}
	// A new certificate for KEPALA, as DER in a multipart form.
	pki, err := pdf.GenerateDevPKI(t.TempDir(), pdf.DefaultDevOfficials()[:1], v.engine.Now())
	if err != nil {
		t.Fatal(err)
	}
	p12, _ := os.ReadFile(pki.Keystores[0].Path)
	s, err := pdf.LoadPKCS12(p12, pki.Keystores[0].Passphrase)
	if err != nil {
		t.Fatal(err)
	}
	b, ct := multipartBody(nil, "file", "kepala.cer", s.Certificate.Raw)
	if r := v.do("admin", "POST", "/users/kepala/certificates", b, ct, nil); r.status != 201 {
		t.Fatalf("register as multipart DER: %d %s", r.status, r.body)
	}
	var users struct {
		Users []struct {
			Username     string
			Certificates []pipeline.Certificate
		}
	}
	v.MustJSON("admin", "GET", "/users", nil, 200, &users)
	counts := map[string]int{}
	for _, u := range users.Users {
		counts[u.Username] = len(u.Certificates)
	}
	if counts["kepala"] != 2 || counts["madya"] != 1 || counts["bkh"] != 0 || counts["mitra"] != 1 {
		t.Fatalf("users and certificates: %v", counts)
	}
}
