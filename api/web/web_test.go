package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/bpom/naskah"
	"github.com/bpom/naskah/pipeline"
	"github.com/bpom/naskah/pipeline/pdf/pdftest"
)

func TestLoginRequiredAndLanguage(t *testing.T) {
	e := MustEnv(t, "http://naskah.test")
	c := newClient(t, e.App)

	r := c.get("/")
	if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location, "/login") {
		t.Fatalf("GET / without session: got %d %q, want 303 to /login", r.Status, r.Location)
	}
	c.get("/login")
	r = c.post("/login", url.Values{"user": {"bkh"}, "password": {"wrong"}})
	if r.Status != http.StatusUnauthorized || !strings.Contains(r.Body, "wrong user name or password") {
		t.Fatalf("wrong password: got %d, want 401 with the message\n%s", r.Status, r.Body)
	}
	c.login("bkh")
	r = c.get("/")
	if r.Status != http.StatusOK || !strings.Contains(r.Body, "Tugas saya") || !strings.Contains(r.Body, `lang="id"`) {
		t.Fatalf("dashboard: got %d, want 200 in Indonesian\n%s", r.Status, r.Body)
	}
	r = c.get("/?lang=en")
	if !strings.Contains(r.Body, "My tasks") || !strings.Contains(r.Body, `lang="en"`) {
		t.Fatalf("?lang=en: want the English dashboard")
	}
	if r = c.get("/agreements"); !strings.Contains(r.Body, "Agreements") {
		t.Fatalf("language cookie not kept: got Indonesian after ?lang=en")
	}
	r = c.post("/logout", url.Values{})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("logout: got %d, want 303", r.Status)
	}
	if r = c.get("/"); r.Status != http.StatusSeeOther {
		t.Fatalf("after logout: got %d, want 303 to login", r.Status)
	}
}

func TestCSRFRequired(t *testing.T) {
	e := MustEnv(t, "http://naskah.test")
	c := newClient(t, e.App)
	c.login("bkh")
	r := c.post("/agreements", url.Values{"_csrf": {"forged"}, "title": {"x"}})
	if r.Status != http.StatusForbidden {
		t.Fatalf("POST with a wrong CSRF token: got %d, want 403", r.Status)
	}
	c2 := newClient(t, e.App)
	r = c2.post("/login", url.Values{"_csrf": {"x"}, "user": {"bkh"}, "password": {"bkh-pass"}})
	if r.Status != http.StatusForbidden {
		t.Fatalf("login without the double-submit cookie: got %d, want 403", r.Status)
	}
}

// initiate creates a domestic agreement through the form and returns its id.
func initiate(t *testing.T, c *client, title string) string {
	t.Helper()
	c.get("/agreements/new")
	r := c.post("/agreements", url.Values{"title": {title}, "process": {"A"}, "kind": {"mou"}, "partner": {"Universitas Gadjah Mada"},
		"partner_kind": {"academia"}, "unit": {"Direktorat Registrasi Obat"}, "initiator_role": {"UNIT"}, "initiation": {"new"},
		"valid_from": {"2026-01-01"}, "valid_until": {"2030-12-31"}})
	if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location, "/agreements/") {
		t.Fatalf("initiate: got %d %q, want 303 to the agreement\n%s", r.Status, r.Location, r.Body)
	}
	return strings.TrimPrefix(r.Location, "/agreements/")
}

func upload(t *testing.T, c *client, id string, kind naskah.DocumentKind) {
	t.Helper()
	c.get("/agreements/" + id)
	r := c.postMultipart("/agreements/"+id+"/upload", map[string]string{"kind": string(kind)},
		[]file{{"file", string(kind) + ".pdf", pdftest.PDF(pdftest.Portrait)}}, nil)
	if r.Status != http.StatusSeeOther {
		t.Fatalf("upload %s: got %d, want 303\n%s", kind, r.Status, r.Body)
	}
}

func act(t *testing.T, c *client, id string, kind naskah.ActionKind, note string) response {
	t.Helper()
	c.get("/agreements/" + id)
	return c.post("/agreements/"+id+"/act", url.Values{"action": {string(kind)}, "note": {note}})
}

