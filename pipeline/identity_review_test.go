package pipeline_test

import (
	"context"
	"io"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bpom/naskah"
	"github.com/bpom/naskah/pipeline"
	"github.com/bpom/naskah/pipeline/pdf"
	"github.com/bpom/naskah/storage"
)

// hookStore calls onDocGet, once, when a document version is first read:
// the moment a signature is being made on it.
type hookStore struct {
	storage.Store
	once     sync.Once
	onDocGet func()
}

func (s *hookStore) Get(ctx context.Context, key string, o storage.GetOptions) (io.ReadCloser, storage.ObjectInfo, error) {
	if strings.Contains(key, "/documents/") {
		s.once.Do(s.onDocGet)
	}
	return s.Store.Get(ctx, key, o)
}

// otherPKI is a second development PKI (same officials, other keys and CA).
func otherPKI(t *testing.T, h *harness) *pdf.DevPKI {
	t.Helper()
	p, err := pdf.GenerateDevPKI(t.TempDir(), nil, h.clk.Now().AddDate(0, 0, -1))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func keystoreOf(t *testing.T, p *pdf.DevPKI, id string) ([]byte, string, *pdf.Signer) {
	t.Helper()
	for _, k := range p.Keystores {
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

// testRevokedWhileSigning: a certificate revoked after Sign checked it but
// before the record is written does not commit: 403, and the signed
// version it stored is undone (nothing retained, no new version left).
func testRevokedWhileSigning(t *testing.T, st storage.Store) {
	h := newHarness(t, st, nil)
	ctx := context.Background()
	a := h.toSigning(t)
	ks, _ := pdf.LoadPKCS12(h.keys["kepala"], h.pass["kepala"])
	var revokeErr error
	hs := &hookStore{Store: h.e.Store, onDocGet: func() {
		_, revokeErr = h.e.RevokeCertificate(ctx, admin, kepala.User, pipeline.Fingerprint(ks.Certificate), "kunci dicuri")
	}}
	h.e.Store = hs
	key := naskah.DocumentKey(a.ID, naskah.DocSigned)
	before := versionsOf(t, st, key)
	_, err := h.e.Sign(ctx, pipeline.SignRequest{Request: h.req(kepala, a.ID), Keystore: h.keys["kepala"], Passphrase: h.pass["kepala"]})
	if revokeErr != nil {
		t.Fatalf("revoke during signing: %v", revokeErr)
	}
	if naskah.ErrorCode(err) != naskah.EFORBIDDEN || !strings.Contains(err.Error(), "revoked") {
		t.Fatalf("sign with a certificate revoked mid-signature: %v, want forbidden saying it was revoked", err)
	}
	if n := versionsOf(t, st, key); n != before {
		t.Fatalf("the refused signature left signed versions: %d → %d", before, n)
	}
	if got, _, _ := h.e.Load(ctx, a.ID); got.Revision != a.Revision || got.CurrentSigned() != nil {
		t.Fatalf("the refused signature changed the record: revision %d want %d", got.Revision, a.Revision)
	}
}

func TestRevokedWhileSigningLocal(t *testing.T) { testRevokedWhileSigning(t, mustLocalStore(t)) }
func TestRevokedWhileSigningMinIO(t *testing.T) {
	st, _ := mustMinIOStore(t)
	testRevokedWhileSigning(t, st)
}

// testConcurrentRegistration: ADMINs registering one certificate to two
// users at the same moment: exactly one user gets it, every registration
// for the other is a conflict naming the owner. The same certificate
// registered to one user by several ADMINs (or replicas starting) at once:
// all succeed, one entry.
func testConcurrentRegistration(t *testing.T, st storage.Store) {
	h := newHarness(t, st, nil)
	ctx := context.Background()
	other := otherPKI(t, h)
	_, _, one := keystoreOf(t, other, "kepala")
	_, _, two := keystoreOf(t, other, "madya")
	const n = 6
	type result struct {
		user string
		err  error
	}
	results := make(chan result, 2*n)
	var start sync.WaitGroup
	start.Add(1)
	for i := 0; i < n; i++ {
		for _, u := range []string{"userA", "userB"} {
			go func() {
				start.Wait()
				_, err := h.e.RegisterCertificate(ctx, admin, u, one.Certificate.Raw)
				results <- result{u, err}
			}()
		}
	}
	start.Done()
	ok := map[string]int{}
	for i := 0; i < 2*n; i++ {
		r := <-results
		switch {
		case r.err == nil:
			ok[r.user]++
		case naskah.ErrorCode(r.err) != naskah.ECONFLICT || !strings.Contains(r.err.Error(), "one certificate belongs to one person"):
			t.Fatalf("registration for %s: %v, want success or conflict", r.user, r.err)
		}
	}
	if len(ok) != 1 {
		t.Fatalf("one certificate registered to %d users (%v), want exactly one", len(ok), ok)
	}
	for u, c := range ok {
		if c != n {
			t.Fatalf("%d of %d registrations for the winner %s succeeded, want all (idempotent)", c, n, u)
		}
	}
	all, err := h.e.AllCertificates(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(all["userA"])+len(all["userB"]) != 1 {
		t.Fatalf("registry holds %d entries for the certificate, want 1: %v", len(all["userA"])+len(all["userB"]), all)
	}

	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		go func() { _, err := h.e.RegisterCertificate(ctx, admin, "userC", two.Certificate.Raw); errs <- err }()
	}
	for i := 0; i < n; i++ {
		if err := <-errs; err != nil {
			t.Fatalf("the same certificate to the same user, concurrently: %v, want success", err)
		}
	}
	if cs, _ := h.e.Certificates(ctx, "userC"); len(cs) != 1 {
		t.Fatalf("userC has %d entries, want 1", len(cs))
	}
}

func TestConcurrentRegistrationLocal(t *testing.T) { testConcurrentRegistration(t, mustLocalStore(t)) }
func TestConcurrentRegistrationMinIO(t *testing.T) {
	st, _ := mustMinIOStore(t)
	testConcurrentRegistration(t, st)
}

func TestSameName(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		want bool
	}{
		{"Dr. Taruna Ikrar", "Dr. Taruna Ikrar", true},
		{"Taruna Ikrar", "Prof. Dr. Taruna Ikrar, M.Si.", true},
		{"RINA  KARTIKA", "Rina Kartika, S.H., M.Si.", true},
		{"Dr. Ir. Agus Salim M.Kes.", "agus salim", true},
		{"Rina Kartika", "Dr. Taruna Ikrar", false},
		{"Rina Kartika", "Rina", false},
		{"Dr. Taruna Ikrar (token)", "Dr. Taruna Ikrar", false},
		{"", "", false},
	} {
		if got := pipeline.SameName(tt.a, tt.b); got != tt.want {
			t.Errorf("SameName(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}

// TestHolderMustBeTheAccount: a certificate naming another official (CN
// Rina Kartika) is refused for KEPALA's account (Dr. Taruna Ikrar) unless
// the ADMIN forces it, which is recorded and shown by the bindings; a
// holder that is not the account's name without that confirmation is a
// mismatch.
func TestHolderMustBeTheAccount(t *testing.T) {
	h := newHarness(t, mustLocalStore(t), nil)
	ctx := context.Background()
	names := map[string]string{kepala.User: "Prof. Dr. Taruna Ikrar, M.Si.", madya.User: "Rina Kartika"}
	h.e.AccountName = func(u string) string { return names[u] }
	other := otherPKI(t, h)
	caPEM, _ := os.ReadFile(h.pki.CACert)
	otherCA, _ := os.ReadFile(other.CACert)
	h.e.Roots, _ = pdf.LoadRoots(append(caPEM, otherCA...))

	p12, pass, rina := keystoreOf(t, other, "madya")
	_, err := h.e.RegisterCertificate(ctx, admin, kepala.User, rina.Certificate.Raw)
	if naskah.ErrorCode(err) != naskah.ECONFLICT || !strings.Contains(err.Error(), "Rina Kartika") || !strings.Contains(err.Error(), "force") {
		t.Fatalf("registering Rina Kartika's certificate to kepala: %v, want a conflict naming the holder and force", err)
	}
	if cs, _ := h.e.Certificates(ctx, kepala.User); len(cs) != 1 {
		t.Fatalf("the refused certificate was registered: %d entries", len(cs))
	}
	_, _, taruna := keystoreOf(t, other, "kepala")
	if _, err := h.e.RegisterCertificate(ctx, admin, kepala.User, taruna.Certificate.Raw); err != nil {
		t.Fatalf("CN Dr. Taruna Ikrar for account Prof. Dr. Taruna Ikrar, M.Si.: %v, want registered", err)
	}
	c, err := h.e.RegisterCertificateWith(ctx, admin, kepala.User, rina.Certificate.Raw, pipeline.RegisterOptions{Force: true})
	if err != nil || c.NameConfirmedBy != admin.User || c.AccountName != names[kepala.User] {
		t.Fatalf("forced registration: %v %+v, want it recorded as confirmed by admin", err, c)
	}

	a := h.toSigning(t)
	a, err = h.e.Sign(ctx, pipeline.SignRequest{Request: h.req(kepala, a.ID), Keystore: p12, Passphrase: pass})
	if err != nil {
		t.Fatal(err)
	}
	data, _, _ := h.e.Download(ctx, bkh, a.ID, naskah.DocSigned, 0, true)
	rep, err := h.e.VerifyDocument(ctx, data)
	if err != nil {
		t.Fatal(err)
	}
	bs, err := h.e.Bindings(ctx, a.CurrentSigned(), rep)
	if err != nil {
		t.Fatal(err)
	}
	if !bs[0].NameMismatch || bs[0].Mismatch || len(bs[0].Problems) != 1 || !strings.Contains(bs[0].Problems[0], "confirmed by ADMIN admin") {
		t.Fatalf("binding of a forced registration: %+v, want the name mismatch flagged as confirmed", bs[0])
	}
	// A certificate registered before names were compared (the harness's
	// partner certificate), or an account renamed since: the holder is not
	// the account, with no confirmation.
	a = h.sign(mitra, "mitra", a)
	data, _, _ = h.e.Download(ctx, bkh, a.ID, naskah.DocSigned, 0, true)
	rep, _ = h.e.VerifyDocument(ctx, data)
	names[mitra.User] = "Agus Salim"
	bs, _ = h.e.Bindings(ctx, a.CurrentSigned(), rep)
	if len(bs) != 2 || !bs[1].NameMismatch || !bs[1].Mismatch || pipeline.BindingsOK(bs) {
		t.Fatalf("holder %s on account Agus Salim, unconfirmed: %+v, want a mismatch", rep.Signatures[1].SignerName, bs)
	}
}

// TestValidAtRecordedSigningTime: four years on, the signer's certificate
// (3 years) has expired and the text has no timestamp: the file alone is
// invalid now, but the record's signed text verifies at the signing time
// Naskah recorded, and says so.
func TestValidAtRecordedSigningTime(t *testing.T) {
	h := newHarness(t, mustLocalStore(t), nil)
	ctx := context.Background()
	a := h.toSigning(t)
	a = h.sign(kepala, "kepala", a)
	d := a.CurrentSigned()
	data, _, _ := h.e.Download(ctx, bkh, a.ID, naskah.DocSigned, 0, true)
	later := h.clk.Now().AddDate(4, 0, 0)
	h.e.Now = func() time.Time { return later }
	if rep, err := h.e.VerifyDocument(ctx, data); err != nil || rep.Valid {
		t.Fatalf("the file alone, four years on: %v valid=%v, want invalid (expired, no timestamp)", err, rep != nil && rep.Valid)
	}
	rep, err := h.e.VerifyRecorded(ctx, d, data)
	if err != nil || !rep.Valid {
		t.Fatalf("the record's signed text four years on: %v %+v, want valid at the recorded signing time", err, rep)
	}
	s := rep.Signatures[0]
	if !s.AtRecordedTime || !s.ValidatedAt.Equal(d.Signatures[0].SignedAt) {
		t.Fatalf("validated at %v (recorded %v), want the recorded signing time %v", s.ValidatedAt, s.AtRecordedTime, d.Signatures[0].SignedAt)
	}
	bs, err := h.e.Bindings(ctx, d, rep)
	if err != nil || !pipeline.BindingsOK(bs) || !bs[0].AtRecordedTime {
		t.Fatalf("bindings: %v %+v", err, bs)
	}
	// The recorded time of another certificate is not this one's.
	other := *d
	other.Signatures = []naskah.SignatureInfo{{Fingerprint: strings.Repeat("0", 64), SignedAt: d.Signatures[0].SignedAt}}
	if rep, _ := h.e.VerifyRecorded(ctx, &other, data); rep.Valid {
		t.Fatalf("a recorded time for another certificate made the file valid")
	}
}
