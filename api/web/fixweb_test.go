package web_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestVerifyDraftLikeMissing (issue 14 review): the public verify page of
// an unsigned draft answers exactly like a missing id: 404, no title, kind
// or partner.
func TestVerifyDraftLikeMissing(t *testing.T) {
	e := MustEnv(t, "http://naskah.test")
	c := newClient(t, e.App)
	c.login("unit")
	id := initiate(t, c, "PKS Rahasia Belum Ditandatangani")
	p := newClient(t, e.App)
	r := p.get("/verify/" + id)
	if r.Status != http.StatusNotFound || strings.Contains(r.Body, "Rahasia") || strings.Contains(r.Body, "Gadjah Mada") {
		t.Fatalf("public verify of a draft: %d, want 404 without the draft's title or partner\n%s", r.Status, r.Body)
	}
	missing := p.get("/verify/20260101-deadbeef00")
	if strings.ReplaceAll(r.Body, id, "ID") != strings.ReplaceAll(missing.Body, "20260101-deadbeef00", "ID") {
		t.Errorf("a draft's page differs from a missing id's")
	}
}
