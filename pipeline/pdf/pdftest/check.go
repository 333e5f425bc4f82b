package pdftest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/bpom/naskah/pipeline/pdf"
	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
)

// Verdicts of the independent checkers on one file.
type Verdicts struct {
	Ours   *pdf.Report
	Pdfsig PdfsigResult
	Pdfcpu []*model.SignatureValidationResult
	Qpdf   string // qpdf --check output; "" when it found no damage
}

// CheckSigned fails tb unless every checker accepts data as a PDF whose
// n signatures are all valid and trusted by caPEM and cover it to the end:
// qpdf --check (no damage), poppler's pdfsig ("Signature is Valid",
// "Certificate is Trusted", with caPEM in an NSS database), pdfcpu's
// signature validation (offline, trusting only caPEM) and our Verify. A
// missing tool skips, or fails with NASKAH_REQUIRE_TOOLS=1.
func CheckSigned(tb testing.TB, data, caPEM []byte, n int) Verdicts {
	tb.Helper()
	v := Check(tb, data, caPEM)
	if v.Qpdf != "" {
		tb.Errorf("qpdf --check: %s", v.Qpdf)
	}
	if !v.Ours.Valid || len(v.Ours.Signatures) != n {
		tb.Errorf("our Verify: got valid=%v with %d signatures, want valid with %d: %v %+v", v.Ours.Valid, len(v.Ours.Signatures), n, v.Ours.Problems, v.Ours.Signatures)
	}
	if !v.Pdfsig.AllGood(n) {
		tb.Errorf("pdfsig: got %d signatures, %d valid, %d trusted, whole file %v; want %d all good:\n%s", v.Pdfsig.Total, v.Pdfsig.Valid, v.Pdfsig.Trusted, v.Pdfsig.WholeFile, n, v.Pdfsig.Output)
	}
	if os.Getenv("NASKAH_PDFCPU_DEBUG") != "" {
		tb.Logf("pdfcpu:\n%s", pdfcpuString(v.Pdfcpu))
	}
	if got := pdfcpuValid(v.Pdfcpu); got != n || len(v.Pdfcpu) != n {
		tb.Errorf("pdfcpu: got %d of %d signatures valid, want %d:\n%s", got, len(v.Pdfcpu), n, pdfcpuString(v.Pdfcpu))
	}
	return v
}

// CheckRejected fails tb unless pdfsig, pdfcpu and our Verify all reject
// data (a tampered file). qpdf is not asked: it checks structure, not
// signatures, and a flipped byte in a page leaves a well-formed file.
func CheckRejected(tb testing.TB, data, caPEM []byte) Verdicts {
	tb.Helper()
	return checkRejected(tb, data, caPEM, true)
}

// checkRejected is CheckRejected; withPdfcpu false leaves pdfcpu out,
// which ignores bytes after %%EOF that form no new revision.
func checkRejected(tb testing.TB, data, caPEM []byte, withPdfcpu bool) Verdicts {
	tb.Helper()
	v := Check(tb, data, caPEM)
	if v.Ours.Valid {
		tb.Errorf("our Verify: got valid, want invalid: %+v", v.Ours.Signatures)
	}
	n := v.Pdfsig.Total
	if n > 0 && v.Pdfsig.AllGood(n) {
		tb.Errorf("pdfsig: got all %d signatures good, want a failure:\n%s", n, v.Pdfsig.Output)
	}
	if withPdfcpu && len(v.Pdfcpu) > 0 && pdfcpuValid(v.Pdfcpu) == len(v.Pdfcpu) && pdfcpuWhole(v.Pdfcpu) {
		tb.Errorf("pdfcpu: got all %d signatures valid, want a failure:\n%s", len(v.Pdfcpu), pdfcpuString(v.Pdfcpu))
	}
	return v
}

