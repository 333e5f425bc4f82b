package pdf_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	_ "crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"math/big"
	"strings"
	"testing"
	"time"

	pdfreader "github.com/digitorus/pdf"
	"github.com/digitorus/pkcs7"
	"github.com/digitorus/timestamp"

	"github.com/bpom/naskah/pipeline/pdf"
	"github.com/bpom/naskah/pipeline/pdf/internal/devca"
	"github.com/bpom/naskah/pipeline/pdf/pdftest"
)

// weakSigner is a signer whose certificate, issued by p's CA for document
// signing, holds key.
func weakSigner(t *testing.T, p *pdftest.PKI, name string, key crypto.Signer) *pdf.Signer {
	t.Helper()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: name, Organization: []string{"BPOM"}},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageEmailProtection}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.CA.Cert, key.Public(), p.CA.Key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &pdf.Signer{Key: key, Certificate: c, Chain: []*x509.Certificate{p.CA.Cert}, Name: name}
}

// TestVerifyWeakKeys: a signature made by another tool (pdfsig) with an
// RSA-1024 key, or by a P-224 key, chains to our roots and its digest is
// intact, yet it is not valid: keys that weak are refused at verify as
// at sign.
func TestVerifyWeakKeys(t *testing.T) {
	f := mustFixture(t)
	rsa1024, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	p224, err := ecdsa.GenerateKey(elliptic.P224(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	weakRSA := weakSigner(t, f.pki, "Penanda RSA 1024", rsa1024)
	db := f.pki.MustNSSDB(t)
	signed := map[string][]byte{
		"RSA-1024 by pdfsig": db.MustPdfsigSign(t, pdftest.PDF(pdftest.Portrait), db.MustImportSigner(t, weakRSA)),
		"RSA-1024":           rawSign(t, pdftest.PDF(), weakRSA, crypto.SHA256),
		"ECDSA P-224":        rawSign(t, pdftest.PDF(), weakSigner(t, f.pki, "Penanda P-224", p224), crypto.SHA256),
	}
	for name, out := range signed {
		rep := MustVerify(t, out, f.verifyOp)
		if len(rep.Signatures) != 1 || !rep.Signatures[0].DigestIntact {
			t.Fatalf("%s: got %+v, want one intact signature", name, rep.Signatures)
		}
		if rep.Valid || !strings.Contains(strings.Join(rep.Signatures[0].Problems, "\n"), "too weak") {
			t.Errorf("%s: got valid=%v %q, want invalid: the key is too weak", name, rep.Valid, rep.Signatures[0].Problems)
		}
	}
	if _, err := pdf.Sign(context.Background(), pdftest.PDF(), weakRSA, pdf.SignOptions{Roots: f.pki.Roots}); err == nil {
		t.Errorf("sign with RSA-1024: got no error, want it refused")
	}
}

// TestVerifyWeakTimestamp: a timestamp token whose imprint of the
// signature is SHA-1, or that the TSA signed with SHA-1, makes the
// signature invalid, though the token matches and its TSA is trusted.
func TestVerifyWeakTimestamp(t *testing.T) {
	f := mustFixture(t)
	// A padded token leaves room for the weak one to be padded to its length.
	signed := MustSign(t, pdftest.PDF(), f.kepala, pdf.SignOptions{TSAURL: f.pki.MustBigTSA(t, 100), Roots: f.pki.Roots, Level: pdf.LevelBT})
	if rep := MustVerify(t, signed, f.verifyOp); !rep.Valid || rep.Signatures[0].Timestamp == nil || !rep.Signatures[0].Timestamp.Trusted {
		t.Fatalf("with a SHA-256 timestamp: got %+v, want valid and trusted", rep)
	}
	tsaCert, tsaKey, err := f.pki.CA.Issue(devca.Spec{CommonName: "Naskah Test TSA SHA-1", TSA: true})
	if err != nil {
		t.Fatal(err)
	}
	for name, hashes := range map[string][2]crypto.Hash{
		"SHA-1 imprint":       {crypto.SHA1, crypto.SHA256},
		"SHA-1 TSA signature": {crypto.SHA256, crypto.SHA1},
	} {
		out := replaceTimestamp(t, signed, tsaCert, tsaKey, hashes[0], hashes[1])
		rep := MustVerify(t, out, f.verifyOp)
		if len(rep.Signatures) != 1 || !rep.Signatures[0].DigestIntact || rep.Signatures[0].Timestamp == nil {
			t.Fatalf("%s: got %+v, want one intact timestamped signature", name, rep.Signatures)
		}
		if rep.Valid || rep.Signatures[0].Timestamp.Valid || !strings.Contains(strings.Join(rep.Signatures[0].Problems, "\n"), "no longer secure") {
			t.Errorf("%s: got valid=%v timestamp %+v %q, want invalid: SHA-1 is no longer secure", name, rep.Valid, rep.Signatures[0].Timestamp, rep.Signatures[0].Problems)
		}
	}
}

// replaceTimestamp swaps the timestamp token of data's only signature for
// one over the signature value made with imprint, signed by the TSA with
// sig, padded to the old token's length so the file keeps its layout (the
// token is an unsigned attribute: the signature still verifies).
func replaceTimestamp(t *testing.T, data []byte, cert *x509.Certificate, key crypto.Signer, imprint, sig crypto.Hash) []byte {
	t.Helper()
	rdr, err := pdfreader.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	v := rdr.Trailer().Key("Root").Key("AcroForm").Key("Fields").Index(0).Key("V")
	br := v.Key("ByteRange")
	start, end := int(br.Index(1).Int64())+1, int(br.Index(2).Int64())-1
	der, err := hex.DecodeString(string(data[start:end]))
	if err != nil {
		t.Fatal(err)
	}
	p7, err := pkcs7.Parse([]byte(v.Key("Contents").RawString()))
	if err != nil {
		t.Fatal(err)
	}
	var old []byte
	for _, a := range p7.Signers[0].UnauthenticatedAttributes {
		if a.Type.Equal(asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 14}) {
			old = a.Value.Bytes
		}
	}
	at := bytes.Index(der, old)
	if old == nil || at < 0 {
		t.Fatal("no timestamp token in the signature")
	}
	h := imprint.New()
	h.Write(p7.Signers[0].EncryptedDigest)
	hashed := h.Sum(nil)
	// The TSA serial number and ECDSA signatures vary in length by a few
	// bytes: near the length, each pad is tried again with a new token.
	make1 := func(pad int) []byte {
		// timestamp makes SHA-256 tokens only: its TSTInfo gets the imprint
		// and is signed again with sig.
		ts := timestamp.Timestamp{HashAlgorithm: crypto.SHA256, HashedMessage: make([]byte, 32), Time: time.Now().UTC().Truncate(time.Second),
			Policy: []int{1, 3, 6, 1, 4, 1, 99999, 1}, Accuracy: time.Second, AddTSACertificate: true,
			ExtraExtensions: []pkix.Extension{{Id: asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 99999, 2}, Value: make([]byte, pad)}}}
		resp, err := ts.CreateResponseWithOpts(cert, key, crypto.SHA256)
		if err != nil {
			t.Fatal(err)
		}
		tok, err := timestamp.ParseResponse(resp)
		if err != nil {
			t.Fatal(err)
		}
		return resignToken(t, tok.RawToken, imprint, hashed, sig, cert, key)
	}
	for pad := 1; pad < 2000; pad++ {
		raw := make1(pad)
		for try := 0; try < 100 && len(raw) != len(old) && len(raw) > len(old)-8; try++ {
			raw = make1(pad)
		}
		if len(raw) > len(old)+16 {
			break
		}
		if len(raw) == len(old) {
			copy(der[at:], raw)
			out := bytes.Clone(data)
			copy(out[start:], strings.ToUpper(hex.EncodeToString(der)))
			if !bytes.Equal(bytes.ToUpper(data[start:end]), data[start:end]) {
				copy(out[start:], hex.EncodeToString(der))
			}
			return out
		}
	}
	t.Fatal("no padding makes the new token as long as the old one")
	return nil
}

