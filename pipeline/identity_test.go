package pipeline_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"encoding/pem"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/bpom/naskah"
	"github.com/bpom/naskah/pipeline"
	"github.com/bpom/naskah/pipeline/pdf"
	"github.com/bpom/naskah/storage"
)

// partnerDomestic is a domestic MoU with the harness's partner, so that
// the mitra actor is a party to it.
func (h *harness) toSigning(t *testing.T) *naskah.Agreement {
	t.Helper()
	ctx := context.Background()
	a, err := h.e.Initiate(ctx, unit, naskah.Agreement{Title: "PKS Pengawasan Obat Tradisional", Kind: naskah.KindMoU, Process: naskah.ProcessDomestic,
		Partner: naskah.Partner{Name: mitra.Unit, Kind: naskah.PartnerGovernment, Country: "ID"}}, "")
	if err != nil {
		t.Fatal(err)
	}
	actors := map[naskah.Role]naskah.Actor{naskah.RoleUnit: unit, naskah.RoleBKH: bkh, naskah.RoleBHO: bho, naskah.RoleSestama: sestama,
		naskah.RoleKepala: kepala, naskah.RoleMadya: madya, naskah.RoleUPT: upt}
	for a.Step != naskah.StepDelivery {
		st := a.CurrentStep()
		by := actors[st.ActorsFor(a)[0]]
		if st.Decision() && st.Finish == naskah.ActionApprove {
			for _, k := range st.RequiredOutputs(a) {
				a = h.upload(by, a, k)
			}
			a = h.act(by, a, naskah.ActionApprove, "")
			continue
		}
		a = h.finish(by, a)
	}
	return a
}