func TestAgreementPages(t *testing.T) {
	e := MustEnv(t, "http://naskah.test")
	ctx := context.Background()
	c := newClient(t, e.App)
	c.login("bkh")

	// Form errors are shown next to their fields.
	c.get("/agreements/new")
	r := c.post("/agreements", url.Values{"process": {"A"}, "kind": {"mou"}, "partner_kind": {"academia"}})
	if r.Status != http.StatusBadRequest || !strings.Contains(r.Body, `id="title-err"`) || !strings.Contains(r.Body, `id="partner-err"`) {
		t.Fatalf("empty initiate form: got %d, want 400 with field errors\n%s", r.Status, r.Body)
	}

	id := initiate(t, c, "MoU Pengawasan Obat Tradisional")
	r = c.get("/agreements/" + id)
	for _, want := range []string{"A1", "Mengusulkan/menginisiasi MoU atau PKS", "Nota Dinas / Disposisi / Surat", "Jejak audit", "Rantai jejak audit utuh"} {
		if !strings.Contains(r.Body, want) {
			t.Errorf("detail page lacks %q", want)
		}
	}

	// A non-PDF upload is refused with the message next to the file field.
	r = c.postMultipart("/agreements/"+id+"/upload", map[string]string{"kind": "nota_dinas"}, []file{{"file", "x.pdf", []byte("not a pdf")}}, nil)
	if r.Status != http.StatusBadRequest || !strings.Contains(r.Body, `id="up-file-err"`) {
		t.Fatalf("bad upload: got %d, want 400 with the error at the file field\n%s", r.Status, r.Body)
	}
	// The progress-bar script gets JSON.
	c.get("/agreements/" + id)
	r = c.postMultipart("/agreements/"+id+"/upload", map[string]string{"kind": "nota_dinas"},
		[]file{{"file", "nd.pdf", pdftest.PDF()}}, map[string]string{"X-Requested-With": "XMLHttpRequest"})
	var js struct{ Location, Error string }
	if err := json.Unmarshal([]byte(r.Body), &js); err != nil || r.Status != http.StatusOK || !strings.HasPrefix(js.Location, "/agreements/"+id) {
		t.Fatalf("XHR upload: got %d %s, want 200 JSON with location", r.Status, r.Body)
	}
	r = c.postMultipart("/agreements/"+id+"/upload", map[string]string{"kind": "nota_dinas", "_csrf": c.csrf},
		[]file{{"file", "nd.pdf", []byte("%PDF-1.7 broken")}}, map[string]string{"X-Requested-With": "XMLHttpRequest"})
	if json.Unmarshal([]byte(r.Body), &js); r.Status < 400 || js.Error == "" {
		t.Fatalf("XHR bad upload: got %d %s, want an error JSON", r.Status, r.Body)
	}

	// Submitting before the outputs exist says what is missing, in the form.
	r = act(t, c, id, naskah.ActionSubmit, "")
	if r.Status != http.StatusBadRequest || !strings.Contains(r.Body, "initial_draft") || !strings.Contains(r.Body, `id="note-submit-err"`) {
		t.Fatalf("early submit: got %d, want 400 naming the missing draft\n%s", r.Status, r.Body)
	}
	upload(t, c, id, naskah.DocInitialDraft)
	if r = act(t, c, id, naskah.ActionSubmit, "lengkap"); r.Status != http.StatusSeeOther {
		t.Fatalf("submit A1: got %d\n%s", r.Status, r.Body)
	}
	// Returning needs a note.
	r = act(t, c, id, naskah.ActionReturn, "")
	if r.Status != http.StatusBadRequest || !strings.Contains(r.Body, `id="note-return-err"`) {
		t.Fatalf("return without note: got %d, want 400 at the note", r.Status)
	}
	r = c.get("/agreements/" + id)
	if !strings.Contains(r.Body, "Mereviu/membahas draft dari pengusul") || !strings.Contains(r.Body, "Draft hasil reviu") {
		t.Fatalf("after submit: the page should be at A2 with the reviewed draft upload")
	}
	// Download of a copy and of the original.
	r = c.get("/agreements/" + id + "/documents/initial_draft/1")
	if r.Status != http.StatusOK || r.Header.Get("Content-Type") != "application/pdf" {
		t.Fatalf("download: got %d %s", r.Status, r.Header.Get("Content-Type"))
	}

	// Another unit cannot see it.
	cu := newClient(t, e.App)
	cu.login("upt")
	if r = cu.get("/agreements/" + id); r.Status != http.StatusNotFound {
		t.Fatalf("UPT opening another unit's agreement: got %d, want 404", r.Status)
	}

	// Dashboard lists it as a task for BKH; the list page finds it by filter.
	if r = c.get("/"); !strings.Contains(r.Body, "MoU Pengawasan Obat Tradisional") {
		t.Fatalf("dashboard lacks the task")
	}
	if r = c.get("/agreements?q=tradisional&process=A"); !strings.Contains(r.Body, id) {
		t.Fatalf("list filter lacks the agreement")
	}
	if r = c.get("/agreements?process=B"); strings.Contains(r.Body, id) {
		t.Fatalf("list filter process=B shows a process A agreement")
	}

	// Search: a word of the PDF text, highlighted.
	if _, err := e.Engine.DrainOutbox(ctx); err != nil {
		t.Fatal(err)
	}
	r = c.get("/search?q=laboratorium")
	if r.Status != http.StatusOK || !strings.Contains(r.Body, "<mark>") || !strings.Contains(r.Body, "/agreements/"+id) {
		t.Fatalf("search: got %d, want a highlighted hit\n%s", r.Status, r.Body)
	}
	if !strings.Contains(r.Body, "Bentuk naskah") {
		t.Errorf("search page lacks facets")
	}
}