// resignToken is token with its message imprint replaced, signed again
// by the TSA with sig.
func resignToken(t *testing.T, token []byte, imprint crypto.Hash, hashed []byte, sig crypto.Hash, cert *x509.Certificate, key crypto.Signer) []byte {
	t.Helper()
	p7, err := pkcs7.Parse(token)
	if err != nil {
		t.Fatal(err)
	}
	var fields []asn1.RawValue // TSTInfo: version, policy, messageImprint, ...
	if _, err := asn1.Unmarshal(p7.Content, &fields); err != nil || len(fields) < 3 {
		t.Fatalf("TSTInfo: %v", err)
	}
	oid := map[crypto.Hash]asn1.ObjectIdentifier{crypto.SHA1: pkcs7.OIDDigestAlgorithmSHA1, crypto.SHA256: pkcs7.OIDDigestAlgorithmSHA256}
	mi, err := asn1.Marshal(struct {
		Alg    pkix.AlgorithmIdentifier
		Hashed []byte
	}{pkix.AlgorithmIdentifier{Algorithm: oid[imprint], Parameters: asn1.NullRawValue}, hashed})
	if err != nil {
		t.Fatal(err)
	}
	fields[2] = asn1.RawValue{FullBytes: mi}
	content, err := asn1.Marshal(fields)
	if err != nil {
		t.Fatal(err)
	}
	sd, err := pkcs7.NewSignedData(content)
	if err != nil {
		t.Fatal(err)
	}
	sd.SetDigestAlgorithm(oid[sig])
	sd.SetContentType(asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 1, 4})
	if err := sd.AddSigner(cert, key, pkcs7.SignerInfoConfig{}); err != nil {
		t.Fatal(err)
	}
	out, err := sd.Finish()
	if err != nil {
		t.Fatal(err)
	}
	return out
}
