package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/bpom/naskah"
	"github.com/bpom/naskah/pipeline"
	"github.com/bpom/naskah/pipeline/pdf"
	"github.com/bpom/naskah/storage"
)

// TestAdminCertificatesPage: only ADMIN sees the page; it lists each
// account's certificates, registers one and revokes one (kept, marked).
func TestAdminCertificatesPage(t *testing.T) {
	e := MustEnv(t, "http://naskah.test")
	b := newClient(t, e.App)
	b.login("bkh")
	if r := b.get("/admin/users"); r.Status != http.StatusForbidden || strings.Contains(r.Body, "Sidik jari") {
		t.Fatalf("BKH on the admin page: %d, want 403", r.Status)
	}
	if r := b.get("/"); strings.Contains(r.Body, `href="/admin/users"`) {
		t.Fatalf("BKH is shown the admin link")
	}
	a := newClient(t, e.App)
	a.login("admin")
	r := a.get("/admin/users")
	certs, _ := e.Engine.Certificates(context.Background(), "kepala")
	if r.Status != http.StatusOK || !strings.Contains(r.Body, "Dr. Taruna Ikrar") || !strings.Contains(r.Body, certs[0].Fingerprint) || !strings.Contains(r.Body, "Aktif") || !strings.Contains(r.Body, `href="/admin/users"`) {
		t.Fatalf("admin page: %d\n%s", r.Status, r.Body)
	}
	// Register a new certificate for BKH (PEM upload), then revoke it.
	other, err := pdf.GenerateDevPKI(t.TempDir(), pdf.DefaultDevOfficials()[1:2], time.Now())
	if err != nil {
		t.Fatal(err)
	}
	ks, err := loadSigner(other)
	if err != nil {
		t.Fatal(err)
	}
	pemCert := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ks.Certificate.Raw})
	r = a.postMultipart("/admin/users/bkh/certificates", nil, []file{{"file", "bkh.pem", pemCert}}, nil)
	if r.Status != http.StatusSeeOther {
		t.Fatalf("register: %d\n%s", r.Status, r.Body)
	}
	fp := pipeline.Fingerprint(ks.Certificate)
	if r = a.get(r.Location); !strings.Contains(r.Body, fp) {
		t.Fatalf("the registered certificate is not listed")
	}
	// The same certificate again: idempotent, still one entry.
	if r = a.postMultipart("/admin/users/bkh/certificates", nil, []file{{"file", "bkh.pem", pemCert}}, nil); r.Status != http.StatusSeeOther {
		t.Fatalf("register twice: %d\n%s", r.Status, r.Body)
	}
	if cs, err := e.Engine.Certificates(context.Background(), "bkh"); err != nil || len(cs) != 1 {
		t.Fatalf("registered twice: %d entries (%v), want 1", len(cs), err)
	}
	if r = b.post("/admin/users/bkh/certificates/"+fp+"/revoke", url.Values{"reason": {"x"}}); r.Status != http.StatusForbidden {
		t.Fatalf("BKH revoking: %d, want 403", r.Status)
	}
	if r = a.post("/admin/users/bkh/certificates/"+fp+"/revoke", url.Values{"reason": {"pindah tugas"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("revoke: %d\n%s", r.Status, r.Body)
	}
	r = a.get("/admin/users")
	if !strings.Contains(r.Body, "Dicabut") || !strings.Contains(r.Body, "pindah tugas") || !strings.Contains(r.Body, fp) {
		t.Fatalf("the revoked certificate is not shown as revoked\n%s", r.Body)
	}
}

func loadSigner(pki *pdf.DevPKI) (*pdf.Signer, error) {
	b, err := os.ReadFile(pki.Keystores[0].Path)
	if err != nil {
		return nil, err
	}
	return pdf.LoadPKCS12(b, pki.Keystores[0].Passphrase)
}

// TestVerifyPageIdentity: the public page names the certificate holder and
// the Naskah user per signature, and flags a record that does not match.
func TestVerifyPageIdentity(t *testing.T) {
	e := MustEnv(t, "http://naskah.test")
	c := newClient(t, e.App)
	c.login("bkh")
	id := initiate(t, c, "PKS Identitas Penanda Tangan")
	advance(t, e, id)
	k := newClient(t, e.App)
	k.login("kepala")
	// KEPALA with the partner's keystore: refused with the reason.
	mks, mpass, _ := e.keystore(t, "mitra")
	r := k.postMultipart("/agreements/"+id+"/sign", map[string]string{"passphrase": mpass, "location": "Jakarta"}, []file{{"keystore", "mitra.p12", mks}}, nil)
	if r.Status != http.StatusForbidden || !strings.Contains(r.Body, "tidak terdaftar untuk akun Anda") {
		t.Fatalf("KEPALA with MITRA's keystore: %d, want 403 saying not registered\n%s", r.Status, r.Body)
	}
	ks, pass, _ := e.keystore(t, "kepala")
	if r = k.postMultipart("/agreements/"+id+"/sign", map[string]string{"passphrase": pass, "location": "Jakarta"}, []file{{"keystore", "kepala.p12", ks}}, nil); r.Status != http.StatusSeeOther {
		t.Fatalf("sign: %d\n%s", r.Status, r.Body)
	}
	if r = k.get("/agreements/" + id); strings.Contains(r.Body, `href="/agreements/`+id+`/sign"`) {
		t.Fatalf("KEPALA is still offered to sign after signing")
	}
	p := newClient(t, e.App)
	r = p.get("/verify/" + id)
	if !strings.Contains(r.Body, "Identitas penanda tangan") || !strings.Contains(r.Body, "Pemegang sertifikat") || !strings.Contains(r.Body, "kepala (KEPALA)") ||
		!strings.Contains(r.Body, "Setiap tanda tangan dibuat dengan sertifikat yang tercatat") || strings.Contains(r.Body, "PERHATIAN") {
		t.Fatalf("verify page: want holder, user and a matching identity\n%s", r.Body)
	}
	// Four years on, the certificate (3 years) has expired and there is no
	// timestamp: still genuine, validated at the recorded signing time.
	later := time.Now().AddDate(4, 0, 0)
	now := e.Engine.Now
	e.Engine.Now = func() time.Time { return later }
	r = p.get("/verify/" + id)
	e.Engine.Now = now
	if !strings.Contains(r.Body, "ASLI") || !strings.Contains(r.Body, "divalidasi pada waktu penandatanganan yang tercatat di Naskah") || strings.Contains(r.Body, "PERHATIAN") {
		t.Fatalf("verify page four years on: want genuine, validated at the recorded signing time\n%s", r.Body)
	}
	// Someone edits the record to claim another certificate: flagged.
	ctx := context.Background()
	rc, info, err := e.Engine.Store.Get(ctx, naskah.RecordKey(id), storage.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(rc)
	rc.Close()
	var a naskah.Agreement
	json.Unmarshal(raw, &a)
	a.Documents[len(a.Documents)-1].Signatures[0].Fingerprint = strings.Repeat("0", 64)
	raw, _ = json.Marshal(a)
	if _, err := e.Engine.Store.Put(ctx, naskah.RecordKey(id), bytes.NewReader(raw), storage.PutOptions{Size: int64(len(raw)), IfMatch: info.ETag}); err != nil {
		t.Fatal(err)
	}
	r = p.get("/verify/" + id)
	if !strings.Contains(r.Body, "PERHATIAN") || !strings.Contains(r.Body, "bukan sertifikat yang tercatat") {
		t.Fatalf("verify page of a mismatching record: want the warning\n%s", r.Body)
	}
}

// TestCountersignPage: the partner is offered the countersigned upload once
// BPOM has signed; an upload from the partner trust list completes the
// signatures, and nobody is offered to sign again.
func TestCountersignPage(t *testing.T) {
	e := MustEnv(t, "http://naskah.test")
	c := newClient(t, e.App)
	c.login("bkh")
	id := initiate(t, c, "PKS Tanda Tangan Mitra")
	advance(t, e, id)
	m := newClient(t, e.App)
	m.login("mitra")
	if r := m.get("/agreements/" + id + "/sign"); strings.Contains(r.Body, "cs-file") {
		t.Fatalf("the countersigned upload is offered before BPOM signed")
	}
	k := newClient(t, e.App)
	k.login("kepala")
	ks, pass, _ := e.keystore(t, "kepala")
	if r := k.postMultipart("/agreements/"+id+"/sign", map[string]string{"passphrase": pass, "location": "Jakarta"}, []file{{"keystore", "kepala.p12", ks}}, nil); r.Status != http.StatusSeeOther {
		t.Fatalf("sign: %d\n%s", r.Status, r.Body)
	}
	r := m.get("/agreements/" + id + "/sign")
	if !strings.Contains(r.Body, "cs-file") || !strings.Contains(r.Body, "daftar kepercayaan mitra") {
		t.Fatalf("the partner is not offered the countersigned upload\n%s", r.Body)
	}
	ctx := context.Background()
	signed, _, err := e.Engine.Download(ctx, naskah.Actor{User: "kepala", Role: naskah.RoleKepala}, id, naskah.DocSigned, 0, true)
	if err != nil {
		t.Fatal(err)
	}
	partner, err := pdf.GenerateDevPKI(t.TempDir(), pdf.DefaultDevOfficials()[3:], time.Now().Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	s, err := loadSigner(partner)
	if err != nil {
		t.Fatal(err)
	}
	countersigned, err := pdf.Sign(ctx, signed, s, pdf.SignOptions{Reason: "Persetujuan mitra"})
	if err != nil {
		t.Fatal(err)
	}
	up := func() response {
		return m.postMultipart("/agreements/"+id+"/upload", map[string]string{"kind": "signed", "request_id": "cs-" + time.Now().String()}, []file{{"file", "ttd-mitra.pdf", countersigned}}, nil)
	}
	if r := up(); r.Status != http.StatusBadRequest || !strings.Contains(r.Body, "partner_trust_roots") {
		t.Fatalf("without a partner trust list: %d, want 400 naming partner_trust_roots\n%s", r.Status, r.Body)
	}
	caPEM, _ := os.ReadFile(partner.CACert)
	e.Engine.PartnerRoots, _ = pdf.LoadRoots(caPEM)
	if r := up(); r.Status != http.StatusForbidden || !strings.Contains(r.Body, "tidak terdaftar untuk akun Anda") {
		t.Fatalf("countersigned with a certificate not registered to MITRA: %d, want 403\n%s", r.Status, r.Body)
	}
	if _, err := e.Engine.RegisterCertificate(ctx, naskah.Actor{User: "admin", Role: naskah.RoleAdmin}, "mitra", s.Certificate.Raw); err != nil {
		t.Fatal(err)
	}
	if r := up(); r.Status != http.StatusSeeOther {
		t.Fatalf("countersigned upload: %d\n%s", r.Status, r.Body)
	}
	if r := m.get("/agreements/" + id + "/sign"); strings.Contains(r.Body, "cs-file") || !strings.Contains(r.Body, "sudah menandatangani") {
		t.Fatalf("the partner is still offered to sign\n%s", r.Body)
	}
	r = newClient(t, e.App).get("/verify/" + id)
	if !strings.Contains(r.Body, "ASLI") || !strings.Contains(r.Body, "Dr. Maria Gonzalez") || !strings.Contains(r.Body, "ditandatangani mitra di luar Naskah") || !strings.Contains(r.Body, "CA mitra") ||
		!strings.Contains(r.Body, "tanda tangan mitra, bukan pejabat BPOM") || strings.Contains(r.Body, "PERHATIAN") {
		t.Fatalf("verify page of the countersigned text\n%s", r.Body)
	}
}