// advance moves an agreement to A9 (signing) through the engine, as the
// roles of the SOP.
func advance(t *testing.T, e *env, id string) {
	t.Helper()
	ctx := context.Background()
	bkh := naskah.Actor{User: "bkh", Role: naskah.RoleBKH}
	bho := naskah.Actor{User: "bho", Role: naskah.RoleBHO}
	kepala := naskah.Actor{User: "kepala", Role: naskah.RoleKepala}
	up := func(who naskah.Actor, kinds ...naskah.DocumentKind) {
		for _, k := range kinds {
			if _, err := e.Engine.Upload(ctx, pipeline.Request{Actor: who, ID: id}, pipeline.Upload{Kind: k, FileName: string(k) + ".pdf",
				Body: strings.NewReader(string(pdftest.PDF()))}); err != nil {
				t.Fatalf("upload %s: %v", k, err)
			}
		}
	}
	do := func(who naskah.Actor, k naskah.ActionKind) {
		if _, err := e.Engine.Act(ctx, pipeline.Request{Actor: who, ID: id}, k); err != nil {
			t.Fatalf("%s: %v", k, err)
		}
	}
	up(bkh, naskah.DocNotaDinas, naskah.DocInitialDraft)
	do(bkh, naskah.ActionSubmit)
	up(bkh, naskah.DocReviewedDraft)
	do(bkh, naskah.ActionSubmit)
	up(bkh, naskah.DocReviewNotaDinas)
	do(bkh, naskah.ActionSubmit)
	up(bho, naskah.DocFinalDraft, naskah.DocLegalNotaDinas)
	do(bho, naskah.ActionSubmit)
	up(bkh, naskah.DocReportNotaDinas)
	do(bkh, naskah.ActionSubmit)
	do(kepala, naskah.ActionApprove)
	up(bkh, naskah.DocCoverLetter)
	do(bkh, naskah.ActionSubmit)
	up(bkh, naskah.DocTextToSign)
	do(bkh, naskah.ActionSubmit)
}

