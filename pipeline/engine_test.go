package pipeline_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/bpom/naskah"
	"github.com/bpom/naskah/internal/miniotest"
	"github.com/bpom/naskah/pipeline"
	"github.com/bpom/naskah/pipeline/pdf"
	"github.com/bpom/naskah/pipeline/pdf/pdftest"
	"github.com/bpom/naskah/search"
	"github.com/bpom/naskah/search/bleve"
	"github.com/bpom/naskah/storage"
	"github.com/bpom/naskah/storage/local"
	"github.com/bpom/naskah/storage/minio"
)

var (
	bkh     = naskah.Actor{User: "bkh1", Name: "Staf BKH", Role: naskah.RoleBKH}
	bho     = naskah.Actor{User: "bho1", Role: naskah.RoleBHO}
	kepala  = naskah.Actor{User: "kepala", Role: naskah.RoleKepala}
	madya   = naskah.Actor{User: "deputi1", Role: naskah.RoleMadya}
	sestama = naskah.Actor{User: "sestama", Role: naskah.RoleSestama}
	upt     = naskah.Actor{User: "kepala-upt", Role: naskah.RoleUPT, Unit: "BBPOM Bandung"}
	unit    = naskah.Actor{User: "ditwas", Role: naskah.RoleUnit, Unit: "Direktorat Pengawasan Obat"}
	mitra   = naskah.Actor{User: "mitra", Role: naskah.RoleMitra, Unit: "Agencia Espanola de Medicamentos"}
	admin   = naskah.Actor{User: "admin", Role: naskah.RoleAdmin}
)

// clock is a test clock that moves one working day per action.
type clock struct {
	mu  sync.Mutex
	t   time.Time
	cal *naskah.Calendar
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) next() {
	c.mu.Lock()
	defer c.mu.Unlock()
	d, _ := c.cal.AddWorkingDays(c.t, 1)
	c.t = time.Date(d.Year(), d.Month(), d.Day(), 9, 30, 0, 0, naskah.Jakarta)
}

type harness struct {
	t     *testing.T
	e     *pipeline.Engine
	clk   *clock
	pki   *pdf.DevPKI
	store storage.Store
	index search.Index
	minio *miniotest.Server
	keys  map[string][]byte
	pass  map[string]string
	text  string
}

