package pdf_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/bpom/naskah"
	"github.com/bpom/naskah/pipeline/pdf"
	"github.com/bpom/naskah/pipeline/pdf/pdftest"
)

// entryPoints are the package's functions a hostile file can reach, each
// returning only its error.
func entryPoints(f *fixture) []struct {
	name string
	run  func(ctx context.Context, data []byte) error
} {
	return []struct {
		name string
		run  func(ctx context.Context, data []byte) error
	}{
		{"inspect", func(ctx context.Context, b []byte) error {
			_, err := pdf.Inspect(ctx, b, pdf.Limits{MaxBytes: 50 << 20})
			return err
		}},
		{"stamp draft", func(ctx context.Context, b []byte) error {
			_, err := pdf.StampDraft(ctx, b, pdf.DraftMarks{Watermark: pdf.WatermarkDraft, Version: "1"})
			return err
		}},
		{"stamp for signing", func(ctx context.Context, b []byte) error {
			_, err := pdf.StampForSigning(ctx, b, pdf.SigningMarks{VerifyURL: "http://127.0.0.1/v/1"})
			return err
		}},
		{"copy", func(ctx context.Context, b []byte) error {
			_, err := pdf.StampUncontrolledCopy(ctx, b, pdf.CopyMarks{Who: "Uji"})
			return err
		}},
		{"sign", func(ctx context.Context, b []byte) error {
			_, err := pdf.Sign(ctx, b, f.kepala, pdf.SignOptions{Visible: true, Rect: [4]float64{300, 50, 550, 120}, Timeout: time.Minute})
			return err
		}},
		{"verify", func(ctx context.Context, b []byte) error { _, err := pdf.Verify(ctx, b, f.verifyOp); return err }},
	}
}

// TestHostile sends every hostile PDF through every entry point: a
// refused file gets its code from each of them (and a message, not a
// panic), an accepted one is processed; no goroutine outlives a call.
func TestHostile(t *testing.T) {
	f := mustFixture(t)
	for _, h := range pdftest.HostileSet() {
		t.Run(h.Name, func(t *testing.T) {
			if h.Code == "" {
				return // TestActiveContent
			}
			for _, ep := range entryPoints(f) {
				before := pdftest.Goroutines()
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				err := ep.run(ctx, h.Data)
				cancel()
				if got := naskah.ErrorCode(err); got != h.Code {
					t.Errorf("%s: got code %q (%v), want %q", ep.name, got, err, h.Code)
				} else if !strings.Contains(naskah.ErrorMessage(err), " — ") {
					t.Errorf("%s: got message %q, want Indonesian — English", ep.name, naskah.ErrorMessage(err))
				}
				pdftest.CheckGoroutines(t, before)
			}
		})
	}
}

// TestActiveContent: files with active content are accepted and reported;
// the text to sign comes out without it and says what was removed; a
// signed file that keeps it verifies as not valid.
func TestActiveContent(t *testing.T) {
	f := mustFixture(t)
	ctx := context.Background()
	for _, h := range pdftest.HostileSet() {
		if h.Code != "" {
			continue
		}
		t.Run(h.Name, func(t *testing.T) {
			before := pdftest.Goroutines()
			defer pdftest.CheckGoroutines(t, before)
			info, err := pdf.Inspect(ctx, h.Data, pdf.Limits{})
			if err != nil {
				t.Fatalf("inspect: %v", err)
			}
			all := strings.Join(info.ActiveContent, "\n")
			for _, want := range h.Active {
				if !strings.Contains(all, want) {
					t.Errorf("inspect: got active content %q, want one naming %q", info.ActiveContent, want)
				}
			}
			if _, err := pdf.StampDraft(ctx, h.Data, pdf.DraftMarks{Watermark: pdf.WatermarkDraft}); err != nil {
				t.Errorf("a draft with active content: got %v, want it stamped", err)
			}
			clean, removed, err := pdf.StampForSigningClean(ctx, h.Data, pdf.SigningMarks{VerifyURL: "http://127.0.0.1/v/1"})
			if err != nil && strings.Contains(h.Name, "SubmitForm") && strings.Contains(naskah.ErrorMessage(err), "formulir") {
				// The submit button stays a form field once its action is
				// gone: the text to sign is refused at upload, not at signing.
				return
			}
			if err != nil {
				t.Fatalf("stamp for signing: %v", err)
			}
			if len(removed) == 0 {
				t.Errorf("stamp for signing: got nothing removed, want %q", info.ActiveContent)
			}
			st, err := pdf.Check(ctx, clean)
			if err != nil || len(st.ActiveContent) > 0 {
				t.Fatalf("the text to sign: got %v, %q, want no active content", err, st.ActiveContent)
			}
			rep := MustVerify(t, MustSign(t, clean, f.kepala, pdf.SignOptions{}), f.verifyOp)
			if !rep.Valid {
				t.Errorf("signed clean text: got invalid %q, want valid", rep.Problems)
			}
			rep = MustVerify(t, MustSign(t, h.Data, f.kepala, pdf.SignOptions{}), f.verifyOp)
			if rep.Valid || !strings.Contains(strings.Join(rep.Problems, "\n"), "konten aktif") {
				t.Errorf("signed file with active content: got valid=%v %q, want invalid naming the active content", rep.Valid, rep.Problems)
			}
		})
	}
}
