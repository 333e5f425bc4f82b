package pdftest

import (
	"bytes"
	"compress/zlib"
	"io"
	"testing"
)

func TestZeros(t *testing.T) {
	z := zeros(64 << 20)
	r, err := zlib.NewReader(bytes.NewReader(z))
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(r)
	if err != nil || len(b) != 64<<20 || bytes.Count(b, []byte{0}) != len(b) {
		t.Fatalf("got %d bytes, %v; want 64 MiB of zeros", len(b), err)
	}
	t.Logf("64 MiB in %d bytes", len(z))
}