// CheckTampered makes the three classic forgeries of a signed file and
// checks that every checker rejects each: a byte flipped inside the last
// signature's first signed range, bytes appended after it, and its
// /Contents replaced by the signature value of other (another signed
// file, e.g. the same input signed by someone else).
func CheckTampered(tb testing.TB, data, other, caPEM []byte) {
	tb.Helper()
	br := lastByteRange(tb, data)
	flipped := bytes.Clone(data)
	// A byte in the middle of the first range, not in the xref (whose
	// damage a reader may repair): the header comment's binary bytes
	// are safe to flip and inside every signed range.
	flipped[10] ^= 0x01
	swapped := bytes.Clone(data)
	obr := lastByteRange(tb, other)
	sig := bytes.TrimRight(other[obr[1]+1:obr[2]-1], "0")
	if len(sig)%2 == 1 {
		sig = other[obr[1]+1 : obr[1]+1+len(sig)+1]
	}
	room := swapped[br[1]+1 : br[2]-1]
	if len(sig) > len(room) {
		tb.Fatalf("the other signature (%d hex digits) does not fit the room (%d)", len(sig), len(room))
	}
	copy(room, sig)
	for i := len(sig); i < len(room); i++ {
		room[i] = '0'
	}
	for _, tt := range []struct {
		name   string
		data   []byte
		pdfcpu bool
	}{
		{"byte flipped", flipped, true},
		{"bytes appended", append(bytes.Clone(data), []byte("\n% appended\n")...), false},
		{"contents swapped", swapped, true},
	} {
		if t, ok := tb.(*testing.T); ok {
			t.Run(tt.name, func(t *testing.T) { checkRejected(t, tt.data, caPEM, tt.pdfcpu) })
		} else {
			checkRejected(tb, tt.data, caPEM, tt.pdfcpu)
		}
	}
}

// lastByteRange returns the /ByteRange of the signature that ends last.
func lastByteRange(tb testing.TB, data []byte) [4]int {
	tb.Helper()
	i := bytes.LastIndex(data, []byte("/ByteRange"))
	if i < 0 {
		tb.Fatal("no /ByteRange in the file")
	}
	var br [4]int
	s := string(data[i+len("/ByteRange") : min(len(data), i+120)])
	s = strings.TrimLeft(s, " [")
	if _, err := fmt.Sscan(s, &br[0], &br[1], &br[2], &br[3]); err != nil {
		tb.Fatalf("bad /ByteRange %q: %v", s, err)
	}
	return br
}

// Check runs every checker on data and returns their verdicts.
func Check(tb testing.TB, data, caPEM []byte) Verdicts {
	tb.Helper()
	roots, err := pdf.LoadRoots(caPEM)
	if err != nil {
		tb.Fatal(err)
	}
	var v Verdicts
	v.Ours, err = pdf.Verify(context.Background(), data, pdf.VerifyOptions{Roots: roots})
	if err != nil {
		tb.Fatalf("our Verify: %v", err)
	}
	v.Qpdf = MustQpdfCheck(tb, data)
	v.Pdfsig = MustNSSDBFor(tb, caPEM).MustPdfsig(tb, data)
	v.Pdfcpu = MustPdfcpuValidate(tb, data, caPEM)
	return v
}

// MustQpdfCheck runs qpdf --check on data and returns what it reported
// as damage or warnings ("" for none).
func MustQpdfCheck(tb testing.TB, data []byte) string {
	tb.Helper()
	qpdf := RequireTool(tb, "qpdf")
	f := writeTemp(tb, data)
	out, err := exec.Command(qpdf, "--check", f).CombinedOutput()
	s := string(out)
	if err != nil || strings.Contains(s, "WARNING") || strings.Contains(s, "damaged") || !strings.Contains(s, "No syntax or stream encoding errors found") {
		return fmt.Sprintf("%v\n%s", err, s)
	}
	return ""
}

// MustNSSDBFor creates an NSS database trusting the CA certificates in
// caPEM (certutil), for pdfsig.
func MustNSSDBFor(tb testing.TB, caPEM []byte) NSSDB {
	tb.Helper()
	certutil := RequireTool(tb, "certutil")
	RequireTool(tb, "pdfsig")
	dir := tb.TempDir()
	if out, err := exec.Command(certutil, "-N", "-d", "sql:"+dir, "--empty-password").CombinedOutput(); err != nil {
		tb.Fatalf("certutil -N: %v\n%s", err, out)
	}
	for i, block := range splitPEM(caPEM) {
		ca := filepath.Join(dir, fmt.Sprintf("ca%d.pem", i))
		if err := os.WriteFile(ca, block, 0o644); err != nil {
			tb.Fatal(err)
		}
		if out, err := exec.Command(certutil, "-A", "-d", "sql:"+dir, "-n", fmt.Sprintf("naskah-ca-%d", i), "-t", "CT,C,C", "-i", ca).CombinedOutput(); err != nil {
			tb.Fatalf("certutil -A: %v\n%s", err, out)
		}
	}
	return NSSDB(dir)
}

