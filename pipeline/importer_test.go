package pipeline_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"

	"github.com/bpom/naskah"
	"github.com/bpom/naskah/pipeline"
	"github.com/bpom/naskah/pipeline/pdf"
	"github.com/bpom/naskah/pipeline/pdf/pdftest"
	"github.com/bpom/naskah/search"
	"github.com/bpom/naskah/search/bleve"
	"github.com/bpom/naskah/storage/local"
)

func TestImport(t *testing.T) {
	ctx := context.Background()
	st, err := local.Open(local.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	idx, err := bleve.OpenMem()
	if err != nil {
		t.Fatal(err)
	}
	defer idx.Close()
	pki := pdftest.MustPKI(t)
	e := pipeline.New(st, idx, pipeline.DefaultConfig())
	e.Roots = pki.Roots
	admin := naskah.Actor{User: "operator", Role: naskah.RoleAdmin}

	signer := pki.MustSigner(t, "Dr. Taruna Ikrar", "Kepala Badan", "")
	signed, err := pdf.Sign(ctx, textPDF("farmakovigilans"), signer, pdf.SignOptions{Reason: "test"})
	if err != nil {
		t.Fatal(err)
	}
	other := pdftest.MustPKI(t).MustSigner(t, "Someone Else", "Director", "")
	untrusted, err := pdf.Sign(ctx, pdftest.PDF(), other, pdf.SignOptions{})
	if err != nil {
		t.Fatal(err)
	}
	signedAt := time.Date(2021, 3, 4, 0, 0, 0, 0, naskah.Jakarta)
	meta := func(title string) naskah.Agreement {
		return naskah.Agreement{Title: title, Kind: naskah.KindMoU, Scope: naskah.ScopeDomestic, Unit: "Direktorat Pengawasan Obat",
			Partner: naskah.Partner{Name: "Universitas Indonesia", Kind: naskah.PartnerAcademia}, SignedAt: &signedAt, Number: "HK.01/2021/7"}
	}

	tests := []struct {
		name    string
		actor   naskah.Actor
		meta    naskah.Agreement
		data    []byte
		code    string // "" = imported
		msg     string
		signers int
	}{
		{name: "signed and trusted", actor: admin, meta: meta("Kerja sama farmakovigilans"), data: signed, signers: 1},
		{name: "unsigned scan", actor: admin, meta: meta("Kerja sama pengujian"), data: pdftest.PDF(pdftest.Portrait, pdftest.Landscape)},
		{name: "untrusted signature", actor: admin, meta: meta("x"), data: untrusted, code: naskah.EINVALID, msg: "do not verify"},
		{name: "modified after signing", actor: admin, meta: meta("x"), data: pdftest.AppendUpdate(signed), code: naskah.EINVALID, msg: "do not verify"},
		{name: "not a PDF", actor: admin, meta: meta("x"), data: []byte("PK\x03\x04 a word file"), code: naskah.EINVALID},
		{name: "truncated", actor: admin, meta: meta("x"), data: truncate(pdftest.PDF(pdftest.Portrait, pdftest.Landscape, pdftest.Rotated)), code: naskah.EINVALID, msg: "damaged"},
		{name: "empty", actor: admin, meta: meta("x"), data: nil, code: naskah.EINVALID, msg: "empty"},
		{name: "encrypted", actor: admin, meta: meta("x"), data: mustEncrypt(t, pdftest.PDF()), code: naskah.EINVALID, msg: "encrypted"},
		{name: "bad metadata", actor: admin, meta: naskah.Agreement{Title: "x", Kind: naskah.KindPKS, Scope: naskah.ScopeForeign}, data: pdftest.PDF(), code: naskah.EINVALID, msg: "partner"},
		{name: "unit may not import", actor: unit, meta: meta("x"), data: pdftest.PDF(), code: naskah.EFORBIDDEN},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := e.Import(ctx, tt.actor, tt.meta, tt.data)
			if tt.code != "" {
				if naskah.ErrorCode(err) != tt.code || !strings.Contains(err.Error(), tt.msg) {
					t.Fatalf("got %v, want %s containing %q", err, tt.code, tt.msg)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if a.Status != naskah.StatusCompleted || a.Step != naskah.StepDone || a.ID != pipeline.ImportID(tt.data) {
				t.Errorf("got %s at %s id %s, want completed at DONE with id %s", a.Status, a.Step, a.ID, pipeline.ImportID(tt.data))
			}
			d := a.Latest(naskah.DocSigned)
			if d == nil || d.RetainUntil == nil || len(d.Signers) != tt.signers {
				t.Fatalf("signed document %+v: want retained with %d signers", d, tt.signers)
			}
			if n := len(a.Audit); n != 1 || a.Audit[0].Action != pipeline.ActionImport {
				t.Errorf("audit %+v: want one import event", a.Audit)
			}
			// Re-running skips: the same agreement, ECONFLICT, nothing stored.
			again, err := e.Import(ctx, tt.actor, tt.meta, tt.data)
			if naskah.ErrorCode(err) != naskah.ECONFLICT || again == nil || again.ID != a.ID {
				t.Errorf("second import: got %v, %v; want the same agreement with ECONFLICT", again, err)
			}
			vs, _ := st.ListVersions(ctx, d.Key)
			if len(vs) != 1 {
				t.Errorf("%s has %d versions after a re-run, want 1", d.Key, len(vs))
			}
			got, _, err := e.Download(ctx, admin, a.ID, naskah.DocSigned, 1, true)
			if err != nil || !bytes.Equal(got, tt.data) {
				t.Errorf("the stored original differs from the imported bytes (%v)", err)
			}
		})
	}

	if _, err := e.DrainOutbox(ctx); err != nil {
		t.Fatal(err)
	}
	res, err := e.Search(ctx, admin, search.Query{Text: "farmakovigilans"})
	if err != nil || res.Total == 0 || res.Hits[0].AgreementID != pipeline.ImportID(signed) {
		t.Fatalf("search for a word of the imported text: %+v, %v", res, err)
	}
	rep, err := e.Fsck(ctx)
	if err != nil || !rep.Clean() || len(rep.Findings) != 0 || rep.Agreements != 2 {
		t.Fatalf("fsck after import: %+v, %v", rep, err)
	}
}

// mustEncrypt returns data encrypted with pdfcpu (AES-256, owner password only).
func mustEncrypt(tb testing.TB, data []byte) []byte {
	tb.Helper()
	var out bytes.Buffer
	if err := api.Encrypt(bytes.NewReader(data), &out, model.NewAESConfiguration("", "owner-secret", 256)); err != nil {
		tb.Fatalf("encrypt: %v", err)
	}
	return out.Bytes()
}

// truncate cuts a PDF to its first third: the body and the xref are gone.
func truncate(data []byte) []byte { return data[:len(data)/3] }