func mustMinIOStore(t *testing.T) (storage.Store, *miniotest.Server) {
	t.Helper()
	srv := miniotest.Start(t)
	st, err := minio.New(context.Background(), minio.Config{Endpoint: srv.Endpoint, AccessKey: srv.AccessKey, SecretKey: srv.SecretKey,
		Bucket: "naskah-test", Timeout: 5 * time.Second})
	if err != nil {
		t.Fatalf("minio.New: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	return st, srv
}

func mustLocalStore(t *testing.T) storage.Store {
	t.Helper()
	st, err := local.Open(local.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func newHarness(t *testing.T, st storage.Store, srv *miniotest.Server) *harness {
	t.Helper()
	idx, err := bleve.OpenMem()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { idx.Close() })
	cal := naskah.DefaultCalendar()
	clk := &clock{t: time.Date(2026, 11, 2, 9, 0, 0, 0, naskah.Jakarta), cal: cal}
	pki, err := pdf.GenerateDevPKI(t.TempDir(), nil, clk.Now().Add(-24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	caPEM, err := os.ReadFile(pki.CACert)
	if err != nil {
		t.Fatal(err)
	}
	roots, err := pdf.LoadRoots(caPEM)
	if err != nil {
		t.Fatal(err)
	}
	cfg := pipeline.DefaultConfig()
	cfg.Limits.MaxBytes = 5 << 20
	cfg.ArchivePeriod = 2 * 365 * 24 * time.Hour
	cfg.SpecimenDir = mustSpecimenDir(t, kepala.User)
	e := pipeline.New(st, idx, cfg)
	e.Calendar, e.Now, e.Roots = cal, clk.Now, roots
	h := &harness{t: t, e: e, clk: clk, pki: pki, store: st, index: idx, minio: srv, keys: map[string][]byte{}, pass: map[string]string{}}
	for _, k := range pki.Keystores {
		data, err := os.ReadFile(k.Path)
		if err != nil {
			t.Fatal(err)
		}
		h.keys[k.Official.ID], h.pass[k.Official.ID] = data, k.Passphrase
	}
	// Each official's certificate is registered to the user who signs with it.
	for key, user := range map[string]string{"kepala": kepala.User, "madya": madya.User, "kepala-upt": upt.User, "mitra": mitra.User} {
		h.register(user, key)
	}
	return h
}

// register binds the certificate of keystore key to user, as ADMIN.
func (h *harness) register(user, key string) {
	h.t.Helper()
	s, err := pdf.LoadPKCS12(h.keys[key], h.pass[key])
	if err != nil {
		h.t.Fatal(err)
	}
	if _, err := h.e.RegisterCertificate(context.Background(), admin, user, s.Certificate.Raw); err != nil {
		h.t.Fatalf("register %s for %s: %v", key, user, err)
	}
}

func (h *harness) req(by naskah.Actor, id string) pipeline.Request {
	h.clk.next()
	return pipeline.Request{Actor: by, ID: id}
}

func (h *harness) upload(by naskah.Actor, a *naskah.Agreement, kind naskah.DocumentKind) *naskah.Agreement {
	h.t.Helper()
	body := pdftest.PDF(pdftest.Portrait)
	if kind == naskah.DocTextToSign && h.text != "" {
		body = textPDF(h.text)
	}
	next, err := h.e.Upload(context.Background(), h.req(by, a.ID), pipeline.Upload{Kind: kind, FileName: string(kind) + ".pdf", Body: bytes.NewReader(body)})
	if err != nil {
		h.t.Fatalf("upload %s by %s at %s: %v", kind, by.Role, a.Step, err)
	}
	return next
}

func (h *harness) act(by naskah.Actor, a *naskah.Agreement, kind naskah.ActionKind, note string) *naskah.Agreement {
	h.t.Helper()
	r := h.req(by, a.ID)
	r.Note = note
	next, err := h.e.Act(context.Background(), r, kind)
	if err != nil {
		h.t.Fatalf("%s by %s at %s: %v", kind, by.Role, a.Step, err)
	}
	return next
}

// finish uploads the step's required outputs and finishes it.
func (h *harness) finish(by naskah.Actor, a *naskah.Agreement) *naskah.Agreement {
	h.t.Helper()
	st := a.CurrentStep()
	for _, k := range st.RequiredOutputs(a) {
		if k != naskah.DocSigned {
			a = h.upload(by, a, k)
		}
	}
	return h.act(by, a, st.Finish, "")
}

func (h *harness) sign(by naskah.Actor, key string, a *naskah.Agreement) *naskah.Agreement {
	h.t.Helper()
	next, err := h.e.Sign(context.Background(), pipeline.SignRequest{Request: h.req(by, a.ID), Keystore: h.keys[key], Passphrase: h.pass[key],
		Location: "Jakarta", Visible: true, Page: 1})
	if err != nil {
		h.t.Fatalf("sign by %s: %v", by.Role, err)
	}
	return next
}

func (h *harness) checkDue(a *naskah.Agreement) {
	h.t.Helper()
	for i, e := range a.History {
		st := naskah.LookupStep(e.Step)
		hk := st.DeadlineHK(a)
		if st.ID == naskah.StepForeignSigning && a.SigningDate != nil || hk == 0 {
			continue
		}
		want, _ := h.e.Calendar.AddWorkingDays(e.Entered, hk)
		if e.Due == nil || !e.Due.Equal(want) {
			h.t.Errorf("history %d (%s): due %v, want %v (%d HK)", i, e.Step, e.Due, want, hk)
		}
	}
}

// textPDF returns a one-page PDF whose text contains word, so a search
// can find the agreement by a word of its signed text.
func textPDF(word string) []byte {
	return pdftest.TextPDF("NOTA KESEPAHAMAN tentang "+word, "Para Pihak sepakat bekerja sama.")
}

func TestEngineProcessesOnMinIO(t *testing.T) {
	st, srv := mustMinIOStore(t)
	h := newHarness(t, st, srv)
	ctx := context.Background()

	// Process A: initiated by a UPT, A2 due in 5 HK, rejected once at A6,
	// approved, signed by the Kepala UPT, delivered and received.
	a, err := h.e.Initiate(ctx, upt, naskah.Agreement{Title: "PKS Pengawasan Pangan Jajanan Anak Sekolah", Kind: naskah.KindPKS,
		Process: naskah.ProcessDomestic, Partner: naskah.Partner{Name: "Universitas Padjadjaran", Kind: naskah.PartnerAcademia, Country: "ID"}}, "req-a")
	if err != nil {
		t.Fatal(err)
	}
	again, err := h.e.Initiate(ctx, upt, naskah.Agreement{Title: "PKS Pengawasan Pangan Jajanan Anak Sekolah", Kind: naskah.KindPKS,
		Process: naskah.ProcessDomestic, Partner: naskah.Partner{Name: "Universitas Padjadjaran", Kind: naskah.PartnerAcademia, Country: "ID"}}, "req-a")
	if err != nil || again.ID != a.ID {
		t.Fatalf("retried initiate: %v, id %s want %s", err, again.ID, a.ID)
	}
	a = h.finish(upt, a)
	if due, want := a.Current().Due, mustAdd(h, a.Current().Entered, 5); !due.Equal(want) {
		t.Fatalf("A2 due %v, want %v", due, want)
	}
	a = h.finish(bkh, a)
	a = h.finish(bkh, a)
	a = h.finish(bho, a)
	a = h.finish(bkh, a)
	a = h.act(sestama, a, naskah.ActionReject, "Pasal 4 tentang pembiayaan perlu dirumuskan ulang")
	if a.Step != naskah.StepLegalFormulation {
		t.Fatalf("after reject at A6: %s, want A4", a.Step)
	}
	a = h.finish(bho, a)
	a = h.finish(bkh, a)
	a = h.act(sestama, a, naskah.ActionApprove, "")
	a = h.finish(bkh, a)
	h.text = "jajanan sekolahku"
	a = h.finish(upt, a) // A8 by the UPT
	a = h.sign(upt, "kepala-upt", a)
	a = h.sign(naskah.Actor{User: mitra.User, Role: naskah.RoleMitra, Unit: "Universitas Padjadjaran"}, "mitra", a)
	a = h.upload(upt, a, naskah.DocProofOfDelivery)
	a = h.act(upt, a, naskah.ActionDeliver, "")
	a = h.act(upt, a, naskah.ActionReceive, "")
	if a.Status != naskah.StatusCompleted {
		t.Fatalf("process A ended %s at %s", a.Status, a.Step)
	}
	h.checkDue(a)
	aID := a.ID

	// Process B: initiated from a foreign partner's counter draft, rejected
	// at B4, changed by the partner at B8, Full Powers, signed by KEPALA and
	// the partner, archived with a CTC under retention.
	sd := time.Date(2027, 1, 20, 0, 0, 0, 0, naskah.Jakarta)
	b, err := h.e.Initiate(ctx, bkh, naskah.Agreement{Title: "Memorandum of Understanding on Medicines Regulatory Cooperation", Kind: naskah.KindMoU,
		Process: naskah.ProcessForeign, Partner: naskah.Partner{Name: "Agencia Espanola de Medicamentos", Kind: naskah.PartnerGovernment, Country: "ES"},
		Unit: unit.Unit, NeedsFullPowers: true, SigningDate: &sd}, "")
	if err != nil {
		t.Fatal(err)
	}
	b = h.upload(bkh, b, naskah.DocCounterDraft)
	b = h.finish(bkh, b) // B1
	b = h.finish(bkh, b) // B2
	b = h.finish(bkh, b) // B3
	b = h.act(kepala, b, naskah.ActionReject, "sesuaikan pasal kerahasiaan")
	b = h.finish(unit, b) // B2 again
	b = h.finish(bkh, b)
	b = h.act(kepala, b, naskah.ActionApprove, "")
	b = h.finish(bkh, b) // B5
	b = h.finish(bkh, b) // B6
	b = h.act(kepala, b, naskah.ActionApprove, "")
	b = h.upload(bkh, b, naskah.DocCounterDraft)
	b = h.act(bkh, b, naskah.ActionReject, "mitra mengubah pasal 7")
	if b.Step != naskah.StepForeignReview {
		t.Fatalf("partner change at B8: %s, want B2", b.Step)
	}
	for _, by := range []naskah.Actor{bkh, bkh} {
		b = h.finish(by, b)
	}
	b = h.act(madya, b, naskah.ActionApprove, "")
	b = h.finish(bkh, b)
	b = h.finish(bkh, b)
	b = h.act(kepala, b, naskah.ActionApprove, "")
	b = h.finish(bkh, b) // B8 accepted
	h.text = "farmakovigilans"
	b = h.finish(bkh, b) // B9 with Full Powers
	if b.Latest(naskah.DocFullPowers) == nil {
		t.Fatalf("B9 finished without Full Powers")
	}
	if _, err := h.e.Sign(ctx, pipeline.SignRequest{Request: h.req(kepala, b.ID), Keystore: h.keys["kepala"], Passphrase: "salah"}); err == nil || !strings.Contains(err.Error(), "passphrase") {
		t.Fatalf("wrong passphrase: %v, want an error about the passphrase", err)
	}
	if _, err := h.e.Sign(ctx, pipeline.SignRequest{Request: h.req(madya, b.ID), Keystore: h.keys["madya"], Passphrase: h.pass["madya"]}); naskah.ErrorCode(err) != naskah.EFORBIDDEN {
		t.Fatalf("MADYA signing a KEPALA agreement: %v, want forbidden", err)
	}
	b = h.sign(kepala, "kepala", b)
	b = h.sign(mitra, "mitra", b)
	b = h.act(kepala, b, naskah.ActionSubmit, "")
	b = h.finish(bkh, b) // B11: transmittal + CTC
	if b.Status != naskah.StatusCompleted {
		t.Fatalf("process B ended %s at %s", b.Status, b.Step)
	}
	h.checkDue(b)
	if due := b.History[len(b.History)-2].Due; due == nil || due.Format("2006-01-02") != "2027-01-20" {
		t.Fatalf("B10 due %v, want the signing date", due)
	}

	// Both signatures valid to our verify and to pdfsig.
	signed, d, err := h.e.Download(ctx, bkh, b.ID, naskah.DocSigned, 0, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Signers) != 2 {
		t.Fatalf("signers %v, want KEPALA and MITRA", d.Signers)
	}
	rep, err := h.e.VerifyDocument(ctx, signed)
	if err != nil || !rep.Valid || len(rep.Signatures) != 2 {
		t.Fatalf("verify: %v valid=%v sigs=%d %v", err, rep != nil && rep.Valid, len(rep.Signatures), rep)
	}
	checkPdfsig(t, h, signed, 2)
	checkSignatureBoxes(t, signed, 2)

	// The signed original and the CTC are retained: not deletable.
	for _, kind := range []naskah.DocumentKind{naskah.DocSigned, naskah.DocCTC} {
		v := b.Latest(kind)
		if v.RetainUntil == nil {
			t.Fatalf("%s has no retention", kind)
		}
		if err := st.Delete(ctx, v.Key, storage.DeleteOptions{VersionID: v.VersionID}); naskah.ErrorCode(err) != naskah.ERETAINED {
			t.Fatalf("delete retained %s: %v, want retained", kind, err)
		}
	}

	// Process C: one quarterly round for the active agreements.
	rounds, err := h.e.OpenMonevRound(ctx, bkh, "2026-Q4", []string{aID})
	if err != nil || len(rounds) != 1 {
		t.Fatalf("open monev: %v (%d rounds)", err, len(rounds))
	}
	c := rounds[0]
	if again, _ := h.e.OpenMonevRound(ctx, bkh, "2026-Q4", []string{aID}); len(again) != 0 {
		t.Fatalf("a second round for the same period was opened")
	}
	c = h.finish(bkh, c)
	c = h.finish(upt, c)
	c = h.finish(bkh, c)
	c = h.finish(bkh, c)
	if c.Status != naskah.StatusCompleted {
		t.Fatalf("monev ended %s at %s", c.Status, c.Step)
	}

	// Search finds each agreement by a word of its signed text and by facet.
	if _, err := h.e.DrainOutbox(ctx); err != nil {
		t.Fatal(err)
	}
	for word, want := range map[string]string{"sekolahku": aID, "farmakovigilans": b.ID} {
		res, err := h.e.Search(ctx, bkh, search.Query{Text: word, Type: search.TypeAgreement})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Hits) == 0 || res.Hits[0].AgreementID != want {
			t.Errorf("search %q: got %v, want %s first", word, res.Hits, want)
		}
	}
	res, err := h.e.Search(ctx, bkh, search.Query{Type: search.TypeAgreement, Filters: map[string][]string{"scope": {"foreign"}}, Facets: []string{"kind"}})
	if err != nil || res.Total != 1 || res.Hits[0].AgreementID != b.ID {
		t.Fatalf("facet search: %v %+v", err, res)
	}
	// A UPT sees only its own.
	res, err = h.e.Search(ctx, upt, search.Query{Text: "farmakovigilans"})
	if err != nil || res.Total != 0 {
		t.Fatalf("UPT searching another unit's agreement: %v total %d, want 0", err, res.Total)
	}

	for _, id := range []string{aID, b.ID, c.ID} {
		got, err := h.e.Get(ctx, bkh, id)
		if err != nil {
			t.Fatal(err)
		}
		if err := naskah.VerifyAudit(got.Audit); err != nil {
			t.Errorf("audit of %s: %v", id, err)
		}
	}
	rep2, err := h.e.Fsck(ctx)
	if err != nil || !rep2.Clean() {
		t.Fatalf("fsck: %v %+v", err, rep2)
	}
}

func mustAdd(h *harness, t time.Time, n int) time.Time {
	d, _ := h.e.Calendar.AddWorkingDays(t, n)
	return d
}

func checkPdfsig(t *testing.T, h *harness, data []byte, n int) {
	t.Helper()
	pdfsig := pdftest.RequireTool(t, "pdfsig")
	certutil := pdftest.RequireTool(t, "certutil")
	dir := t.TempDir()
	for _, args := range [][]string{{"-N", "-d", "sql:" + dir, "--empty-password"}, {"-A", "-d", "sql:" + dir, "-n", "naskah-dev-ca", "-t", "CT,C,C", "-i", h.pki.CACert}} {
		if out, err := exec.Command(certutil, args...).CombinedOutput(); err != nil {
			t.Fatalf("certutil: %v %s", err, out)
		}
	}
	f := filepath.Join(dir, "signed.pdf")
	os.WriteFile(f, data, 0o644)
	out, _ := exec.Command(pdfsig, "-nssdir", "sql:"+dir, f).CombinedOutput()
	if v, tr := strings.Count(string(out), "Signature is Valid"), strings.Count(string(out), "Certificate is Trusted"); v != n || tr != n {
		t.Fatalf("pdfsig: %d valid, %d trusted, want %d:\n%s", v, tr, n, out)
	}
}

// TestEngineRefusesAndConflicts covers wrong roles, wrong steps, bad files,
// stale revisions and concurrent actions, on the embedded store.
func TestEngineRefusesAndConflicts(t *testing.T) {
	st := mustLocalStore(t)
	h := newHarness(t, st, nil)
	ctx := context.Background()
	a, err := h.e.Initiate(ctx, unit, naskah.Agreement{Title: "MoU Edukasi Keamanan Pangan", Kind: naskah.KindMoU, Process: naskah.ProcessDomestic,
		Partner: naskah.Partner{Name: "Yayasan Lembaga Konsumen", Kind: naskah.PartnerSociety, Country: "ID"}}, "")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		do   func() error
		code string
		says string
	}{
		{"wrong role", func() error {
			_, err := h.e.Act(ctx, h.req(bho, a.ID), naskah.ActionSubmit)
			return err
		}, naskah.EFORBIDDEN, "UNIT"},
		{"another unit sees nothing", func() error { _, err := h.e.Get(ctx, upt, a.ID); return err }, naskah.ENOTFOUND, "does not exist"},
		{"wrong step", func() error { _, err := h.e.Act(ctx, h.req(unit, a.ID), naskah.ActionApprove); return err }, naskah.ECONFLICT, "A1"},
		{"missing outputs", func() error { _, err := h.e.Act(ctx, h.req(unit, a.ID), naskah.ActionSubmit); return err }, naskah.EINVALID, "upload"},
		{"not a PDF", func() error {
			_, err := h.e.Upload(ctx, h.req(unit, a.ID), pipeline.Upload{Kind: naskah.DocInitialDraft, Body: strings.NewReader("hello, this is not a pdf")})
			return err
		}, naskah.EINVALID, "PDF"},
		{"too large", func() error {
			_, err := h.e.Upload(ctx, h.req(unit, a.ID), pipeline.Upload{Kind: naskah.DocInitialDraft, Body: bytes.NewReader(make([]byte, 6<<20))})
			return err
		}, naskah.ETOOLARGE, "limit"},
		{"kind not of this step", func() error {
			_, err := h.e.Upload(ctx, h.req(unit, a.ID), pipeline.Upload{Kind: naskah.DocCTC, Body: bytes.NewReader(pdftest.PDF())})
			return err
		}, naskah.EINVALID, "cannot be uploaded"},
		{"unknown agreement", func() error { _, err := h.e.Act(ctx, h.req(unit, "nope"), naskah.ActionSubmit); return err }, naskah.ENOTFOUND, "nope"},
		{"stale revision", func() error {
			r := h.req(unit, a.ID)
			r.Revision = a.Revision + 5
			_, err := h.e.Act(ctx, r, naskah.ActionSubmit)
			return err
		}, naskah.ECONFLICT, "reload"},
		{"sign at the wrong step", func() error {
			_, err := h.e.Sign(ctx, pipeline.SignRequest{Request: h.req(kepala, a.ID), Keystore: h.keys["kepala"], Passphrase: h.pass["kepala"]})
			return err
		}, naskah.ECONFLICT, "sign"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.do()
			if naskah.ErrorCode(err) != tt.code || !strings.Contains(err.Error(), tt.says) {
				t.Fatalf("got %v, want %s mentioning %q", err, tt.code, tt.says)
			}
		})
	}
	// Nothing above changed the agreement or left a stored version.
	got, err := h.e.Get(ctx, unit, a.ID)
	if err != nil || got.Revision != a.Revision || len(got.Documents) != 0 {
		t.Fatalf("refused actions changed the record: rev %d→%d, %d documents", a.Revision, got.Revision, len(got.Documents))
	}
	if vs, _ := st.ListVersions(ctx, naskah.DocumentKey(a.ID, naskah.DocInitialDraft)); len(vs) != 0 {
		t.Fatalf("refused uploads left %d stored versions", len(vs))
	}

	// Idempotency: the same request id twice has the effect of one.
	r := h.req(unit, a.ID)
	r.RequestID = "upload-1"
	up := func() (*naskah.Agreement, error) {
		return h.e.Upload(ctx, r, pipeline.Upload{Kind: naskah.DocNotaDinas, Body: bytes.NewReader(pdftest.PDF())})
	}
	first, err := up()
	if err != nil {
		t.Fatal(err)
	}
	second, err := up()
	if err != nil || second.Revision != first.Revision || len(second.Documents) != 1 {
		t.Fatalf("retried upload: %v rev %d/%d docs %d", err, first.Revision, second.Revision, len(second.Documents))
	}

	// Concurrency: 8 uploads racing on one agreement, one revision each:
	// exactly one wins, the others get a conflict saying it changed.
	a = second
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_, errs[i] = h.e.Upload(ctx, pipeline.Request{Actor: unit, ID: a.ID, Revision: a.Revision},
				pipeline.Upload{Kind: naskah.DocInitialDraft, Body: bytes.NewReader(pdftest.PDF())})
		}(i)
	}
	wg.Wait()
	wins := 0
	for _, err := range errs {
		switch naskah.ErrorCode(err) {
		case "":
			wins++
		case naskah.ECONFLICT:
			if !strings.Contains(err.Error(), "changed") {
				t.Errorf("conflict message %q does not say the agreement changed", err)
			}
		default:
			t.Errorf("racing upload: %v", err)
		}
	}
	if wins != 1 {
		t.Fatalf("%d racing uploads won, want exactly 1", wins)
	}
	got, _ = h.e.Get(ctx, unit, a.ID)
	if n := len(got.Documents); n != 2 {
		t.Fatalf("record holds %d documents, want 2", n)
	}
	rep, err := h.e.Fsck(ctx)
	if err != nil || !rep.Clean() {
		t.Fatalf("fsck after races: %v %+v", err, rep)
	}
}

