package pdftest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bpom/naskah/pipeline/pdf"
	"software.sslmate.com/src/go-pkcs12"
)

// MustImportSigner imports s's key and certificate into the NSS database
// (pk12util), so that pdfsig can sign with it, and returns the nickname
// NSS gave it.
func (db NSSDB) MustImportSigner(tb testing.TB, s *pdf.Signer) string {
	tb.Helper()
	pk12util := RequireTool(tb, "pk12util")
	p12, err := pkcs12.Modern.Encode(s.Key, s.Certificate, s.Chain, "test")
	if err != nil {
		tb.Fatal(err)
	}
	file := filepath.Join(tb.TempDir(), "signer.p12")
	if err := os.WriteFile(file, p12, 0o600); err != nil {
		tb.Fatal(err)
	}
	if out, err := exec.Command(pk12util, "-i", file, "-d", "sql:"+string(db), "-W", "test", "-K", "").CombinedOutput(); err != nil {
		tb.Fatalf("pk12util: %v\n%s", err, out)
	}
	out, err := exec.Command(RequireTool(tb, "certutil"), "-L", "-d", "sql:"+string(db)).CombinedOutput()
	if err != nil {
		tb.Fatalf("certutil -L: %v\n%s", err, out)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, s.Certificate.Subject.CommonName) {
			f := strings.Fields(line)
			return strings.Join(f[:len(f)-1], " ")
		}
	}
	tb.Fatalf("pk12util imported no certificate for %q:\n%s", s.Certificate.Subject.CommonName, out)
	return ""
}

// MustPdfsigSign adds a signature to data with pdfsig -add-signature as
// the certificate nick of the database.
func (db NSSDB) MustPdfsigSign(tb testing.TB, data []byte, nick string) []byte {
	tb.Helper()
	pdfsig := RequireTool(tb, "pdfsig")
	in := writeTemp(tb, data)
	out := in + ".signed.pdf"
	if o, err := exec.Command(pdfsig, "-add-signature", "-nssdir", "sql:"+string(db), "-nss-pwd", "", "-nick", nick, "-reason", "Countersigned", in, out).CombinedOutput(); err != nil {
		tb.Fatalf("pdfsig -add-signature: %v\n%s", err, o)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}
