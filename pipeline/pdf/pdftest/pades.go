package pdftest

import (
	"bytes"
	"encoding/hex"
	"os/exec"
	"strings"
	"testing"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
)

// Signatures returns the DER CMS of every signature in data, in file
// order: each /ByteRange's gap, hex-decoded, without the zero padding
// (the DER's own length says where it ends).
func Signatures(tb testing.TB, data []byte) [][]byte {
	tb.Helper()
	var out [][]byte
	for off := 0; ; {
		i := bytes.Index(data[off:], []byte("/ByteRange"))
		if i < 0 {
			return out
		}
		br := lastByteRange(tb, data[:off+i+120])
		off += i + 1
		der, err := hex.DecodeString(string(data[br[1]+1 : br[2]-1]))
		if err != nil {
			tb.Fatalf("signature at %d: %v", br[1], err)
		}
		if len(der) > 4 && der[0] == 0x30 && der[1] == 0x82 {
			der = der[:4+(int(der[2])<<8|int(der[3]))]
		} else if len(der) > 5 && der[0] == 0x30 && der[1] == 0x83 {
			der = der[:5+(int(der[2])<<16|int(der[3])<<8|int(der[4]))]
		}
		out = append(out, der)
	}
}

// MustCMSPrint is `openssl cms -cmsout -print` of a DER CMS.
func MustCMSPrint(tb testing.TB, der []byte) string {
	tb.Helper()
	openssl := RequireTool(tb, "openssl")
	f := writeTemp(tb, der)
	out, err := exec.Command(openssl, "cms", "-cmsout", "-print", "-inform", "DER", "-in", f).CombinedOutput()
	if err != nil {
		tb.Fatalf("openssl cms -cmsout -print: %v\n%s", err, out)
	}
	return string(out)
}

// CheckCAdESAttributes fails tb unless openssl reads der as a CMS whose
// signed attributes are PAdES baseline ones: content-type, message-digest
// and signing-certificate-v2, and no signingTime. With timestamp, the
// signature-time-stamp unsigned attribute must be there.
func CheckCAdESAttributes(tb testing.TB, der []byte, timestamp bool) {
	tb.Helper()
	all := MustCMSPrint(tb, der)
	// The signer's own signed attributes come before its unsigned ones,
	// where the timestamp token (with its TSA's signingTime) is printed.
	s, _, _ := strings.Cut(all, "unsignedAttrs:")
	for _, want := range []string{"contentType", "messageDigest", "signingCertificateV2"} {
		if !strings.Contains(s, want) {
			tb.Errorf("openssl cms: no %s attribute:\n%s", want, s)
		}
	}
	if strings.Contains(s, "signingTime") {
		tb.Errorf("openssl cms: a signingTime attribute (not allowed in PAdES baseline):\n%s", s)
	}
	if got := strings.Contains(all, "id-smime-aa-timeStampToken"); got != timestamp {
		tb.Errorf("openssl cms: signature-time-stamp present %v, want %v", got, timestamp)
	}
}

// PdfcpuPAdES returns pdfcpu's PAdES conclusion and timestamp presence
// for each signer it validated.
func PdfcpuPAdES(rs []*model.SignatureValidationResult) (levels []string, timestamps []bool) {
	for _, r := range rs {
		for _, s := range r.Details.Signers {
			levels = append(levels, s.PAdES)
			timestamps = append(timestamps, s.HasTimestamp)
		}
	}
	return levels, timestamps
}

// MustPdfcpuValidateLoopback is MustPdfcpuValidate with pdfcpu online but
// allowed to reach 127.0.0.1 only: it then asks the test OCSP responder
// itself and, for an intact signature whose revocation it established,
// concludes "valid" and its PAdES profile. Only for files signed with
// this package's PKI, whose certificates name loopback responders or
// none: pdfcpu refuses other private hosts but not public ones.
func MustPdfcpuValidateLoopback(tb testing.TB, data, caPEM []byte) []*model.SignatureValidationResult {
	tb.Helper()
	conf := model.NewDefaultConfiguration()
	conf.Offline = false
	conf.AllowedRevocationHosts = []string{"127.0.0.1"}
	return pdfcpuValidate(tb, data, caPEM, conf)
}

