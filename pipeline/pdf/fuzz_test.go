package pdf_test

import (
	"context"
	"errors"
	"testing"

	"github.com/bpom/naskah"
	"github.com/bpom/naskah/pipeline/pdf"
	"github.com/bpom/naskah/pipeline/pdf/pdftest"
)

// fuzzSeeds are small valid, signed and broken PDFs.
func fuzzSeeds(tb testing.TB) [][]byte {
	f := mustFixture(tb)
	plain := pdftest.PDF(pdftest.Page{Lines: 3})
	rotated := pdftest.PDF(pdftest.Page{Lines: 2, Rotate: 90}, pdftest.Page{Width: 200, Height: 100, Lines: 1})
	signed := MustSign(tb, plain, f.kepala, pdf.SignOptions{Reason: "fuzz"})
	stamped := MustSign(tb, MustStampForSigning(tb, plain), f.kepala, pdf.SignOptions{Reason: "fuzz", TSAURL: f.tsa})
	return [][]byte{
		plain, rotated, signed, stamped,
		plain[:len(plain)/2],
		[]byte("%PDF-1.7\n%%EOF\n"),
		[]byte("not a pdf"),
		{},
	}
}

// checkError fails on an error that is not one of ours: every error a
// user may see carries a code and a message.
func checkError(t *testing.T, err error) {
	var ne *naskah.Error
	if err != nil && (!errors.As(err, &ne) || ne.Message == "") {
		t.Fatalf("got error %v without a code and message", err)
	}
}

func FuzzInspect(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		info, err := pdf.Inspect(context.Background(), data, pdf.Limits{MaxBytes: 1 << 20, MaxPages: 50})
		checkError(t, err)
		if err == nil && info.Pages < 1 {
			t.Fatalf("got %d pages for a valid PDF, want ≥ 1", info.Pages)
		}
	})
}

func FuzzVerify(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	fx := mustFixture(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		rep, err := pdf.Verify(context.Background(), data, fx.verifyOp)
		checkError(t, err)
		if err == nil && rep.Valid {
			for _, s := range rep.Signatures {
				if !s.DigestIntact || !s.Trusted {
					t.Fatalf("got a valid report with a broken signature: %+v", s)
				}
			}
		}
	})
}

// FuzzCheck: the guard never panics or hangs and answers with our codes,
// from the valid seeds and from the small hostile files.
func FuzzCheck(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	for _, h := range pdftest.HostileSet() {
		if len(h.Data) < 64<<10 {
			f.Add(h.Data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		_, err := pdf.Check(context.Background(), data)
		checkError(t, err)
	})
}
