package pdf

import (
	"bytes"
	"context"
	"crypto/x509"
	"fmt"
	"reflect"
	"strconv"
	"time"

	"github.com/bpom/naskah"
	pdfreader "github.com/digitorus/pdf"
)

// errNotProved is what Sign returns when the file it made fails its own
// proof: the file is dropped, never returned.
func errNotProved(detail string) error {
	return naskah.Errorf(naskah.EINTERNAL, "berkas bertanda tangan gagal diperiksa dan tidak disimpan (%s): coba lagi atau hubungi administrator — the signed file failed its check and was not kept (%s): try again or ask the administrator", detail, detail)
}

// verifyBefore verifies the input's existing signatures, so that the proof
// after signing can show that signing changed none of their verdicts.
func verifyBefore(ctx context.Context, data []byte, roots *x509.CertPool, now func() time.Time) (*Report, error) {
	if countSignatures(data) == 0 {
		return &Report{}, nil
	}
	return Verify(ctx, data, VerifyOptions{Roots: roots, Now: now})
}

// proveSigned is the proof a signed file passes before Sign returns it:
// the input is its unchanged prefix, every xref entry points at its
// object, our Verify finds one more signature than before which is intact,
// trusted (with roots) and covers the whole file, is PAdES baseline at
// the level asked for (with roots; without, the TSA may be one we cannot
// judge and B-B is the least), and the earlier signatures are as intact
// as they were.
func proveSigned(ctx context.Context, in, out []byte, before *Report, roots *x509.CertPool, now func() time.Time, level Level) error {
	if !bytes.HasPrefix(out, in) {
		return errNotProved("the original bytes changed")
	}
	if err := recovered("prove: xref", func() error { return checkXref(out) }); err != nil {
		return errNotProved(err.Error())
	}
	rep, err := Verify(ctx, out, VerifyOptions{Roots: roots, Now: now})
	if err != nil {
		return errNotProved(err.Error())
	}
	if len(rep.Signatures) != len(before.Signatures)+1 {
		return errNotProved(fmt.Sprintf("%d signatures found, want %d", len(rep.Signatures), len(before.Signatures)+1))
	}
	last := rep.Signatures[len(rep.Signatures)-1]
	switch {
	case !last.DigestIntact || !last.CoversWholeFile:
		return errNotProved(fmt.Sprintf("the new signature does not verify: %v", last.Problems))
	case roots != nil && (!last.Trusted || len(last.Problems) > 0):
		return errNotProved(fmt.Sprintf("the new signature is not valid: %v", last.Problems))
	case roots != nil && last.Level != level, last.Level == "":
		return errNotProved(fmt.Sprintf("the new signature is PAdES %q, want %s: %v", last.Level, level, last.Problems))
	}
	for i, b := range before.Signatures {
		if rep.Signatures[i].DigestIntact != b.DigestIntact {
			return errNotProved(fmt.Sprintf("signature %d changed its verdict", i+1))
		}
	}
	return nil
}

// checkXref checks that every object the merged xref places at an offset
// starts there with its "N G obj" header: pdfsign's retry path (issue
// #135) leaves entries of its first try pointing into other objects. The
// reader does not export offsets; reflection reads them, and a reader
// whose fields changed fails here rather than passing unchecked.
func checkXref(data []byte) error {
	rdr, err := pdfreader.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return err
	}
	xs := rdr.Xref()
	for i := range xs {
		v := reflect.ValueOf(xs[i])
		off, inStream := v.FieldByName("offset"), v.FieldByName("inStream")
		if !off.IsValid() || !inStream.IsValid() {
			return fmt.Errorf("xref entries cannot be read")
		}
		ptr := xs[i].Ptr()
		if inStream.Bool() || ptr.GetID() == 0 || off.Int() == 0 {
			continue
		}
		if !objectAt(data, off.Int(), ptr.GetID(), ptr.GetGen()) {
			return fmt.Errorf("xref entry of object %d points at offset %d, where it is not", ptr.GetID(), off.Int())
		}
	}
	return nil
}

// objectAt reports whether data holds "id gen obj" at off.
func objectAt(data []byte, off int64, id uint32, gen uint16) bool {
	if off < 0 || off >= int64(len(data)) {
		return false
	}
	b := bytes.TrimLeft(data[off:min(int64(len(data)), off+64)], " \t\r\n")
	want := strconv.FormatUint(uint64(id), 10) + " " + strconv.FormatUint(uint64(gen), 10) + " obj"
	return bytes.HasPrefix(b, []byte(want))
}

// checkRoom checks that pdfsign's placeholder after the input is the room
// signRoom computed: otherwise our copy of its estimate is wrong and the
// retry path could run.
func checkRoom(out []byte, inLen, room int) error {
	i := bytes.Index(out[inLen:], []byte("/Contents<"))
	if i < 0 {
		return errRoom("no /Contents in the new signature")
	}
	rest := out[inLen+i+len("/Contents<"):]
	j := bytes.IndexByte(rest, '>')
	if j != room {
		return errRoom(fmt.Sprintf("room is %d hex digits, computed %d", j, room))
	}
	return nil
}

// lastSignatureSize is the size in bytes of the last signature value in
// data (its /Contents hex without the zero padding).
func lastSignatureSize(data []byte) int {
	i := bytes.LastIndex(data, []byte("/Contents<"))
	if i < 0 {
		return 0
	}
	rest := data[i+len("/Contents<"):]
	j := bytes.IndexByte(rest, '>')
	if j < 0 {
		return 0
	}
	return (len(bytes.TrimRight(rest[:j], "0")) + 1) / 2
}