func splitPEM(b []byte) [][]byte {
	var out [][]byte
	const end = "-----END CERTIFICATE-----"
	for {
		i := bytes.Index(b, []byte(end))
		if i < 0 {
			return out
		}
		out = append(out, bytes.TrimSpace(b[:i+len(end)]))
		b = b[i+len(end):]
	}
}

// pdfcpuMu serialises pdfcpu's validation: its trusted certificates are a
// process-wide directory and pool.
var pdfcpuMu sync.Mutex

// MustPdfcpuValidate validates every signature in data with pdfcpu,
// offline and trusting only caPEM. A file pdfcpu
// cannot read or finds no signature in gives no results.
func MustPdfcpuValidate(tb testing.TB, data, caPEM []byte) []*model.SignatureValidationResult {
	tb.Helper()
	conf := model.NewDefaultConfiguration()
	conf.Offline = true
	return pdfcpuValidate(tb, data, caPEM, conf)
}

func pdfcpuValidate(tb testing.TB, data, caPEM []byte, conf *model.Configuration) []*model.SignatureValidationResult {
	tb.Helper()
	pdfcpuMu.Lock()
	defer pdfcpuMu.Unlock()
	dir := tb.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "naskah-ca.pem"), caPEM, 0o644); err != nil {
		tb.Fatal(err)
	}
	old := model.TrustedCertDir
	model.TrustedCertDir = dir
	pdfcpu.InvalidateCertificatePool()
	defer func() {
		model.TrustedCertDir = old
		pdfcpu.InvalidateCertificatePool()
	}()
	// Offline: nothing leaves the machine. pdfcpu then cannot check
	// revocation (online it refuses loopback responders anyway, and it
	// does not take the embedded OCSP answers as conclusive), see
	// pdfcpuValid.
	res, err := api.ValidateSignaturesRaw(bytes.NewReader(data), true, conf)
	if err != nil {
		tb.Logf("pdfcpu: %v", err)
		return nil
	}
	return res
}

// pdfcpuValid counts the signatures pdfcpu found intact and chained to
// the trusted CA. pdfcpu v0.15 says "valid" only with revocation evidence
// it accepts; offline it has none and says "unknown" with exactly that
// reason, which counts here: every other failure (digest, chain,
// modification) has its own reason and does not.
func pdfcpuValid(rs []*model.SignatureValidationResult) int {
	n := 0
	for _, r := range rs {
		if r.Status == model.SignatureStatusValid ||
			r.Status == model.SignatureStatusUnknown && r.Reason == model.SignatureReasonCertRevocationUnknown {
			n++
		}
	}
	return n
}

// pdfcpuWhole reports whether pdfcpu saw no change after the signatures.
func pdfcpuWhole(rs []*model.SignatureValidationResult) bool {
	for _, r := range rs {
		if r.DocModified != 0 && r.Signature.Type != model.SigTypeForm {
			return false
		}
	}
	return true
}

func pdfcpuString(rs []*model.SignatureValidationResult) string {
	var b strings.Builder
	for _, r := range rs {
		fmt.Fprintf(&b, "%s: %s %v\n", r.Status, r.Reason, r.Problems)
		for _, sg := range r.Details.Signers {
			fmt.Fprintf(&b, "  signer problems: %v\n", sg.Problems)
		}
	}
	return b.String()
}

func writeTemp(tb testing.TB, data []byte) string {
	tb.Helper()
	f, err := os.CreateTemp(tb.TempDir(), "*.pdf")
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write(data); err != nil {
		tb.Fatal(err)
	}
	return f.Name()
}