// TestEngineMinIODownMidAction: with MinIO stopped, an action fails as
// unavailable, nothing half-done is visible after restart, fsck is clean,
// and queued index updates land once the index is reachable again.
func TestEngineMinIODownMidAction(t *testing.T) {
	st, srv := mustMinIOStore(t)
	h := newHarness(t, st, srv)
	ctx := context.Background()
	a, err := h.e.Initiate(ctx, unit, naskah.Agreement{Title: "PKS Uji Laboratorium Kosmetik", Kind: naskah.KindPKS, Process: naskah.ProcessDomestic,
		Partner: naskah.Partner{Name: "PT Kosmetika Nusantara", Kind: naskah.PartnerBusiness, Country: "ID"}}, "")
	if err != nil {
		t.Fatal(err)
	}
	a = h.upload(unit, a, naskah.DocNotaDinas)
	srv.Stop()
	start := time.Now()
	_, err = h.e.Upload(ctx, h.req(unit, a.ID), pipeline.Upload{Kind: naskah.DocInitialDraft, Body: bytes.NewReader(pdftest.PDF())})
	if naskah.ErrorCode(err) != naskah.EUNAVAILABLE {
		t.Fatalf("upload with MinIO down: %v, want unavailable", err)
	}
	t.Logf("failed after %v", time.Since(start))
	srv.Restart()
	got, err := h.e.Get(ctx, unit, a.ID)
	if err != nil || got.Revision != a.Revision || got.Latest(naskah.DocInitialDraft) != nil {
		t.Fatalf("after restart: %v, rev %d want %d", err, got.Revision, a.Revision)
	}
	rep, err := h.e.Fsck(ctx)
	if err != nil || !rep.Clean() {
		t.Fatalf("fsck: %v %+v", err, rep)
	}
	a = h.upload(unit, a, naskah.DocInitialDraft)
	if a.Latest(naskah.DocInitialDraft) == nil {
		t.Fatalf("the same upload after restart did not land")
	}
}

