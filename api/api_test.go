package api_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/bpom/naskah"
	"github.com/bpom/naskah/api"
	"github.com/bpom/naskah/pipeline/pdf"
)

// TestProcesses runs processes A, B and C end to end through the API only.
func TestProcesses(t *testing.T) {
	v := MustStart(t)

	// Process A, initiated by a central unit; a retried initiate with the
	// same Idempotency-Key names the same agreement.
	in := map[string]any{"title": "Nota Kesepahaman Pengawasan Jamu Tradisional", "kind": "mou", "process": "A",
		"partner": map[string]string{"name": api.DemoMitraUnit, "kind": "business", "country": "ID"}}
	key := map[string]string{"Idempotency-Key": "init-a-1"}
	r1 := v.doJSON("unit", "POST", "/agreements", in, key)
	r2 := v.doJSON("unit", "POST", "/agreements", in, key)
	var a1, a2 view
	json.Unmarshal(r1.body, &a1)
	json.Unmarshal(r2.body, &a2)
	if r1.status != 201 || r2.status != 201 || a1.ID == "" || a1.ID != a2.ID {
		t.Fatalf("idempotent initiate: %d %d, ids %q %q", r1.status, r2.status, a1.ID, a2.ID)
	}
	id := a1.ID
	if got := r1.header.Get("Location"); got != api.Prefix+"/agreements/"+id {
		t.Errorf("Location %q, want the agreement", got)
	}
	v.finish("unit", id) // A1
	for _, who := range []string{"bkh", "bkh", "bho", "bkh"} {
		v.finish(who, id) // A2–A5
	}
	a := v.act("kepala", id, naskah.ActionReject, "Pasal 5 perlu dirumuskan ulang")
	if a.Step != naskah.StepLegalFormulation {
		t.Fatalf("after reject at A6: %s, want A4", a.Step)
	}
	v.finish("bho", id)
	v.finish("bkh", id)
	v.act("kepala", id, naskah.ActionApprove, "")
	v.finish("bkh", id) // A7
	v.upload("bkh", id, naskah.DocTextToSign, smallPDF("jamu gendong"))
	a = v.act("bkh", id, naskah.ActionSubmit, "")
	if a.Step != naskah.StepDelivery {
		t.Fatalf("after A8: %s, want A9", a.Step)
	}
	// The wrong official cannot sign: 403 naming who may.
	r := v.doJSON("madya", "POST", "/agreements/"+id+"/sign", map[string]any{"keystore": v.keys["madya"], "passphrase": v.pass["madya"]}, nil)
	if code, detail := r.problem(); r.status != 403 || code != "forbidden" || !strings.Contains(detail, "KEPALA") {
		t.Fatalf("MADYA signing: %d %s %q, want 403 naming KEPALA", r.status, code, detail)
	}
	// A wrong passphrase is a clear 4xx, and the passphrase is never logged.
	r = v.doJSON("kepala", "POST", "/agreements/"+id+"/sign", map[string]any{"keystore": v.keys["kepala"], "passphrase": "salah-sandi-123"}, nil)
	if r.status/100 != 4 {
		t.Fatalf("wrong passphrase: %d %s, want 4xx", r.status, r.body)
	}
	v.sign("kepala", id)
	// The partner signs with a multipart form: keystore as a file.
	b, ct := multipartBody(map[string]string{"passphrase": v.pass["mitra"], "location": "Jakarta"}, "keystore", "mitra.p12", v.keys["mitra"])
	if r := v.do("mitra", "POST", "/agreements/"+id+"/sign", b, ct, nil); r.status != 200 {
		t.Fatalf("multipart sign by MITRA: %d %s", r.status, r.body)
	}
	for user, pass := range v.pass {
		if strings.Contains(v.log.String(), pass) {
			t.Fatalf("the log contains %s's keystore passphrase", user)
		}
	}
	if strings.Contains(v.log.String(), "salah-sandi-123") {
		t.Fatalf("the log contains a passphrase")
	}
	v.upload("bkh", id, naskah.DocProofOfDelivery, smallPDF("tanda terima"))
	v.act("bkh", id, naskah.ActionDeliver, "")
	a = v.act("unit", id, naskah.ActionReceive, "")
	if a.Status != naskah.StatusCompleted || len(a.AllowedActions) != 0 {
		t.Fatalf("process A ended %s at %s, allowed %v", a.Status, a.Step, a.AllowedActions)
	}
	for _, s := range a.Timeline {
		if s.State != "done" {
			t.Errorf("timeline %s: %s, want done", s.Step, s.State)
		}
	}
	checkDocuments(t, v, id)
	aID := id

	// Process B with both signatures and the archive.
	b1 := v.initiateB("Memorandum of Understanding on Pharmacovigilance")
	id = b1.ID
	for _, who := range []string{"bkh", "unit", "bkh"} {
		v.finish(who, id) // B1–B3
	}
	v.act("kepala", id, naskah.ActionApprove, "")
	v.finish("bkh", id) // B5
	v.finish("bkh", id) // B6
	v.act("madya", id, naskah.ActionApprove, "")
	v.finish("bkh", id) // B8: the partner agrees
	v.upload("bkh", id, naskah.DocTextToSign, smallPDF("farmakovigilans"))
	v.act("bkh", id, naskah.ActionSubmit, "")
	v.sign("kepala", id)
	v.sign("mitra", id)
	v.act("kepala", id, naskah.ActionSubmit, "")
	a = v.finish("bkh", id) // B11
	if a.Status != naskah.StatusCompleted {
		t.Fatalf("process B ended %s at %s", a.Status, a.Step)
	}
	// The QR code's public page: no login, valid, two signers.
	var pub struct {
		Title   string
		Signers []string
		Report  struct{ Valid bool }
	}
	v.MustJSON("", "GET", "/public/verify/"+id, nil, 200, &pub)
	if !pub.Report.Valid || len(pub.Signers) != 2 {
		t.Fatalf("public verify: %+v, want valid with 2 signers", pub)
	}
	// The audit trail verifies.
	var au struct {
		Verified bool
		Events   []naskah.AuditEvent
	}
	v.MustJSON("bkh", "GET", "/agreements/"+id+"/audit", nil, 200, &au)
	if !au.Verified || len(au.Events) < 20 {
		t.Fatalf("audit: verified=%v, %d events", au.Verified, len(au.Events))
	}
	bID := id

	// Process C: a monev round for the signed domestic agreement.
	var rounds struct{ Rounds []view }
	v.MustJSON("bkh", "POST", "/monev/rounds", map[string]any{"period": "2026-Q4", "agreement_ids": []string{aID}}, 201, &rounds)
	if len(rounds.Rounds) != 1 {
		t.Fatalf("monev: %d rounds, want 1", len(rounds.Rounds))
	}
	id = rounds.Rounds[0].ID
	for _, who := range []string{"bkh", "unit", "bkh", "bkh"} {
		v.finish(who, id)
	}
	if a := v.get("bkh", id); a.Status != naskah.StatusCompleted {
		t.Fatalf("monev ended %s at %s", a.Status, a.Step)
	}

	// Lists, filters and paging.
	var list struct {
		Total int
		Items []struct{ ID string }
	}
	v.MustJSON("bkh", "GET", "/agreements?process=B", nil, 200, &list)
	if list.Total != 1 || list.Items[0].ID != bID {
		t.Fatalf("list process=B: %+v", list)
	}
	v.MustJSON("bkh", "GET", "/agreements?limit=1&offset=1", nil, 200, &list)
	if list.Total != 3 || len(list.Items) != 1 {
		t.Fatalf("paging: total %d, %d items; want 3 and 1", list.Total, len(list.Items))
	}
	v.MustJSON("upt", "GET", "/agreements", nil, 200, &list)
	if list.Total != 0 {
		t.Fatalf("a UPT of another unit sees %d agreements, want 0", list.Total)
	}
	v.MustJSON("bkh", "GET", "/deadlines", nil, 200, nil)

	// Search, once the outbox has indexed the signed texts.
	var res struct {
		Total int
		Hits  []struct {
			AgreementID string `json:"agreement_id"`
		}
		Facets map[string][]struct {
			Value string
			Count int
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		v.MustJSON("bkh", "GET", "/search?q=farmakovigilans&type=agreement&facets=kind,scope", nil, 200, &res)
		if res.Total > 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if res.Total == 0 || res.Hits[0].AgreementID != bID || len(res.Facets["scope"]) == 0 {
		t.Fatalf("search: %+v, want %s first with facets", res, bID)
	}
	v.MustJSON("bkh", "GET", "/search?scope=domestic&type=agreement", nil, 200, &res)
	if res.Total != 1 || res.Hits[0].AgreementID != aID {
		t.Fatalf("search scope=domestic: %+v, want %s", res, aID)
	}
	if r := v.doJSON("mitra", "GET", "/search?q=x", nil, nil); r.status != 403 {
		t.Fatalf("MITRA searching: %d, want 403", r.status)
	}
	if r := v.doJSON("bkh", "GET", "/search?colour=red", nil, nil); r.status != 400 {
		t.Fatalf("unknown search parameter: %d, want 400", r.status)
	}

	// Metrics count requests by route and actions by kind, for the bearer
	// of the metrics token only.
	for _, tok := range []string{"", "wrong-token-0123456789abcdef", v.tokens["bkh"]} {
		req, _ := http.NewRequest("GET", v.base+"/metrics", nil)
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		if b := readAll(resp); resp.StatusCode != 401 || strings.Contains(b, "naskah_") {
			t.Errorf("/metrics with token %q: %d, want 401 without metrics", tok, resp.StatusCode)
		}
	}
	req, _ := http.NewRequest("GET", v.base+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+testMetricsToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body := new(strings.Builder)
	fmt.Fprint(body, readAll(resp))
	for _, want := range []string{`naskah_actions_total{action="sign",outcome="ok"}`, `route="/api/v1/agreements/:id/actions/:action"`, "naskah_http_request_duration_seconds_bucket"} {
		if !strings.Contains(body.String(), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if r := v.doJSON("", "GET", "/readyz", nil, nil); r.status != 200 {
		t.Fatalf("readyz: %d %s", r.status, r.body)
	}
}

func readAll(resp *http.Response) string {
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 32<<10)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			return b.String()
		}
	}
}

// checkDocuments lists versions and downloads the signed text: the default
// and ?original=1 are byte-identical to what was stored and verify; ?copy=1
// is a marked copy that verify recognises as a copy of the original; a
// draft's default stays a stamped copy.
func checkDocuments(t *testing.T, v *env, id string) {
	t.Helper()
	var docs struct{ Documents []naskah.DocumentVersion }
	v.MustJSON("unit", "GET", "/agreements/"+id+"/documents", nil, 200, &docs)
	if len(docs.Documents) < 10 {
		t.Fatalf("%d document versions, want at least 10", len(docs.Documents))
	}
	var stored *naskah.DocumentVersion
	for i := range docs.Documents {
		if d := &docs.Documents[i]; d.Kind == naskah.DocSigned && (stored == nil || d.Version > stored.Version) {
			stored = d
		}
	}
	if stored == nil {
		t.Fatal("no signed version listed")
	}
	orig := v.do("unit", "GET", "/agreements/"+id+"/documents/signed/latest?original=1", nil, "", nil)
	sum := sha256.Sum256(orig.body)
	if orig.status != 200 || orig.header.Get("X-Document-SHA256") != hex.EncodeToString(sum[:]) || hex.EncodeToString(sum[:]) != stored.SHA256 {
		t.Fatalf("original download: %d, sha %s vs header %s, stored %s", orig.status, hex.EncodeToString(sum[:]), orig.header.Get("X-Document-SHA256"), stored.SHA256)
	}
	def := v.do("unit", "GET", "/agreements/"+id+"/documents/signed/latest", nil, "", nil)
	dsum := sha256.Sum256(def.body)
	if def.status != 200 || hex.EncodeToString(dsum[:]) != stored.SHA256 || def.header.Get("X-Document-SHA256") != stored.SHA256 ||
		strings.Contains(def.header.Get("Content-Disposition"), "salinan") {
		t.Fatalf("default download of the signed text: %d, sha %s, header %q, disposition %q; want the signed original %s",
			def.status, hex.EncodeToString(dsum[:]), def.header.Get("X-Document-SHA256"), def.header.Get("Content-Disposition"), stored.SHA256)
	}
	var rep pdf.Report
	if r := v.do("unit", "POST", "/verify", bytes.NewReader(def.body), "application/pdf", nil); r.status != 200 || json.Unmarshal(r.body, &rep) != nil || !rep.Valid || rep.CopyOf != nil {
		t.Fatalf("verify the default download: %d valid=%v copyOf=%+v, want valid and no copy marker: %s", r.status, rep.Valid, rep.CopyOf, r.body)
	}
	cp := v.do("unit", "GET", "/agreements/"+id+"/documents/signed/latest?copy=1", nil, "", nil)
	if cp.status != 200 || string(cp.body[:5]) != "%PDF-" || bytes.Equal(cp.body, orig.body) || cp.header.Get("X-Document-SHA256") != "" ||
		!strings.Contains(cp.header.Get("Content-Disposition"), "salinan") {
		t.Fatalf("marked copy: %d, %d bytes, same as original: %v, headers %v", cp.status, len(cp.body), bytes.Equal(cp.body, orig.body), cp.header)
	}
	var crep pdf.Report
	if r := v.do("unit", "POST", "/verify", bytes.NewReader(cp.body), "application/pdf", nil); r.status != 200 || json.Unmarshal(r.body, &crep) != nil {
		t.Fatalf("verify the copy: %d %s", r.status, r.body)
	}
	if crep.Valid || crep.CopyOf == nil || crep.CopyOf.SHA256 != stored.SHA256 || crep.CopyOf.AgreementID != id || crep.CopyOf.Version != stored.Version ||
		len(crep.Problems) == 0 || !strings.Contains(crep.Problems[0], "uncontrolled copy of signed document") {
		t.Fatalf("verify the copy: valid=%v copyOf=%+v problems=%q, want a recognised copy of %s v%d", crep.Valid, crep.CopyOf, crep.Problems, stored.SHA256, stored.Version)
	}
	if r := v.do("unit", "GET", "/agreements/"+id+"/documents/signed/latest?copy=1&original=1", nil, "", nil); r.status != 400 {
		t.Fatalf("copy and original together: %d, want 400", r.status)
	}
	// A draft keeps its default: a stamped copy, not the stored bytes.
	for _, d := range docs.Documents {
		if d.Kind.IsDraft() {
			r := v.do("unit", "GET", fmt.Sprintf("/agreements/%s/documents/%s/%d", id, d.Kind, d.Version), nil, "", nil)
			rs := sha256.Sum256(r.body)
			if r.status != 200 || hex.EncodeToString(rs[:]) == d.SHA256 || !strings.Contains(r.header.Get("Content-Disposition"), "salinan") {
				t.Fatalf("draft %s v%d default download: %d, identical to stored: %v", d.Kind, d.Version, r.status, hex.EncodeToString(rs[:]) == d.SHA256)
			}
			break
		}
	}
	if r := v.do("unit", "GET", "/agreements/"+id+"/documents/signed/99", nil, "", nil); r.status != 404 {
		t.Fatalf("missing version: %d, want 404", r.status)
	}
}

// TestOpenAPICoversRoutes checks that every /api/v1 route is documented.
func TestOpenAPICoversRoutes(t *testing.T) {
	v := MustStart(t)
	var doc struct {
		OpenAPI string                               `json:"openapi"`
		Paths   map[string]map[string]map[string]any `json:"paths"`
	}
	v.MustJSON("", "GET", "/openapi.json", nil, 200, &doc)
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi %q, want 3.x", doc.OpenAPI)
	}
	n := 0
	for _, r := range v.srv.App().GetRoutes(true) {
		if !strings.HasPrefix(r.Path, api.Prefix) || r.Method == "HEAD" {
			continue
		}
		p := r.Path
		for _, seg := range strings.Split(p, "/") {
			if strings.HasPrefix(seg, ":") {
				p = strings.Replace(p, seg, "{"+seg[1:]+"}", 1)
			}
		}
		if _, ok := doc.Paths[p][strings.ToLower(r.Method)]; !ok {
			t.Errorf("route %s %s is not in openapi.json", r.Method, r.Path)
		}
		n++
	}
	if n < 20 {
		t.Fatalf("only %d routes checked", n)
	}
}