// versionsOf counts the stored versions of a key (0 when none).
func versionsOf(t *testing.T, st storage.Store, key string) int {
	t.Helper()
	vs, err := st.ListVersions(context.Background(), key)
	if naskah.ErrorCode(err) == naskah.ENOTFOUND {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	return len(vs)
}

func testIdentityBinding(t *testing.T, st storage.Store) {
	h := newHarness(t, st, nil)
	ctx := context.Background()
	a := h.toSigning(t)
	signedKey := naskah.DocumentKey(a.ID, naskah.DocSigned)

	// KEPALA with the partner's keystore (and passphrase): refused, nothing stored.
	_, err := h.e.Sign(ctx, pipeline.SignRequest{Request: h.req(kepala, a.ID), Keystore: h.keys["mitra"], Passphrase: h.pass["mitra"]})
	if naskah.ErrorCode(err) != naskah.EFORBIDDEN || !strings.Contains(err.Error(), "tidak terdaftar untuk akun Anda") || !strings.Contains(err.Error(), "not registered to your account") {
		t.Fatalf("KEPALA with MITRA's keystore: %v, want forbidden: not registered", err)
	}
	if n := versionsOf(t, st, signedKey); n != 0 {
		t.Fatalf("a refused signature left %d signed versions", n)
	}
	if got, _, _ := h.e.Load(ctx, a.ID); got.Revision != a.Revision || len(got.Documents) != len(a.Documents) {
		t.Fatalf("a refused signature changed the record: revision %d → %d", a.Revision, got.Revision)
	}
	// The reverse: MITRA with KEPALA's keystore.
	if _, err := h.e.Sign(ctx, pipeline.SignRequest{Request: h.req(mitra, a.ID), Keystore: h.keys["kepala"], Passphrase: h.pass["kepala"]}); naskah.ErrorCode(err) != naskah.EFORBIDDEN {
		t.Fatalf("MITRA with KEPALA's keystore: %v, want forbidden", err)
	}

	// Revoked: refused too, and the list keeps the revocation.
	ks, _ := pdf.LoadPKCS12(h.keys["kepala"], h.pass["kepala"])
	fp := pipeline.Fingerprint(ks.Certificate)
	if _, err := h.e.RevokeCertificate(ctx, kepala, kepala.User, fp, "x"); naskah.ErrorCode(err) != naskah.EFORBIDDEN {
		t.Fatalf("KEPALA revoking: %v, want forbidden (ADMIN only)", err)
	}
	if _, err := h.e.RevokeCertificate(ctx, admin, kepala.User, strings.ToUpper(fp), "kunci hilang"); err != nil {
		t.Fatal(err)
	}
	_, err = h.e.Sign(ctx, pipeline.SignRequest{Request: h.req(kepala, a.ID), Keystore: h.keys["kepala"], Passphrase: h.pass["kepala"]})
	if naskah.ErrorCode(err) != naskah.EFORBIDDEN || !strings.Contains(err.Error(), "dicabut") {
		t.Fatalf("revoked certificate: %v, want forbidden: revoked", err)
	}
	certs, err := h.e.Certificates(ctx, kepala.User)
	if err != nil || len(certs) != 1 || certs[0].RevokedAt == nil || certs[0].RevokedBy != "admin" || certs[0].RevokeReason != "kunci hilang" {
		t.Fatalf("certificates after revoke: %+v %v, want one revoked by admin", certs, err)
	}
	if _, err := h.e.RegisterCertificate(ctx, admin, kepala.User, ks.Certificate.Raw); naskah.ErrorCode(err) != naskah.ECONFLICT {
		t.Fatalf("re-registering a revoked certificate: %v, want conflict", err)
	}
	if _, err := h.e.RegisterCertificate(ctx, admin, "kepala2", ks.Certificate.Raw); naskah.ErrorCode(err) != naskah.ECONFLICT {
		t.Fatalf("a revoked certificate registered to another user: %v, want conflict", err)
	}

	// A fresh certificate for KEPALA (PEM this time) signs; the record binds it.
	other, err := pdf.GenerateDevPKI(t.TempDir(), nil, h.clk.Now().AddDate(0, 0, -1))
	if err != nil {
		t.Fatal(err)
	}
	caPEM, _ := os.ReadFile(h.pki.CACert)
	otherCA, _ := os.ReadFile(other.CACert)
	h.e.Roots, _ = pdf.LoadRoots(append(caPEM, otherCA...))
	p12, _ := os.ReadFile(other.Keystores[0].Path)
	ks2, err := pdf.LoadPKCS12(p12, other.Keystores[0].Passphrase)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.e.RegisterCertificate(ctx, admin, kepala.User, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ks2.Certificate.Raw})); err != nil {
		t.Fatal(err)
	}
	a, err = h.e.Sign(ctx, pipeline.SignRequest{Request: h.req(kepala, a.ID), Keystore: p12, Passphrase: other.Keystores[0].Passphrase})
	if err != nil {
		t.Fatalf("KEPALA with a registered certificate: %v", err)
	}
	d := a.CurrentSigned()
	if len(d.Signatures) != 1 || d.Signatures[0].Fingerprint != pipeline.Fingerprint(ks2.Certificate) || d.Signatures[0].User != kepala.User ||
		!strings.Contains(d.Signatures[0].Subject, ks2.Certificate.Subject.CommonName) || !slices.Equal(d.Signers, []string{"KEPALA:kepala"}) {
		t.Fatalf("recorded signature %+v signers %v, want KEPALA's fingerprint and subject", d.Signatures, d.Signers)
	}
	// Delivering before the partner signed is refused, naming the partner.
	if _, err := h.e.Act(ctx, h.req(bkh, a.ID), naskah.ActionDeliver); naskah.ErrorCode(err) != naskah.EINVALID || !strings.Contains(err.Error(), "MITRA") {
		t.Fatalf("deliver before the partner signed: %v, want invalid naming MITRA", err)
	}
	data, _, err := h.e.Download(ctx, bkh, a.ID, naskah.DocSigned, 0, true)
	if err != nil {
		t.Fatal(err)
	}
	rep, _ := h.e.VerifyDocument(ctx, data)
	bs, err := h.e.Bindings(ctx, d, rep)
	if err != nil || len(bs) != 1 || bs[0].Mismatch || bs[0].User != kepala.User || bs[0].Holder != ks2.Certificate.Subject.CommonName || !bs[0].Registered {
		t.Fatalf("bindings %+v %v, want one matching binding", bs, err)
	}
	// A record whose fingerprint is not the file's is flagged.
	forged := *d
	forged.Signatures = slices.Clone(d.Signatures)
	forged.Signatures[0].Fingerprint = fp
	if bs, _ := h.e.Bindings(ctx, &forged, rep); pipeline.BindingsOK(bs) {
		t.Fatalf("a fingerprint mismatch is not flagged: %+v", bs)
	}
	// An older record (signers, no certificates): checked against the registry.
	legacy := *d
	legacy.Signatures = nil
	if bs, _ := h.e.Bindings(ctx, &legacy, rep); !pipeline.BindingsOK(bs) || bs[0].User != kepala.User {
		t.Fatalf("an older record signed with a registered certificate: %+v", bs)
	}
	legacy.Signers = []string{naskah.SignerTag(madya.Role, madya.User)}
	if bs, _ := h.e.Bindings(ctx, &legacy, rep); pipeline.BindingsOK(bs) {
		t.Fatalf("an older record naming someone whose certificate it is not: not flagged: %+v", bs)
	}
	// A record claiming more signatures than the file has.
	extra := *d
	extra.Signatures = append(slices.Clone(d.Signatures), d.Signatures[0])
	if bs, _ := h.e.Bindings(ctx, &extra, rep); pipeline.BindingsOK(bs) || len(bs) != 2 {
		t.Fatalf("a recorded signature missing from the file: not flagged: %+v", bs)
	}
}

