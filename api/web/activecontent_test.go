package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/bpom/naskah"
	"github.com/bpom/naskah/pipeline/pdf/pdftest"
)

// TestActiveContentWarning: a draft with JavaScript is accepted and its
// row on the detail page warns of it (Indonesian first); the record JSON
// carries it; a circular file is refused at the file field.
func TestActiveContentWarning(t *testing.T) {
	e := MustEnv(t, "http://naskah.test")
	c := newClient(t, e.App)
	c.login("bkh")
	id := initiate(t, c, "MoU Uji Konten Aktif")
	var js, circular []byte
	for _, h := range pdftest.HostileSet() {
		switch h.Name {
		case "JavaScript":
			js = h.Data
		case "circular pages":
			circular = h.Data
		}
	}
	c.get("/agreements/" + id)
	r := c.postMultipart("/agreements/"+id+"/upload", map[string]string{"kind": "nota_dinas"}, []file{{"file", "nd.pdf", js}}, nil)
	if r.Status != http.StatusSeeOther {
		t.Fatalf("upload with JavaScript: got %d, want 303\n%s", r.Status, r.Body)
	}
	r = c.get("/agreements/" + id)
	if !strings.Contains(r.Body, `class="activewarn"`) || !strings.Contains(r.Body, "Berisi konten aktif") || !strings.Contains(r.Body, "JavaScript") {
		t.Errorf("detail page: no active-content warning on the document\n%s", r.Body)
	}
	a, err := e.Engine.Get(context.Background(), naskah.Actor{User: "bkh", Role: naskah.RoleBKH}, id)
	if err != nil {
		t.Fatal(err)
	}
	rec, _ := json.Marshal(a)
	if !strings.Contains(string(rec), `"active_content":["JavaScript"]`) {
		t.Errorf("record JSON: got %s, want active_content", rec)
	}
	c.get("/agreements/" + id)
	r = c.postMultipart("/agreements/"+id+"/upload", map[string]string{"kind": "nota_dinas"}, []file{{"file", "loop.pdf", circular}}, nil)
	if r.Status != http.StatusBadRequest || !strings.Contains(r.Body, `id="up-file-err"`) || !strings.Contains(r.Body, "tidak aman") {
		t.Errorf("circular upload: got %d, want 400 with the refusal at the file field\n%s", r.Status, r.Body)
	}
}
