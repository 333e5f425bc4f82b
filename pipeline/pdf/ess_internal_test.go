package pdf

import (
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"testing"
	"time"

	"github.com/bpom/naskah/pipeline/pdf/internal/devca"
	"github.com/digitorus/pkcs7"
)

// TestESSBinding: the signing-certificate-v2 attribute of our CMS binds
// the signer's certificate; with another certificate for the same key
// swapped in, the binding fails, and baselineLevel reports it as a
// problem that makes the signature untrusted.
func TestESSBinding(t *testing.T) {
	ca, err := devca.NewCA("ESS Test CA", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	cert, key, err := ca.Issue(devca.Spec{CommonName: "Pejabat A", Key: "p256"})
	if err != nil {
		t.Fatal(err)
	}
	other, err := ca.IssueFor(devca.Spec{CommonName: "Pejabat B"}, key.Public())
	if err != nil {
		t.Fatal(err)
	}
	digest := sha256.Sum256([]byte("document"))
	der, err := buildCAdES(context.Background(), digest[:], cadesInput{key: key, cert: cert, chain: []*x509.Certificate{cert, ca.Cert}, digest: crypto.SHA256})
	if err != nil {
		t.Fatal(err)
	}
	p7, err := pkcs7.Parse(der)
	if err != nil {
		t.Fatal(err)
	}
	if bound, present := essBinding(p7, cert); !bound || !present {
		t.Errorf("own certificate: bound %v present %v, want both", bound, present)
	}
	if bound, present := essBinding(p7, other); bound || !present {
		t.Errorf("swapped certificate: bound %v present %v, want present, not bound", bound, present)
	}
	sr := SignatureReport{Certificate: other, DigestIntact: true, Trusted: true}
	var problems []string
	level := baselineLevel("ETSI.CAdES.detached", p7, &sr, func(f string, a ...any) { problems = append(problems, f) })
	if level != "" || sr.Trusted || len(problems) != 1 {
		t.Errorf("swapped certificate: level %q trusted %v problems %v; want no level, untrusted, one problem", level, sr.Trusted, problems)
	}
	sr = SignatureReport{Certificate: cert, DigestIntact: true, Trusted: true}
	if level := baselineLevel("ETSI.CAdES.detached", p7, &sr, func(string, ...any) { t.Error("unexpected problem") }); level != LevelBB {
		t.Errorf("own certificate: level %q, want B-B", level)
	}
}
