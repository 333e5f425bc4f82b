package pdf

import (
	"crypto"
	"crypto/dsa" //nolint:staticcheck // only to refuse DSA keys
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"encoding/asn1"
	"fmt"
	"slices"

	"github.com/digitorus/pkcs7"
	"github.com/digitorus/timestamp"
)

// Document-signing extended key usages besides emailProtection and
// anyExtendedKeyUsage.
var (
	oidAdobeDocSigning     = asn1.ObjectIdentifier{1, 2, 840, 113583, 1, 1, 5}
	oidMicrosoftDocSigning = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 10, 3, 12}
	oidDocumentSigning     = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 36} // RFC 9336
)

// certPurpose returns why cert may not sign documents, or nil. keyUsage,
// when present, must allow digitalSignature or nonRepudiation;
// extendedKeyUsage, when present, must allow document signing. A TLS or
// encryption certificate signs nothing here.
func certPurpose(c *x509.Certificate) error {
	if c.KeyUsage != 0 && c.KeyUsage&(x509.KeyUsageDigitalSignature|x509.KeyUsageContentCommitment) == 0 {
		return fmt.Errorf("sertifikat %q tidak diterbitkan untuk tanda tangan (keyUsage tanpa digitalSignature/nonRepudiation) — the certificate of %q is not for signing (its keyUsage allows neither digitalSignature nor nonRepudiation): use a signing certificate", c.Subject.CommonName, c.Subject.CommonName)
	}
	if len(c.ExtKeyUsage) == 0 && len(c.UnknownExtKeyUsage) == 0 {
		return nil
	}
	if slices.Contains(c.ExtKeyUsage, x509.ExtKeyUsageEmailProtection) || slices.Contains(c.ExtKeyUsage, x509.ExtKeyUsageAny) {
		return nil
	}
	for _, o := range c.UnknownExtKeyUsage {
		if o.Equal(oidAdobeDocSigning) || o.Equal(oidMicrosoftDocSigning) || o.Equal(oidDocumentSigning) {
			return nil
		}
	}
	return fmt.Errorf("sertifikat %q tidak diterbitkan untuk menandatangani dokumen (extendedKeyUsage) — the certificate of %q is not for signing documents (its extendedKeyUsage allows neither e-mail protection nor document signing): use a signing certificate", c.Subject.CommonName, c.Subject.CommonName)
}

// weakCertAlgorithm reports a certificate signed with MD5 or SHA-1.
func weakCertAlgorithm(c *x509.Certificate) bool {
	switch c.SignatureAlgorithm {
	case x509.MD2WithRSA, x509.MD5WithRSA, x509.SHA1WithRSA, x509.DSAWithSHA1, x509.ECDSAWithSHA1:
		return true
	}
	return false
}

// certAlgorithms returns why the signer's certificate or its chain uses
// a key too weak (keyStrength, the root too: its key signs the chain) or
// a broken signature algorithm (not checked on the root, whose
// self-signature proves nothing), or nil.
func certAlgorithms(chain []*x509.Certificate) error {
	for i, c := range chain {
		if err := keyStrength(c); err != nil {
			return err
		}
		if i > 0 && i == len(chain)-1 {
			break
		}
		if weakCertAlgorithm(c) {
			return fmt.Errorf("sertifikat %q ditandatangani dengan %s yang tidak aman lagi — the certificate %q is signed with %s, which is no longer secure", c.Subject.CommonName, c.SignatureAlgorithm, c.Subject.CommonName, c.SignatureAlgorithm)
		}
	}
	return nil
}

// signingDigest returns the digest for key: opts wins when set (SHA-256,
// -384 or -512 only); otherwise one of the key's strength: SHA-384 for
// P-384 and RSA keys of 4096 bits or more, SHA-512 for P-521, SHA-256
// for the rest.
func signingDigest(pub crypto.PublicKey, want crypto.Hash) (crypto.Hash, error) {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if k.N.BitLen() < 2048 {
			return 0, fmt.Errorf("kunci RSA %d bit terlalu lemah: minimal 2048 — the %d-bit RSA key is too weak: at least 2048 bits are required", k.N.BitLen(), k.N.BitLen())
		}
		if want == 0 {
			want = crypto.SHA256
			if k.N.BitLen() >= 4096 {
				want = crypto.SHA384
			}
		}
	case *ecdsa.PublicKey:
		if want == 0 {
			switch k.Curve.Params().BitSize {
			case 384:
				want = crypto.SHA384
			case 521:
				want = crypto.SHA512
			default:
				want = crypto.SHA256
			}
		}
	default:
		return 0, fmt.Errorf("jenis kunci %T tidak didukung: gunakan RSA atau ECDSA — the key type %T is not supported: use an RSA or ECDSA key", pub, pub)
	}
	switch want {
	case crypto.SHA256, crypto.SHA384, crypto.SHA512:
		return want, nil
	}
	return 0, fmt.Errorf("algoritma digest %v tidak diizinkan: gunakan SHA-256, SHA-384 atau SHA-512 — the digest %v is not allowed: use SHA-256, SHA-384 or SHA-512", want, want)
}