// CheckLongTerm fails tb unless every checker accepts data as n valid,
// trusted signatures followed only by long-term validation data (a /DSS
// update): qpdf --check clean, pdfsig all valid and trusted (the last
// one does not cover the appended DSS, which pdfsig reports as "not
// total document signed"), pdfcpu offline and online-on-loopback (it
// reads the DSS: valid with the PAdES B-B profile), and our Verify valid
// with ValidationDataAfter.
func CheckLongTerm(tb testing.TB, data, caPEM []byte, n int) Verdicts {
	tb.Helper()
	v := Check(tb, data, caPEM)
	if v.Qpdf != "" {
		tb.Errorf("qpdf --check: %s", v.Qpdf)
	}
	if !v.Ours.Valid || len(v.Ours.Signatures) != n || !v.Ours.ValidationDataAfter {
		tb.Errorf("our Verify: got valid=%v with %d signatures, validation data after %v; want valid with %d: %v %+v", v.Ours.Valid, len(v.Ours.Signatures), v.Ours.ValidationDataAfter, n, v.Ours.Problems, v.Ours.Signatures)
	}
	if r := v.Pdfsig; r.Total != n || r.Valid != n || r.Trusted != n {
		tb.Errorf("pdfsig: got %d signatures, %d valid, %d trusted; want %d all good:\n%s", r.Total, r.Valid, r.Trusted, n, r.Output)
	}
	if got := pdfcpuValid(v.Pdfcpu); got != n || len(v.Pdfcpu) != n {
		tb.Errorf("pdfcpu: got %d of %d signatures valid, want %d:\n%s", got, len(v.Pdfcpu), n, pdfcpuString(v.Pdfcpu))
	}
	online := MustPdfcpuValidateLoopback(tb, data, caPEM)
	for i, r := range online {
		if r.Status != model.SignatureStatusValid {
			tb.Errorf("pdfcpu (OCSP on loopback): signature %d: %s, %s:\n%s", i+1, r.Status, r.Reason, pdfcpuString(online))
		}
	}
	if levels, _ := PdfcpuPAdES(online); len(levels) != n {
		tb.Errorf("pdfcpu: %d signers, want %d", len(levels), n)
	} else {
		for i, l := range levels {
			if l != "B-B" {
				tb.Errorf("pdfcpu: signature %d: PAdES profile %q, want B-B", i+1, l)
			}
		}
	}
	return v
}

// CheckArchival fails tb unless every checker accepts data as n valid,
// trusted signatures, one or more document timestamps (dts) and
// validation data after them: qpdf --check clean; pdfsig lists n+dts
// signatures of which the n are valid and trusted (poppler cannot
// validate ETSI.RFC3161 document timestamps and says so); pdfcpu,
// offline and online on loopback, finds all valid, the PAdES B-B
// profile on the signatures and the document timestamps; our Verify
// valid.
func CheckArchival(tb testing.TB, data, caPEM []byte, n, dts int) Verdicts {
	tb.Helper()
	v := Check(tb, data, caPEM)
	if v.Qpdf != "" {
		tb.Errorf("qpdf --check: %s", v.Qpdf)
	}
	if !v.Ours.Valid || len(v.Ours.Signatures) != n+dts {
		tb.Errorf("our Verify: got valid=%v with %d signatures; want valid with %d: %v %+v", v.Ours.Valid, len(v.Ours.Signatures), n+dts, v.Ours.Problems, v.Ours.Signatures)
	}
	if r := v.Pdfsig; r.Total != n+dts || r.Valid != n || r.Trusted != n || strings.Count(r.Output, "Unable to validate this type of signature") < 1 {
		tb.Errorf("pdfsig: got %d signatures, %d valid, %d trusted; want %d, %d valid and trusted, the document timestamps unvalidated:\n%s", r.Total, r.Valid, r.Trusted, n+dts, n, r.Output)
	}
	if got := pdfcpuValid(v.Pdfcpu); got != n+dts || len(v.Pdfcpu) != n+dts {
		tb.Errorf("pdfcpu: got %d of %d signatures valid, want %d:\n%s", got, len(v.Pdfcpu), n+dts, pdfcpuString(v.Pdfcpu))
	}
	online := MustPdfcpuValidateLoopback(tb, data, caPEM)
	sigs, stamps := 0, 0
	for i, r := range online {
		if r.Status != model.SignatureStatusValid {
			tb.Errorf("pdfcpu (OCSP on loopback): signature %d: %s, %s:\n%s", i+1, r.Status, r.Reason, pdfcpuString(online))
		}
		if r.Signature.Type == model.SigTypeDTS {
			stamps++
			continue
		}
		for _, s := range r.Details.Signers {
			sigs++
			if s.PAdES != "B-B" {
				tb.Errorf("pdfcpu: signature %d: PAdES profile %q, want B-B", i+1, s.PAdES)
			}
		}
	}
	if sigs != n || stamps != dts {
		tb.Errorf("pdfcpu: %d signers and %d document timestamps, want %d and %d:\n%s", sigs, stamps, n, dts, pdfcpuString(online))
	}
	return v
}
