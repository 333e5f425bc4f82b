package web_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"

	"github.com/bpom/naskah"
	"github.com/bpom/naskah/pipeline"
)

// TestSignedDownloadLinks: the detail page offers the signed original as
// the download of a signed text and the uncontrolled copy as a separate
// link; the original is the stored bytes, the copy is recognised as a copy
// of it on the public verification page.
func TestSignedDownloadLinks(t *testing.T) {
	e := MustEnv(t, "http://naskah.test")
	c := newClient(t, e.App)
	c.login("bkh")
	id := initiate(t, c, "PKS Unduhan Asli")
	advance(t, e, id)
	ks, pass, _ := e.keystore(t, "kepala")
	a, err := e.Engine.Sign(context.Background(), pipeline.SignRequest{Request: pipeline.Request{Actor: naskah.Actor{User: "kepala", Role: naskah.RoleKepala}, ID: id},
		Keystore: ks, Passphrase: pass})
	if err != nil {
		t.Fatal(err)
	}
	d := a.Latest(naskah.DocSigned)

	r := c.get("/agreements/" + id)
	base := "/agreements/" + id + "/documents/signed/1"
	if r.Status != http.StatusOK || !strings.Contains(r.Body, `href="`+base+`">Unduh asli bertanda tangan`) || !strings.Contains(r.Body, `href="`+base+`?copy=1">Unduh salinan tidak terkendali`) {
		t.Fatalf("detail page: want the signed original and the uncontrolled-copy links for %s\n%s", base, r.Body)
	}
	if strings.Contains(r.Body, base+"?original=1") {
		t.Fatalf("detail page still offers ?original=1 beside a default that is already the original")
	}
	// Drafts keep copy + original.
	if !strings.Contains(r.Body, "/documents/initial_draft/1?original=1") {
		t.Fatalf("detail page: drafts lost their original link")
	}

	orig := c.get(base)
	sum := sha256.Sum256([]byte(orig.Body))
	if orig.Status != http.StatusOK || hex.EncodeToString(sum[:]) != d.SHA256 {
		t.Fatalf("default download of the signed text: %d sha %s, want the stored %s", orig.Status, hex.EncodeToString(sum[:]), d.SHA256)
	}
	if r := c.get(base + "?original=1"); r.Body != orig.Body {
		t.Fatal("?original=1 differs from the default download of a signed text")
	}
	cp := c.get(base + "?copy=1")
	if cp.Status != http.StatusOK || !strings.HasPrefix(cp.Body, "%PDF-") || cp.Body == orig.Body {
		t.Fatalf("copy download: %d, same as original %v", cp.Status, cp.Body == orig.Body)
	}

	p := newClient(t, e.App)
	p.get("/verify/" + id)
	r = p.postMultipart("/verify/"+id, nil, []file{{"file", "salinan.pdf", []byte(cp.Body)}}, nil)
	if r.Status != http.StatusOK || !strings.Contains(r.Body, "SALINAN TIDAK TERKENDALI") || !strings.Contains(r.Body, d.SHA256) || !strings.Contains(r.Body, `href="/verify/`+id+`"`) {
		t.Fatalf("public verify of the copy: want it named as an uncontrolled copy of %s with the link to its page\n%s", d.SHA256, r.Body)
	}
	if !strings.Contains(r.Body, "salinan tidak terkendali dari naskah bertanda tangan versi 1 yang memang tercatat") || strings.Contains(r.Body, "TIDAK identik") {
		t.Fatalf("public verify of the copy on its agreement's page: want it matched to signed version 1 on record\n%s", r.Body)
	}
	r = p.postMultipart("/verify/"+id, nil, []file{{"file", "asli.pdf", []byte(orig.Body)}}, nil)
	if r.Status != http.StatusOK || !strings.Contains(r.Body, "ASLI") || strings.Contains(r.Body, "SALINAN TIDAK TERKENDALI") {
		t.Fatalf("public verify of the original download: want genuine\n%s", r.Body)
	}
}