func TestOutboxSurvivesIndexDown(t *testing.T) {
	dir := t.TempDir()
	st, err := local.Open(local.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	h := newHarness(t, st, nil)
	ctx := context.Background()
	h.e.Index.Close() // the index is down
	var ids []string
	for _, title := range []string{"MoU Pengawasan Obat Tradisional", "PKS Sertifikasi Halal Pangan"} {
		a, err := h.e.Initiate(ctx, unit, naskah.Agreement{Title: title, Kind: naskah.KindMoU, Process: naskah.ProcessDomestic,
			Partner: naskah.Partner{Name: "Kementerian Kesehatan", Kind: naskah.PartnerGovernment, Country: "ID"}}, "")
		if err != nil {
			t.Fatalf("commit with the index down: %v", err)
		}
		h.upload(unit, a, naskah.DocInitialDraft)
		ids = append(ids, a.ID)
	}
	if _, err := h.e.DrainOutbox(ctx); err == nil {
		t.Fatalf("drain with the index down succeeded")
	}
	if n, _ := h.e.Pending(ctx); n != 2 {
		t.Fatalf("pending = %d, want 2", n)
	}
	// The index comes back (a new one, as after a restart).
	idx, err := bleve.OpenMem()
	if err != nil {
		t.Fatal(err)
	}
	defer idx.Close()
	h.e.Index = idx
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { h.e.RunOutbox(runCtx); close(done) }()
	h.e.Kick()
	deadline := time.Now().Add(30 * time.Second)
	for {
		n, _ := h.e.Pending(ctx)
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("outbox still holds %d updates", n)
		}
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	<-done
	for _, id := range ids {
		res, err := idx.Search(ctx, search.Query{Filters: map[string][]string{"agreement_id": {id}}, Type: search.TypeAgreement})
		if err != nil || res.Total != 1 {
			t.Fatalf("agreement %s not indexed: %v %+v", id, err, res)
		}
	}
	// Reindex on an emptied index restores exactly what storage holds.
	if err := idx.DeleteAll(ctx); err != nil {
		t.Fatal(err)
	}
	n, err := h.e.Reindex(ctx, nil)
	if err != nil || n != 2 {
		t.Fatalf("reindex: %d, %v", n, err)
	}
	count, _ := idx.Count(ctx)
	if count != 4 { // 2 agreements + 2 versions
		t.Fatalf("index holds %d documents after reindex, want 4", count)
	}
}

// TestMonevMatrixXLSX: C2 takes the unit's matrix as a spreadsheet, whose
// cells are indexed; a broken spreadsheet is refused with a clear error.
func TestMonevMatrixXLSX(t *testing.T) {
	st := mustLocalStore(t)
	h := newHarness(t, st, nil)
	ctx := context.Background()
	c, err := h.e.Initiate(ctx, bkh, naskah.Agreement{Title: "Monev 2026-Q4", Process: naskah.ProcessMonitoring, Monitors: "ag-x",
		Period: "2026-Q4", Unit: upt.Unit, InitiatorRole: naskah.RoleUPT}, "")
	if err != nil {
		t.Fatal(err)
	}
	c = h.finish(bkh, c)
	x := excelize.NewFile()
	x.SetCellValue("Sheet1", "A1", "Kegiatan")
	x.SetCellValue("Sheet1", "B1", "Capaian")
	x.SetCellValue("Sheet1", "A2", "Pelatihan inspektur sarana distribusi")
	x.SetCellValue("Sheet1", "B2", "tercapai")
	var buf bytes.Buffer
	if err := x.Write(&buf); err != nil {
		t.Fatal(err)
	}
	broken := append([]byte("PK\x03\x04"), make([]byte, 100)...)
	if _, err := h.e.Upload(ctx, h.req(upt, c.ID), pipeline.Upload{Kind: naskah.DocMonevMatrix, Body: bytes.NewReader(broken)}); naskah.ErrorCode(err) != naskah.EINVALID || !strings.Contains(err.Error(), "xlsx") {
		t.Fatalf("broken spreadsheet: %v, want invalid naming xlsx", err)
	}
	c, err = h.e.Upload(ctx, h.req(upt, c.ID), pipeline.Upload{Kind: naskah.DocMonevMatrix, FileName: "matriks.xlsx", Body: &buf})
	if err != nil {
		t.Fatal(err)
	}
	d := c.Latest(naskah.DocMonevMatrix)
	if d.MediaType != pipeline.MediaXLSX || !strings.HasSuffix(d.Key, ".xlsx") {
		t.Fatalf("matrix stored as %s at %s", d.MediaType, d.Key)
	}
	c = h.act(upt, c, naskah.ActionSubmit, "")
	if _, err := h.e.DrainOutbox(ctx); err != nil {
		t.Fatal(err)
	}
	res, err := h.e.Search(ctx, bkh, search.Query{Text: "inspektur", Type: search.TypeVersion})
	if err != nil || res.Total != 1 || res.Hits[0].Doc.DocumentKind != string(naskah.DocMonevMatrix) {
		t.Fatalf("search a word of the matrix: %v %+v", err, res)
	}
	if rep, err := h.e.Fsck(ctx); err != nil || !rep.Clean() || len(rep.Findings) != 0 {
		t.Fatalf("fsck: %v %+v", err, rep)
	}
}

// TestDeadlinesAndExpiry: open steps land in overdue / due soon / on time
// by the working-day calendar, and completed agreements that expire within
// the window are listed for extension.
func TestDeadlinesAndExpiry(t *testing.T) {
	st := mustLocalStore(t)
	h := newHarness(t, st, nil)
	ctx := context.Background()
	mk := func(title string, by naskah.Actor) *naskah.Agreement {
		a, err := h.e.Initiate(ctx, by, naskah.Agreement{Title: title, Kind: naskah.KindMoU, Process: naskah.ProcessDomestic,
			Partner: naskah.Partner{Name: "Mitra", Kind: naskah.PartnerSociety, Country: "ID"}}, "")
		if err != nil {
			t.Fatal(err)
		}
		return h.finish(by, a) // now at A2: 5 HK (UPT) or 10 HK (unit)
	}
	fromUPT := mk("MoU dari UPT", upt)    // A2: 5 HK
	fromUnit := mk("MoU dari unit", unit) // A2: 10 HK
	uptDue := *fromUPT.Current().Due
	if want := mustAdd(h, fromUPT.Current().Entered, 5); !uptDue.Equal(want) {
		t.Fatalf("UPT A2 due %v, want %v", uptDue, want)
	}
	// One working day before the UPT's due date: due soon; the unit's,
	// five working days later, is on time.
	for back := uptDue.AddDate(0, 0, -1); ; back = back.AddDate(0, 0, -1) {
		if h.e.Calendar.IsWorkingDay(back) {
			h.clk.t = time.Date(back.Year(), back.Month(), back.Day(), 10, 0, 0, 0, naskah.Jakarta)
			break
		}
	}
	d, err := h.e.Deadlines(ctx, bkh)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.DueSoon) != 1 || d.DueSoon[0].AgreementID != fromUPT.ID || len(d.OnTime) != 1 || d.OnTime[0].AgreementID != fromUnit.ID || len(d.Overdue) != 0 {
		t.Fatalf("on %s: overdue %v, due soon %v, on time %v", h.clk.t.Format("2 Jan"), d.Overdue, d.DueSoon, d.OnTime)
	}
	// The day after: overdue.
	h.clk.t = uptDue.Add(10 * time.Hour)
	d, _ = h.e.Deadlines(ctx, bkh)
	if len(d.Overdue) != 1 || d.Overdue[0].AgreementID != fromUPT.ID {
		t.Fatalf("on %s: overdue %v, want the UPT's agreement", h.clk.t.Format("2 Jan"), d.Overdue)
	}
	// A unit sees only its own deadlines.
	d, _ = h.e.Deadlines(ctx, unit)
	if n := len(d.Overdue) + len(d.DueSoon) + len(d.OnTime); n != 1 || d.OnTime[0].AgreementID != fromUnit.ID {
		t.Fatalf("unit sees %d deadlines, want only its own", n)
	}

	// Expiry: an imported (completed) agreement valid until within 6 months.
	until := h.clk.t.AddDate(0, 4, 0)
	imp, err := h.e.Import(ctx, naskah.Actor{User: "admin", Role: naskah.RoleAdmin}, naskah.Agreement{Title: "PKS lama", Kind: naskah.KindPKS,
		Process: naskah.ProcessDomestic, Partner: naskah.Partner{Name: "Mitra Lama", Kind: naskah.PartnerBusiness, Country: "ID"},
		Unit: unit.Unit, ValidUntil: &until}, pdftest.TextPDF("PKS lama"))
	if err != nil {
		t.Fatal(err)
	}
	d, _ = h.e.Deadlines(ctx, bkh)
	if len(d.Expiring) != 1 || d.Expiring[0].AgreementID != imp.ID {
		t.Fatalf("expiring %v, want the imported agreement", d.Expiring)
	}
	h.e.Config.ExpiryWindow = 30 * 24 * time.Hour
	if d, _ = h.e.Deadlines(ctx, bkh); len(d.Expiring) != 0 {
		t.Fatalf("with a 30-day window, expiring %v, want none", d.Expiring)
	}
}

