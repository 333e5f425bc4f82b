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
