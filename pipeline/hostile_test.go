package pipeline_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/bpom/naskah"
	"github.com/bpom/naskah/pipeline"
	"github.com/bpom/naskah/pipeline/pdf"
	"github.com/bpom/naskah/pipeline/pdf/pdftest"
)

// TestUploadHostile: a hostile PDF is refused at upload with its code and
// nothing is stored or recorded; one with active content is accepted as a
// draft with the warning in the record, and as the text to sign it is
// stored without it, the record saying what was removed.
func TestUploadHostile(t *testing.T) {
	st := mustLocalStore(t)
	h := newHarness(t, st, nil)
	h.e.Config.Limits.MaxBytes = 50 << 20 // the production limit: every hostile file fits
	ctx := context.Background()
	a, err := h.e.Initiate(ctx, upt, naskah.Agreement{Title: "PKS Uji Berkas Berbahaya", Kind: naskah.KindPKS, Process: naskah.ProcessDomestic,
		Partner: naskah.Partner{Name: "Universitas Padjadjaran", Kind: naskah.PartnerAcademia, Country: "ID"}}, "")
	if err != nil {
		t.Fatal(err)
	}
	stored := func() int {
		objs, err := st.List(ctx, "agreements/"+a.ID+"/documents/")
		if err != nil {
			t.Fatal(err)
		}
		return len(objs)
	}
	upload := func(kind naskah.DocumentKind, data []byte) (*naskah.Agreement, error) {
		return h.e.Upload(ctx, h.req(upt, a.ID), pipeline.Upload{Kind: kind, FileName: "hostile.pdf", Body: bytes.NewReader(data)})
	}
	var active []pdftest.Hostile
	for _, hf := range pdftest.HostileSet() {
		if hf.Code == "" {
			active = append(active, hf)
			continue
		}
		t.Run(hf.Name, func(t *testing.T) {
			before, objs := pdftest.Goroutines(), stored()
			_, err := upload(naskah.DocInitialDraft, hf.Data)
			if got := naskah.ErrorCode(err); got != hf.Code {
				t.Fatalf("got code %q (%v), want %q", got, err, hf.Code)
			}
			if n := stored(); n != objs {
				t.Errorf("got %d stored documents, want %d: nothing stored for a refused file", n, objs)
			}
			if now, _, err := h.e.Load(ctx, a.ID); err != nil || len(now.Documents) != 0 {
				t.Errorf("got %v documents in the record (%v), want none", len(now.Documents), err)
			}
			pdftest.CheckGoroutines(t, before)
		})
	}
	for _, hf := range active {
		t.Run("draft with "+hf.Name, func(t *testing.T) {
			next, err := upload(naskah.DocInitialDraft, hf.Data)
			if err != nil {
				t.Fatalf("got %v, want the draft accepted", err)
			}
			d := next.Documents[len(next.Documents)-1]
			if len(d.ActiveContent) == 0 || !strings.Contains(strings.Join(d.ActiveContent, "\n"), hf.Active[0]) {
				t.Errorf("got active content %q in the record, want a warning naming %q", d.ActiveContent, hf.Active[0])
			}
		})
	}

	// To A8, where the text to sign is uploaded.
	a = h.finish(upt, a)
	a = h.finish(bkh, a)
	a = h.finish(bkh, a)
	a = h.finish(bho, a)
	a = h.finish(bkh, a)
	a = h.act(sestama, a, naskah.ActionApprove, "")
	a = h.finish(bkh, a)
	for _, hf := range active {
		t.Run("text to sign with "+hf.Name, func(t *testing.T) {
			next, err := upload(naskah.DocTextToSign, hf.Data)
			if err != nil && strings.Contains(hf.Name, "SubmitForm") && strings.Contains(naskah.ErrorMessage(err), "formulir") {
				// Its submit button stays a form field, which signing
				// would drop: refused at upload, with the reason.
				return
			}
			if err != nil {
				t.Fatalf("got %v, want it stored without active content", err)
			}
			d := next.Documents[len(next.Documents)-1]
			if d.Kind != naskah.DocTextToSign || len(d.ActiveContent) != 0 || len(d.ActiveContentRemoved) == 0 {
				t.Fatalf("got %s with active %q, removed %q; want none left and the removal noted", d.Kind, d.ActiveContent, d.ActiveContentRemoved)
			}
			data, _, err := h.e.Download(ctx, upt, a.ID, naskah.DocTextToSign, d.Version, true)
			if err != nil {
				t.Fatal(err)
			}
			if s, err := pdf.Check(ctx, data); err != nil || len(s.ActiveContent) != 0 {
				t.Errorf("stored text to sign: got %v, %q, want no active content", err, s.ActiveContent)
			}
		})
	}
	// A text to sign with an empty signature field: the field is taken out
	// at the stamp and its place recorded for the signatures.
	t.Run("text to sign with an empty signature field", func(t *testing.T) {
		form := pdftest.RawPDF(
			"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [5 0 R] >> >>",
			"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
			"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Annots [5 0 R] >>",
			"<< /Length 0 >>\nstream\n\nendstream",
			"<< /Type /Annot /Subtype /Widget /FT /Sig /T (TTD Kepala UPT) /Rect [60 90 300 170] /P 3 0 R /F 4 >>",
		)
		next, err := upload(naskah.DocTextToSign, form)
		if err != nil {
			t.Fatalf("got %v, want the text to sign stored", err)
		}
		d := next.Documents[len(next.Documents)-1]
		if len(d.SignaturePlaces) != 1 || d.SignaturePlaces[0].Name != "TTD Kepala UPT" || d.SignaturePlaces[0].Page != 1 {
			t.Fatalf("got places %+v, want the one empty field recorded", d.SignaturePlaces)
		}
		data, _, err := h.e.Download(ctx, upt, a.ID, naskah.DocTextToSign, d.Version, true)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(data, []byte("TTD Kepala UPT")) {
			t.Errorf("the stored text to sign still holds the empty field")
		}
	})
	// The stripped text signs and verifies.
	if a, _, err = h.e.Load(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	a = h.act(upt, a, a.CurrentStep().Finish, "")
	a = h.sign(upt, "kepala-upt", a)
	d := a.Documents[len(a.Documents)-1]
	data, _, err := h.e.Download(ctx, upt, a.ID, d.Kind, d.Version, true)
	if err != nil {
		t.Fatal(err)
	}
	if rep, err := h.e.VerifyDocument(ctx, data); err != nil || !rep.Valid {
		t.Fatalf("signed text: got %v %+v, want valid", err, rep)
	}
}