// TestListSeesOtherReplicasChanges: a second engine on the same store (a
// replica) lists from its cache only what did not change.
func TestListSeesOtherReplicasChanges(t *testing.T) {
	st := mustLocalStore(t)
	h := newHarness(t, st, nil)
	ctx := context.Background()
	other := pipeline.New(st, h.e.Index, h.e.Config)
	other.Calendar, other.Now, other.Roots = h.e.Calendar, h.e.Now, h.e.Roots
	a, err := h.e.Initiate(ctx, unit, naskah.Agreement{Title: "MoU replika", Kind: naskah.KindMoU, Process: naskah.ProcessDomestic,
		Partner: naskah.Partner{Name: "Mitra", Kind: naskah.PartnerSociety, Country: "ID"}}, "")
	if err != nil {
		t.Fatal(err)
	}
	list, err := other.List(ctx, bkh)
	if err != nil || len(list) != 1 || list[0].Revision != a.Revision {
		t.Fatalf("first list: %v %v", err, list)
	}
	a = h.upload(unit, a, naskah.DocNotaDinas)
	for range 2 { // the second list is served from the cache
		list, err = other.List(ctx, bkh)
		if err != nil || len(list) != 1 || list[0].Revision != a.Revision || len(list[0].Documents) != 1 {
			t.Fatalf("after another replica's upload: %v, revision %d want %d", err, list[0].Revision, a.Revision)
		}
	}
}
