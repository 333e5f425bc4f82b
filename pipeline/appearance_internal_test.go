package pipeline

import (
	"bytes"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/bpom/naskah"
	"github.com/bpom/naskah/pipeline/pdf/pdftest"
)

// TestSpecimen: an official's specimen is read from SpecimenDir by user
// name, only from inside it, and a file that is not a small PNG or JPEG
// is refused with a message for ADMIN.
func TestSpecimen(t *testing.T) {
	dir := t.TempDir()
	var seal bytes.Buffer
	png.Encode(&seal, image.NewGray(image.Rect(0, 0, 300, 300)))
	outside := filepath.Join(t.TempDir(), "secret.png")
	for name, b := range map[string][]byte{"kepala.png": seal.Bytes(), "madya.jpg": pdftest.JPEG(200, 100, 1), "rusak.png": []byte("not a png"), "..png": seal.Bytes()} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(outside, seal.Bytes(), 0o644)
	if err := os.Symlink(outside, filepath.Join(dir, "escape.png")); err != nil {
		t.Fatal(err)
	}
	e := &Engine{Config: Config{SpecimenDir: dir}}
	tests := []struct {
		user string
		want []byte
		code string
	}{
		{"kepala", seal.Bytes(), ""},
		{"madya", pdftest.JPEG(200, 100, 1), ""},
		{"mitra", nil, ""},     // no file: no specimen
		{"../kepala", nil, ""}, // not a file name
		{".", nil, ""},         // not a file name
		{"rusak", nil, naskah.EINVALID},
		{"escape", nil, naskah.EUNAVAILABLE}, // os.Root refuses the symlink out
	}
	for _, tt := range tests {
		got, err := e.specimen(tt.user)
		if naskah.ErrorCode(err) != tt.code {
			t.Errorf("%s: got error %v, want code %q", tt.user, err, tt.code)
		}
		if !bytes.Equal(got, tt.want) {
			t.Errorf("%s: got %d bytes, want %d", tt.user, len(got), len(tt.want))
		}
	}
	if got, err := (&Engine{}).specimen("kepala"); got != nil || err != nil {
		t.Errorf("no SpecimenDir: got %d bytes, %v; want none", len(got), err)
	}
	if _, err := (&Engine{Config: Config{SpecimenDir: filepath.Join(dir, "missing")}}).specimen("kepala"); naskah.ErrorCode(err) != naskah.EUNAVAILABLE {
		t.Errorf("missing SpecimenDir: got %v, want EUNAVAILABLE", err)
	}
}