func TestSignAndVerifyPages(t *testing.T) {
	e := MustEnv(t, "http://naskah.test")
	c := newClient(t, e.App)
	c.login("bkh")
	id := initiate(t, c, "PKS Pengujian Laboratorium")
	advance(t, e, id)

	// BKH may not sign.
	if r := c.get("/agreements/" + id + "/sign"); !strings.Contains(r.Body, "tidak dapat menandatangani") {
		t.Fatalf("BKH on the signing page: want the not-allowed message")
	}
	k := newClient(t, e.App)
	k.login("kepala")
	r := k.get("/agreements/" + id + "/sign")
	if r.Status != http.StatusOK || !strings.Contains(r.Body, "Naskah yang akan ditandatangani") || !strings.Contains(r.Body, `id="passphrase"`) {
		t.Fatalf("signing page: got %d\n%s", r.Status, r.Body)
	}
	ks, pass, _ := e.keystore(t, "kepala")
	// A wrong passphrase is reported at the passphrase field.
	r = k.postMultipart("/agreements/"+id+"/sign", map[string]string{"location": "Jakarta", "visible": "1"},
		[]file{{"keystore", "kepala.p12", ks}}, nil)
	if r.Status != http.StatusBadRequest || !strings.Contains(r.Body, `id="passphrase-err"`) {
		t.Fatalf("sign without passphrase: got %d, want 400 at the passphrase", r.Status)
	}
	r = k.postMultipart("/agreements/"+id+"/sign", map[string]string{"passphrase": "wrong-one", "location": "Jakarta"},
		[]file{{"keystore", "kepala.p12", ks}}, nil)
	if r.Status != http.StatusForbidden || !strings.Contains(r.Body, `id="passphrase-err"`) {
		t.Fatalf("wrong passphrase: got %d, want 403 at the passphrase\n%s", r.Status, r.Body)
	}
	if strings.Contains(r.Body, "wrong-one") {
		t.Fatalf("the passphrase was echoed back into the page")
	}
	r = k.postMultipart("/agreements/"+id+"/sign", map[string]string{"passphrase": pass, "location": "Jakarta", "visible": "1", "page": "1"},
		[]file{{"keystore", "kepala.p12", ks}}, nil)
	if r.Status != http.StatusSeeOther {
		t.Fatalf("sign: got %d, want 303\n%s", r.Status, r.Body)
	}
	r = k.get(r.Location)
	if !strings.Contains(r.Body, "ASLI") || !strings.Contains(r.Body, "Dr. Taruna Ikrar") || !strings.Contains(r.Body, "/verify/"+id) {
		t.Fatalf("signing result: want a valid report naming the signer and the verification link\n%s", r.Body)
	}

	// The public page needs no login.
	p := newClient(t, e.App)
	r = p.get("/verify/" + id)
	if r.Status != http.StatusOK || !strings.Contains(r.Body, "ASLI") || !strings.Contains(r.Body, "Dr. Taruna Ikrar") || !strings.Contains(r.Body, "PKS Pengujian Laboratorium") {
		t.Fatalf("public verify: got %d\n%s", r.Status, r.Body)
	}
	if strings.Contains(r.Body, "Jejak audit") || strings.Contains(r.Body, "nota_dinas") {
		t.Fatalf("public verify shows internal workflow data")
	}
	signed, _, err := e.Engine.Download(context.Background(), naskah.Actor{User: "kepala", Role: naskah.RoleKepala}, id, naskah.DocSigned, 0, true)
	if err != nil {
		t.Fatal(err)
	}
	r = p.postMultipart("/verify/"+id, nil, []file{{"file", "signed.pdf", signed}}, nil)
	if r.Status != http.StatusOK || !strings.Contains(r.Body, "identik") {
		t.Fatalf("verify upload of the signed file: got %d, want identical\n%s", r.Status, r.Body)
	}
	r = p.postMultipart("/verify/"+id, nil, []file{{"file", "other.pdf", pdftest.PDF()}}, nil)
	if !strings.Contains(r.Body, "TIDAK identik") || !strings.Contains(r.Body, "tidak memuat tanda tangan") {
		t.Fatalf("verify upload of an unsigned file: want not identical, no signature\n%s", r.Body)
	}
	if r = p.get("/verify/nope"); r.Status != http.StatusNotFound {
		t.Fatalf("verify unknown id: got %d, want 404", r.Status)
	}
}

func TestMonevPage(t *testing.T) {
	e := MustEnv(t, "http://naskah.test")
	c := newClient(t, e.App)
	c.login("bkh")
	r := c.get("/monev")
	if r.Status != http.StatusOK || !strings.Contains(r.Body, "Buka putaran monev") {
		t.Fatalf("monev: got %d", r.Status)
	}
	r = c.post("/monev", url.Values{"period": {"2026-Q4"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("open monev: got %d\n%s", r.Status, r.Body)
	}
	u := newClient(t, e.App)
	u.login("unit")
	if r = u.get("/monev"); strings.Contains(r.Body, "Buka putaran monev") {
		t.Fatalf("a unit sees the open-round form")
	}
}