func TestIdentityBindingLocal(t *testing.T) { testIdentityBinding(t, mustLocalStore(t)) }
func TestIdentityBindingMinIO(t *testing.T) {
	st, _ := mustMinIOStore(t)
	testIdentityBinding(t, st)
}

func TestCertificateRegistry(t *testing.T) {
	h := newHarness(t, mustLocalStore(t), nil)
	ctx := context.Background()
	ks, _ := pdf.LoadPKCS12(h.keys["mitra"], h.pass["mitra"])
	if _, err := h.e.RegisterCertificate(ctx, admin, "someone", ks.Certificate.Raw); naskah.ErrorCode(err) != naskah.ECONFLICT || !strings.Contains(err.Error(), `"mitra"`) {
		t.Fatalf("a certificate registered to another user: %v, want conflict naming mitra", err)
	}
	// Registering the same certificate to the same user again is idempotent.
	if c, err := h.e.RegisterCertificate(ctx, admin, "mitra", ks.Certificate.Raw); err != nil || c.Fingerprint != pipeline.Fingerprint(ks.Certificate) {
		t.Fatalf("registered twice to the same user: %v, want the existing entry", err)
	}
	if cs, _ := h.e.Certificates(ctx, "mitra"); len(cs) != 1 {
		t.Fatalf("registered twice: %d entries, want 1", len(cs))
	}
	if _, err := h.e.RegisterCertificate(ctx, bkh, "bkh1", ks.Certificate.Raw); naskah.ErrorCode(err) != naskah.EFORBIDDEN {
		t.Fatalf("BKH registering: %v, want forbidden", err)
	}
	for _, bad := range [][]byte{[]byte("not a certificate"), h.keys["mitra"], append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ks.Certificate.Raw}), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ks.Chain[0].Raw})...)} {
		if _, err := h.e.RegisterCertificate(ctx, admin, "x", bad); naskah.ErrorCode(err) != naskah.EINVALID {
			t.Fatalf("registering %q…: %v, want invalid", bad[:8], err)
		}
	}
	if _, err := h.e.RegisterCertificate(ctx, admin, "../etc", ks.Certificate.Raw); naskah.ErrorCode(err) != naskah.EINVALID {
		t.Fatalf("bad user name: %v, want invalid", err)
	}
	if _, err := h.e.RevokeCertificate(ctx, admin, "mitra", strings.Repeat("ab", 32), ""); naskah.ErrorCode(err) != naskah.ENOTFOUND {
		t.Fatalf("revoking an unknown fingerprint: %v, want not found", err)
	}
	all, err := h.e.AllCertificates(ctx)
	if err != nil || len(all) != 4 || len(all["mitra"]) != 1 || all["mitra"][0].Subject != pipeline.SubjectString(ks.Certificate.Subject) || all["mitra"][0].Serial == "" {
		t.Fatalf("all certificates: %v %v", all, err)
	}
	if got := all["mitra"][0].Subject; !strings.HasPrefix(got, "T=Director General,CN=Dr. Maria Gonzalez") || strings.Contains(got, "#13") {
		t.Fatalf("subject %q: want the title by name, not a hex dump", got)
	}
}