// Weak CMS algorithm identifiers: digests and signature algorithms made
// with MD5 or SHA-1.
var weakCMSAlgorithms = []asn1.ObjectIdentifier{
	{1, 2, 840, 113549, 2, 5},    // md5
	{1, 3, 14, 3, 2, 26},         // sha1
	{1, 2, 840, 113549, 1, 1, 4}, // md5WithRSAEncryption
	{1, 2, 840, 113549, 1, 1, 5}, // sha1WithRSAEncryption
	{1, 2, 840, 10045, 4, 1},     // ecdsa-with-SHA1
	{1, 2, 840, 10040, 4, 3},     // dsa-with-sha1
	{1, 3, 14, 3, 2, 29},         // sha1WithRSA (OIW)
}

func weakCMSAlgorithm(o asn1.ObjectIdentifier) bool {
	return slices.ContainsFunc(weakCMSAlgorithms, o.Equal)
}

// keyStrength returns why a certificate's public key is too weak to trust
// a signature by it (or a certificate it issued), or nil: RSA keys of at
// least 2048 bits and ECDSA keys on P-256 or a larger curve. Sign checks
// the signer's key (signingDigest); Verify checks every certificate of the
// chain, since other tools sign with weaker keys.
func keyStrength(c *x509.Certificate) error {
	switch k := c.PublicKey.(type) {
	case *rsa.PublicKey:
		if n := k.N.BitLen(); n < 2048 {
			return fmt.Errorf("kunci RSA %d bit pada sertifikat %q terlalu lemah: minimal 2048 — the %d-bit RSA key of the certificate %q is too weak: at least 2048 bits are required", n, c.Subject.CommonName, n, c.Subject.CommonName)
		}
	case *ecdsa.PublicKey:
		if n := k.Curve.Params().BitSize; n < 256 {
			return fmt.Errorf("kunci ECDSA %d bit pada sertifikat %q terlalu lemah: minimal P-256 — the %d-bit ECDSA key of the certificate %q is too weak: at least P-256 is required", n, c.Subject.CommonName, n, c.Subject.CommonName)
		}
	case *dsa.PublicKey:
		return fmt.Errorf("kunci DSA pada sertifikat %q tidak aman lagi — the DSA key of the certificate %q is no longer secure", c.Subject.CommonName, c.Subject.CommonName)
	}
	return nil
}

// weakTimestamp adds to tr why an RFC 3161 token is not to be trusted
// for its algorithms and reports whether it did: the message imprint or
// the TSA's signature made with MD5 or SHA-1 (a SHA-1 token can be
// forged for another signature), or a TSA key too weak (keyStrength).
func weakTimestamp(tr *TimestampReport, ts *timestamp.Timestamp, tsa *pkcs7.PKCS7) bool {
	problem := ""
	switch {
	case ts.HashAlgorithm == crypto.MD5 || ts.HashAlgorithm == crypto.SHA1:
		problem = fmt.Sprintf("the timestamp is for a %v digest of the signature, which is no longer secure", ts.HashAlgorithm)
	case len(tsa.Signers) != 1:
		problem = "the timestamp token has no single signer"
	case weakCMSAlgorithm(tsa.Signers[0].DigestAlgorithm.Algorithm) || weakCMSAlgorithm(tsa.Signers[0].DigestEncryptionAlgorithm.Algorithm):
		problem = fmt.Sprintf("the timestamp authority signed with MD5 or SHA-1 (%v, %v), which are no longer secure", tsa.Signers[0].DigestAlgorithm.Algorithm, tsa.Signers[0].DigestEncryptionAlgorithm.Algorithm)
	}
	if c := tsa.GetOnlySigner(); problem == "" && c != nil {
		if err := keyStrength(c); err != nil {
			problem = "the timestamp authority's key: " + err.Error()
		} else if weakCertAlgorithm(c) {
			problem = fmt.Sprintf("the timestamp authority's certificate is signed with %s, which is no longer secure", c.SignatureAlgorithm)
		}
	}
	if problem == "" {
		return false
	}
	tr.Problems = append(tr.Problems, problem)
	return true
}
