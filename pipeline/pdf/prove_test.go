package pdf

import (
	"bytes"
	"fmt"
	"testing"
)

// TestCheckXref: an xref entry that points where its object is not (what
// pdfsign's retry path leaves, issue #135) is caught.
func TestCheckXref(t *testing.T) {
	good := []byte("%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n")
	off1 := bytes.Index(good, []byte("1 0 obj"))
	off2 := bytes.Index(good, []byte("2 0 obj"))
	build := func(o2 int) []byte {
		b := bytes.Clone(good)
		x := len(b)
		b = append(b, []byte("xref\n0 3\n0000000000 65535 f \n")...)
		b = fmt.Appendf(b, "%010d 00000 n \n%010d 00000 n \n", off1, o2)
		b = fmt.Appendf(b, "trailer\n<< /Size 3 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", x)
		return b
	}
	if err := checkXref(build(off2)); err != nil {
		t.Fatalf("good file: got %v, want nil", err)
	}
	if err := checkXref(build(off2 + 3)); err == nil {
		t.Fatal("stale entry: got nil, want an error")
	}
}
