package pdf_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/bpom/naskah"
	"github.com/bpom/naskah/pipeline/pdf"
	"github.com/bpom/naskah/pipeline/pdf/pdftest"
)

// TestCopyOfSignedText: a marked copy of a signed text says on its face
// which signed document it copies, and Verify recognises it as a copy of
// that document instead of a bare "not valid".
func TestCopyOfSignedText(t *testing.T) {
	f := mustFixture(t)
	signed := MustSign(t, MustStampForSigning(t, pdftest.PDF(pdftest.Portrait, pdftest.Landscape)), f.kepala, pdf.SignOptions{Reason: "Persetujuan"})
	if rep := MustVerify(t, signed, f.verifyOp); !rep.Valid || rep.CopyOf != nil {
		t.Fatalf("the original: valid=%v copyOf=%+v, want valid and no copy marker", rep.Valid, rep.CopyOf)
	}
	sum := sha256.Sum256(signed)
	of := &pdf.CopyOf{AgreementID: "20261201-abcdef0123", Number: "HK.01/7/2026", Version: 2, SHA256: hex.EncodeToString(sum[:]),
		SignedBy: []string{"Dr. Taruna Ikrar"}, SignedAt: time.Date(2026, 12, 1, 10, 0, 0, 0, naskah.Jakarta), VerifyURL: "https://naskah.pom.go.id/verify/20261201-abcdef0123"}
	cp, err := pdf.StampUncontrolledCopy(context.Background(), signed, pdf.CopyMarks{Who: "Staf BKH (BKH)", When: time.Now(), Of: of})
	if err != nil {
		t.Fatal(err)
	}
	rep := MustVerify(t, cp, f.verifyOp)
	if rep.Valid {
		t.Fatal("a stamped copy verifies as valid")
	}
	ci := rep.CopyOf
	if ci == nil || ci.SHA256 != of.SHA256 || ci.Number != of.Number || ci.Version != 2 || ci.AgreementID != of.AgreementID || ci.VerifyURL != of.VerifyURL {
		t.Fatalf("copy marker: got %+v, want %+v", ci, of)
	}
	if len(rep.Problems) == 0 || !strings.Contains(rep.Problems[0], "uncontrolled copy of signed document No. HK.01/7/2026") || !strings.Contains(rep.Problems[0], "salinan tidak terkendali") {
		t.Fatalf("first problem: %q, want the copy explained", rep.Problems)
	}

	// The face of every page names the original.
	if txt, err := exec.LookPath("pdftotext"); err == nil {
		cmd := exec.Command(txt, "-", "-")
		cmd.Stdin = strings.NewReader(string(cp))
		text, err := cmd.Output()
		if err != nil {
			t.Fatalf("pdftotext: %v", err)
		}
		for _, want := range []string{"SALINAN TIDAK TERKENDALI", "HK.01/7/2026", of.SHA256, "v2", "Dr. Taruna Ikrar", "Staf BKH"} {
			if c := strings.Count(string(text), want); c < 2 {
				t.Errorf("the copy's text has %q on %d pages, want both:\n%s", want, c, text)
			}
		}
	} else {
		t.Log("pdftotext not installed: face text not checked")
	}

	// A copy of a draft has no marker; a bad SHA-256 is refused.
	draft, err := pdf.StampUncontrolledCopy(context.Background(), pdftest.PDF(pdftest.Portrait), pdf.CopyMarks{Who: "x", When: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if rep := MustVerify(t, draft, f.verifyOp); rep.CopyOf != nil {
		t.Fatalf("a draft copy carries a copy marker: %+v", rep.CopyOf)
	}
	bad := *of
	bad.SHA256 = "nope"
	if _, err := pdf.StampUncontrolledCopy(context.Background(), signed, pdf.CopyMarks{Who: "x", Of: &bad}); naskah.ErrorCode(err) != naskah.EINVALID {
		t.Fatalf("copy with a bad SHA-256: %v, want EINVALID", err)
	}
}
