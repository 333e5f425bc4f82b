package pdf_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/bpom/naskah"
	"github.com/bpom/naskah/pipeline/pdf"
	"github.com/bpom/naskah/pipeline/pdf/pdftest"
	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
)

// MustEncrypt returns data encrypted with pdfcpu (AES-256) under the
// given user password ("" for owner-password-only files).
func MustEncrypt(tb testing.TB, data []byte, user string) []byte {
	tb.Helper()
	conf := model.NewAESConfiguration(user, "owner-secret", 256)
	var out bytes.Buffer
	if err := api.Encrypt(bytes.NewReader(data), &out, conf); err != nil {
		tb.Fatalf("encrypt: %v", err)
	}
	return out.Bytes()
}

func TestInspect(t *testing.T) {
	f := mustFixture(t)
	three := pdftest.PDF(pdftest.Portrait, pdftest.Landscape, pdftest.Rotated)
	signed := MustSign(t, three, f.kepala, pdf.SignOptions{})
	tests := []struct {
		name      string
		data      []byte
		lim       pdf.Limits
		code      string
		msg       string // in the error message
		pages     int
		sigs      int
		landscape []bool
	}{
		{name: "three pages", data: three, pages: 3, landscape: []bool{false, true, true}},
		{name: "signed", data: signed, pages: 3, sigs: 1},
		{name: "empty", data: nil, code: naskah.EINVALID, msg: "empty"},
		{name: "not a pdf", data: []byte("PK\x03\x04 a docx"), code: naskah.EINVALID, msg: "not a PDF"},
		{name: "truncated", data: three[:len(three)/3], code: naskah.EINVALID, msg: "damaged"},
		{name: "head of a one-page file", data: pdftest.PDF()[:300], code: naskah.EINVALID, msg: "incomplete"},
		{name: "encrypted with user password", data: MustEncrypt(t, three, "rahasia"), code: naskah.EINVALID, msg: "encrypted"},
		{name: "encrypted owner password only", data: MustEncrypt(t, three, ""), code: naskah.EINVALID, msg: "encrypted"},
		{name: "too large", data: three, lim: pdf.Limits{MaxBytes: 100}, code: naskah.ETOOLARGE, msg: "limit"},
		{name: "too many pages", data: three, lim: pdf.Limits{MaxPages: 2}, code: naskah.ETOOLARGE, msg: "3 pages"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			info, err := pdf.Inspect(context.Background(), tt.data, tt.lim)
			if got := naskah.ErrorCode(err); got != tt.code {
				t.Fatalf("got code %q (%v), want %q", got, err, tt.code)
			}
			if err != nil {
				if !strings.Contains(naskah.ErrorMessage(err), tt.msg) {
					t.Errorf("got message %q, want it to mention %q", naskah.ErrorMessage(err), tt.msg)
				}
				return
			}
			if info.Pages != tt.pages || info.Signatures != tt.sigs || info.Size != int64(len(tt.data)) {
				t.Errorf("got pages %d sigs %d size %d, want %d %d %d", info.Pages, info.Signatures, info.Size, tt.pages, tt.sigs, len(tt.data))
			}
			for i, l := range tt.landscape {
				if got := info.PageSizes[i].Width > info.PageSizes[i].Height; got != l {
					t.Errorf("page %d: got landscape %v, want %v (%+v)", i+1, got, l, info.PageSizes[i])
				}
			}
		})
	}
}

func TestStampRefuses(t *testing.T) {
	in := pdftest.PDF()
	ctx := context.Background()
	tests := []struct {
		name string
		err  func() error
		code string
	}{
		{"bad watermark", func() error { _, err := pdf.StampDraft(ctx, in, pdf.DraftMarks{Watermark: "SECRET"}); return err }, naskah.EINVALID},
		{"no url", func() error { _, err := pdf.StampForSigning(ctx, in, pdf.SigningMarks{}); return err }, naskah.EINVALID},
		{"no who", func() error { _, err := pdf.StampUncontrolledCopy(ctx, in, pdf.CopyMarks{}); return err }, naskah.EINVALID},
		{"encrypted", func() error {
			_, err := pdf.StampUncontrolledCopy(ctx, MustEncrypt(t, in, ""), pdf.CopyMarks{Who: "x"})
			return err
		}, naskah.EINVALID},
		{"garbage", func() error {
			_, err := pdf.StampDraft(ctx, []byte("%PDF-1.7 garbage"), pdf.DraftMarks{Watermark: pdf.WatermarkDraft})
			return err
		}, naskah.EINVALID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.err()
			if got := naskah.ErrorCode(err); got != tt.code {
				t.Errorf("got %q (%v), want %q", got, err, tt.code)
			}
		})
	}
}