func TestNIK(t *testing.T) {
	tests := []struct {
		name    string
		subject pkix.Name
		want    string
	}{
		{"serialNumber attribute", pkix.Name{CommonName: "Budi", ExtraNames: []pkix.AttributeTypeAndValue{{Type: asn1.ObjectIdentifier{2, 5, 4, 5}, Value: "3273012345670001"}}}, "3273012345670001"},
		{"serialNumber with NIK prefix", pkix.Name{CommonName: "Budi", ExtraNames: []pkix.AttributeTypeAndValue{{Type: asn1.ObjectIdentifier{2, 5, 4, 5}, Value: "NIK:3273012345670002"}}}, "3273012345670002"},
		{"NIK in the common name", pkix.Name{CommonName: "Budi Santoso NIK 3273012345670003"}, "3273012345670003"},
		{"none", pkix.Name{CommonName: "Budi", ExtraNames: []pkix.AttributeTypeAndValue{{Type: asn1.ObjectIdentifier{2, 5, 4, 5}, Value: "ABC123"}}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw, err := asn1.Marshal(tt.subject.ToRDNSequence())
			if err != nil {
				t.Fatal(err)
			}
			var rdn pkix.RDNSequence
			asn1.Unmarshal(raw, &rdn)
			c := &x509.Certificate{}
			c.Subject.FillFromRDNSequence(&rdn)
			if got := pipeline.NIK(c); got != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// testCountersign: the partner signs BPOM's signed text outside Naskah and
// uploads it; only an unchanged BPOM part plus one partner signature from
// the partner trust list is accepted.
func testCountersign(t *testing.T, st storage.Store) {
	h := newHarness(t, st, nil)
	ctx := context.Background()
	a := h.toSigning(t)
	partnerPKI, err := pdf.GenerateDevPKI(t.TempDir(), nil, h.clk.Now().AddDate(0, 0, -1))
	if err != nil {
		t.Fatal(err)
	}
	strangerPKI, err := pdf.GenerateDevPKI(t.TempDir(), nil, h.clk.Now().AddDate(0, 0, -1))
	if err != nil {
		t.Fatal(err)
	}
	signerOf := func(pki *pdf.DevPKI, id string) *pdf.Signer {
		for _, k := range pki.Keystores {
			if k.Official.ID == id {
				p12, _ := os.ReadFile(k.Path)
				s, err := pdf.LoadPKCS12(p12, k.Passphrase)
				if err != nil {
					t.Fatal(err)
				}
				return s
			}
		}
		t.Fatalf("no keystore %s", id)
		return nil
	}
	countersign := func(data []byte, s *pdf.Signer) []byte {
		out, err := pdf.Sign(ctx, data, s, pdf.SignOptions{Reason: "Countersigned", Location: "Madrid", Now: h.clk.Now})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	upload := func(data []byte) (*naskah.Agreement, error) {
		return h.e.Countersign(ctx, h.req(mitra, a.ID), "countersigned.pdf", bytes.NewReader(data))
	}

	if _, err := upload(countersign(textPDF("x"), signerOf(partnerPKI, "mitra"))); naskah.ErrorCode(err) != naskah.EINVALID || !strings.Contains(err.Error(), "BPOM has not signed") {
		t.Fatalf("countersign before BPOM signed: %v, want invalid", err)
	}
	a = h.sign(kepala, "kepala", a)
	bpomSigned, _, err := h.e.Download(ctx, bkh, a.ID, naskah.DocSigned, 0, true)
	if err != nil {
		t.Fatal(err)
	}
	good := countersign(bpomSigned, signerOf(partnerPKI, "mitra"))
	if _, err := upload(good); naskah.ErrorCode(err) != naskah.EINVALID || !strings.Contains(err.Error(), "partner_trust_roots") {
		t.Fatalf("no partner trust list configured: %v, want invalid naming partner_trust_roots", err)
	}
	partnerCA, _ := os.ReadFile(partnerPKI.CACert)
	h.e.PartnerRoots, _ = pdf.LoadRoots(partnerCA)

	altered := bytes.Clone(bpomSigned)
	i := bytes.Index(altered, []byte("/Reason"))
	copy(altered[i:], "/Reasom") // inside BPOM's signed range
	tampered := bytes.Clone(good)
	copy(tampered[i:], "/Reasom")
	before := versionsOf(t, st, naskah.DocumentKey(a.ID, naskah.DocSigned))
	refused := []struct {
		name string
		data []byte
		says string
	}{
		{"untrusted CA", countersign(bpomSigned, signerOf(strangerPKI, "mitra")), "partner trust list"},
		{"BPOM's signature altered", tampered, "unchanged"},
		{"re-signed an altered text", countersign(altered, signerOf(partnerPKI, "mitra")), "unchanged"},
		{"BPOM's text alone", bpomSigned, "unchanged"},
		{"two new signatures", countersign(good, signerOf(partnerPKI, "madya")), "exactly one"},
		{"bytes after the partner's signature", append(bytes.Clone(good), "\n% appended\n"...), "not valid"},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			_, err := upload(tt.data)
			if naskah.ErrorCode(err) != naskah.EINVALID || !strings.Contains(err.Error(), tt.says) {
				t.Fatalf("got %v, want invalid mentioning %q", err, tt.says)
			}
		})
	}
	if n := versionsOf(t, st, naskah.DocumentKey(a.ID, naskah.DocSigned)); n != before {
		t.Fatalf("refused uploads left versions: %d → %d", before, n)
	}
	if _, err := h.e.Countersign(ctx, h.req(bkh, a.ID), "c.pdf", bytes.NewReader(good)); naskah.ErrorCode(err) != naskah.EFORBIDDEN {
		t.Fatalf("BKH uploading a countersigned text: %v, want forbidden", err)
	}

	// The partner's certificate must be registered to the uploading MITRA
	// user: a partner-CA certificate naming a BPOM official (the MADYA's
	// name) is tied to no one and refused, and so is the right one until
	// it is registered.
	before = versionsOf(t, st, naskah.DocumentKey(a.ID, naskah.DocSigned))
	for _, data := range [][]byte{good, countersign(bpomSigned, signerOf(partnerPKI, "madya"))} {
		if _, err := upload(data); naskah.ErrorCode(err) != naskah.EFORBIDDEN || !strings.Contains(err.Error(), "not registered to your account") {
			t.Fatalf("countersigned with an unregistered certificate: %v, want forbidden", err)
		}
	}
	if n := versionsOf(t, st, naskah.DocumentKey(a.ID, naskah.DocSigned)); n != before {
		t.Fatalf("refused uploads left versions: %d → %d", before, n)
	}
	if _, err := h.e.RegisterCertificate(ctx, admin, mitra.User, signerOf(partnerPKI, "mitra").Certificate.Raw); err != nil {
		t.Fatal(err)
	}
	a, err = upload(good)
	if err != nil {
		t.Fatalf("countersigned upload from the partner trust list: %v", err)
	}
	d := a.CurrentSigned()
	ps := signerOf(partnerPKI, "mitra")
	if d.SHA256 != sha(good) || !slices.Equal(d.Signers, []string{"KEPALA:kepala", "MITRA:mitra"}) || len(d.Signatures) != 2 ||
		!d.Signatures[1].External || d.Signatures[1].Fingerprint != pipeline.Fingerprint(ps.Certificate) {
		t.Fatalf("recorded %+v, want the upload byte for byte with KEPALA and the external partner signature", d)
	}
	rep, err := h.e.VerifyDocument(ctx, good)
	if err != nil || !rep.Valid || rep.Signatures[0].TrustList != "bpom" || rep.Signatures[1].TrustList != "partner" {
		t.Fatalf("verify the countersigned text: %v %+v", err, rep)
	}
	if bs, _ := h.e.Bindings(ctx, d, rep); !pipeline.BindingsOK(bs) || len(bs) != 2 || !bs[1].Registered || bs[0].Party != "bpom" || bs[1].Party != "partner" {
		t.Fatalf("bindings of the countersigned text: %+v, want both matching, the second a registered partner signature", bs)
	}
	if slices.Contains(naskah.Allowed(a, mitra), naskah.ActionSign) || slices.Contains(naskah.Allowed(a, kepala), naskah.ActionSign) {
		t.Fatalf("sign still offered after both signed")
	}
	a = h.upload(bkh, a, naskah.DocProofOfDelivery)
	a = h.act(bkh, a, naskah.ActionDeliver, "")
	if a.Step != naskah.StepReceipt {
		t.Fatalf("after deliver at %s, want A10", a.Step)
	}
}

func TestCountersignLocal(t *testing.T) { testCountersign(t, mustLocalStore(t)) }
func TestCountersignMinIO(t *testing.T) {
	st, _ := mustMinIOStore(t)
	testCountersign(t, st)
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// TestPartnerCASigningInNaskah: the partner may sign in Naskah with a
// registered certificate from a partner CA; a BPOM official may not sign
// with one, even registered.
func TestPartnerCASigningInNaskah(t *testing.T) {
	h := newHarness(t, mustLocalStore(t), nil)
	ctx := context.Background()
	a := h.toSigning(t)
	partner, err := pdf.GenerateDevPKI(t.TempDir(), nil, h.clk.Now().AddDate(0, 0, -1))
	if err != nil {
		t.Fatal(err)
	}
	caPEM, _ := os.ReadFile(partner.CACert)
	h.e.PartnerRoots, _ = pdf.LoadRoots(caPEM)
	keystore := func(id string) ([]byte, string, *pdf.Signer) {
		for _, k := range partner.Keystores {
			if k.Official.ID == id {
				p12, _ := os.ReadFile(k.Path)
				s, err := pdf.LoadPKCS12(p12, k.Passphrase)
				if err != nil {
					t.Fatal(err)
				}
				return p12, k.Passphrase, s
			}
		}
		t.Fatalf("no keystore %s", id)
		return nil, "", nil
	}
	kp12, kpass, ks := keystore("kepala")
	if _, err := h.e.RegisterCertificate(ctx, admin, kepala.User, ks.Certificate.Raw); err != nil {
		t.Fatal(err)
	}
	if _, err := h.e.Sign(ctx, pipeline.SignRequest{Request: h.req(kepala, a.ID), Keystore: kp12, Passphrase: kpass}); naskah.ErrorCode(err) != naskah.EFORBIDDEN {
		t.Fatalf("KEPALA with a partner CA's certificate: %v, want forbidden", err)
	}
	a = h.sign(kepala, "kepala", a)
	mp12, mpass, ms := keystore("mitra")
	if _, err := h.e.RegisterCertificate(ctx, admin, mitra.User, ms.Certificate.Raw); err != nil {
		t.Fatal(err)
	}
	a, err = h.e.Sign(ctx, pipeline.SignRequest{Request: h.req(mitra, a.ID), Keystore: mp12, Passphrase: mpass})
	if err != nil {
		t.Fatalf("MITRA with a registered partner CA certificate: %v", err)
	}
	data, _, _ := h.e.Download(ctx, bkh, a.ID, naskah.DocSigned, 0, true)
	rep, err := h.e.VerifyDocument(ctx, data)
	if err != nil || !rep.Valid || rep.Signatures[1].TrustList != "partner" {
		t.Fatalf("verify: %v %+v", err, rep)
	}
	if bs, _ := h.e.Bindings(ctx, a.CurrentSigned(), rep); !pipeline.BindingsOK(bs) {
		t.Fatalf("bindings: %+v", bs)
	}
}
