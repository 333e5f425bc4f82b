package api_test

import (
	"encoding/json"
	"io"
	"strings"
	"testing"

	"github.com/bpom/naskah/api"
)

// TestFieldLimits: oversized fields and control characters are a 400
// naming the field, and nothing is stored.
func TestFieldLimits(t *testing.T) {
	s := MustLocalServer(t, t.TempDir(), nil)
	tok := loginToken(t, s, "unit")
	body := func(title, partner string) string {
		b, _ := json.Marshal(map[string]any{"title": title, "kind": "mou", "process": "A",
			"partner": map[string]string{"name": partner, "kind": "business", "country": "ID"}})
		return string(b)
	}
	for name, in := range map[string]string{
		"900 KB title":      body(strings.Repeat("judul ", 150000), "PT Farma"),
		"NUL in the title":  body("judul\x00", "PT Farma"),
		"ESC in the title":  body("judul \x1b[2J", "PT Farma"),
		"newline in title":  body("judul\r\nX-Injected: 1", "PT Farma"),
		"bidi in a partner": body("judul", "PT \u202eamraF"),
		"long partner":      body("judul", strings.Repeat("p", 201)),
	} {
		resp := testRequest(t, s.App(), "POST", api.Prefix+"/agreements", in, tok)
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 400 && resp.StatusCode != 413 {
			t.Errorf("%s: %d %.200s, want 400 (or 413 for a body over the JSON limit)", name, resp.StatusCode, b)
		}
	}
	resp := testRequest(t, s.App(), "GET", api.Prefix+"/agreements", "", tok)
	var list struct{ Total int }
	json.NewDecoder(resp.Body).Decode(&list)
	resp.Body.Close()
	if list.Total != 0 {
		t.Fatalf("%d agreements stored by refused requests, want 0", list.Total)
	}
	// A note with a control character is refused before anything changes.
	resp = testRequest(t, s.App(), "POST", api.Prefix+"/agreements", body("PKS yang sah", "PT Farma"), tok)
	var a struct {
		ID       string
		Revision int
	}
	json.NewDecoder(resp.Body).Decode(&a)
	resp.Body.Close()
	resp = testRequest(t, s.App(), "POST", api.Prefix+"/agreements/"+a.ID+"/actions/submit", `{"note":"catatan\u001b[31m"}`, tok)
	resp.Body.Close()
	if resp.StatusCode != 400 {
		t.Errorf("a note with ESC: %d, want 400", resp.StatusCode)
	}
	resp = testRequest(t, s.App(), "GET", api.Prefix+"/agreements/"+a.ID, "", tok)
	var after struct{ Revision int }
	json.NewDecoder(resp.Body).Decode(&after)
	resp.Body.Close()
	if after.Revision != a.Revision {
		t.Errorf("revision %d after a refused note, want %d", after.Revision, a.Revision)
	}
}
