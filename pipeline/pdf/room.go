package pdf

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"fmt"
	"time"

	"github.com/bpom/naskah"
	"github.com/digitorus/pdfsign/sign"
	"github.com/digitorus/pkcs7"
)

// Sizing pdfsign's /Contents room.
//
// pdfsign (SignPDF) reserves room for the CMS signature from a fixed base
// of 512 bytes plus the certificates, revocation data and a TSA allowance,
// and adds room for the key's signature only through a switch on the
// *issuer's* algorithm whose cases are empty (no fallthrough): an RSA-3072
// or RSA-4096 signature overflows. On overflow it logs "Signature too long"
// and calls SignPDF again on the same context, which keeps the first try's
// xref entries (pdfsign issue #135): a damaged file. The retry must never
// run, so we make pdfsign's own estimate at least our upper bound.
//
// We cannot set SignatureMaxLengthBase ourselves: building the SignContext
// by hand skips sign.Sign's unexported existingSignatures, and pdfsign
// would then drop the earlier signature fields from /AcroForm /Fields.
// So we call sign.Sign and use the one input that pdfsign counts but
// nothing writes: the signer certificate's RawIssuer. pdfsign adds its
// length to the estimate (sign.go), and pkcs7.AddSignerChain takes the
// issuer name from the first chain certificate's RawSubject whenever a
// chain is given (we always give one, see signChain). We hand pdfsign a
// shallow copy of the certificate whose RawIssuer is padded to the length
// that makes the estimate equal our room; the certificate's DER (Raw),
// which is what is embedded and hashed, is untouched. Sign then checks
// that the room in the output is exactly the one computed here and that
// pdfsign wrote once (a retry writes twice), and proves the file.
//
// Only a timestamp token's size is unknown before signing. A TSA whose
// token outgrows its allowance makes pdfsign retry; that output is
// dropped (never returned or stored) and Sign signs once more, from
// scratch, with room for the token (TestSignLargeTimestamp).

// cmsBound is an upper bound, in bytes, of the DER CMS signature pdfsign
// will make for sd (sd.Certificate is the real certificate).
func cmsBound(sd sign.SignData, tsaAllowance int) int {
	// ContentInfo, SignedData, SignerInfo and the five signed attributes
	// (content type, message digest, signing time, revocation archive,
	// signing certificate v2) take about 450 bytes of ASN.1 around the
	// variable parts counted below; 1024 leaves room for long lengths.
	n := 1024
	n += maxSignatureSize(sd.Certificate.PublicKey)
	n += 2 * sd.DigestAlgorithm.Size() // message digest and certificate hash
	n += len(sd.Certificate.SerialNumber.Bytes()) + 8
	for i, c := range sd.CertificateChains[0] {
		n += len(c.Raw) + 8
		if i == 1 {
			n += len(c.RawSubject) + 8 // the issuer name in IssuerAndSerialNumber
		}
	}
	for _, r := range sd.RevocationData.CRL {
		n += len(r.FullBytes) + 8
	}
	for _, r := range sd.RevocationData.OCSP {
		n += len(r.FullBytes) + 8
	}
	// The issuerSerial of our signing-certificate-v2 (cades.go) repeats
	// the issuer name and serial.
	n += len(sd.Certificate.RawIssuer) + len(sd.Certificate.SerialNumber.Bytes()) + 24
	// The token's size is known only once the TSA answers: a larger one
	// than tsaAllowance is a roomError and Sign signs again with room for
	// it (0 without a TSA).
	n += tsaAllowance
	return n
}

// defaultTSAAllowance is the room for a timestamp token, as pdfsign's.
const defaultTSAAllowance = 9000

// roomError reports that the signature outgrew its room (pdfsign's retry
// ran and its output was dropped): need is the signature's size in bytes.
type roomError struct{ room, need int }

func (e *roomError) Error() string {
	return fmt.Sprintf("sign: the signature (%d bytes) outgrew its room (%d bytes): pdfsign retried, output dropped", e.need, e.room/2)
}

// maxSignatureSize is the largest signature value the key makes: an RSA
// signature is the modulus size; an ECDSA one is a DER SEQUENCE of two
// integers of at most the order's size plus a sign byte.
func maxSignatureSize(pub any) int {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return (k.N.BitLen() + 7) / 8
	case *ecdsa.PublicKey:
		size := (k.Curve.Params().N.BitLen() + 7) / 8
		return 2*(size+1+3) + 4
	}
	return 1024
}

// pdfsignEstimate is the /Contents room in hex digits that pdfsign's
// SignPDF computes for sd (sign.go of the pinned version, line by line;
// signRoom's result is checked against the output).
func pdfsignEstimate(sd sign.SignData) (int, error) {
	n := 2 * 512 // sign.Sign's SignatureMaxLengthBase
	switch sd.Certificate.SignatureAlgorithm.String() {
	case "DSA-SHA1":
		n += 2 * 128
	case "DSA-SHA256":
		n += 2 * 256
	case "ECDSA-SHA384":
		n += 2 * 384
	case "ECDSA-SHA512":
		n += 2 * 512
	}
	n += 2 * 2 * sd.DigestAlgorithm.Size()
	deg, err := pkcs7.DegenerateCertificate(sd.Certificate.Raw)
	if err != nil {
		return 0, err
	}
	n += 2 * len(deg)
	n += 2 * len(sd.Certificate.RawIssuer)
	for _, c := range sd.CertificateChains[0][1:] {
		deg, err := pkcs7.DegenerateCertificate(c.Raw)
		if err != nil {
			return 0, err
		}
		n += 2 * len(deg)
	}
	for _, r := range sd.RevocationData.CRL {
		n += 2 * len(r.FullBytes)
	}
	for _, r := range sd.RevocationData.OCSP {
		n += 2 * len(r.FullBytes)
	}
	if sd.TSA.URL != "" {
		n += 2 * 9000
	}
	return n, nil
}

// maxZeroRun caps the input's longest run of "0" we size past (signRoom):
// beyond it, the room would grow the file by more than we accept.
const maxZeroRun = 4 << 20

// signRoom sets sd.Certificate to the padded copy that makes pdfsign
// reserve room for the signature and returns that room in hex digits.
//
// The room is also longer than any run of "0" already in data: pdfsign
// finds its placeholder by searching the whole file for a run of room
// zeros, and a shorter placeholder than the zero padding left in an
// earlier signature would land there and destroy it.
func signRoom(sd *sign.SignData, data []byte, tsaAllowance int) (int, error) {
	if len(sd.CertificateChains) == 0 || len(sd.CertificateChains[0]) < 2 {
		return 0, naskah.Errorf(naskah.EINVALID, "sertifikat penanda tangan tidak disertai rantai penerbitnya — the signing certificate comes without its issuer chain: export the keystore with the CA certificates")
	}
	run := longestRun(data, '0')
	if run > maxZeroRun {
		return 0, naskah.Errorf(naskah.EINVALID, "PDF ini berisi deretan nol sepanjang %d byte sehingga tidak dapat ditandatangani dengan aman: cetak ulang ke PDF baru — this PDF holds a run of %d zeros and cannot be signed safely: print it to a new PDF", run, run)
	}
	room := max(2*cmsBound(*sd, tsaAllowance), run+2)
	room += room % 2
	est, err := pdfsignEstimate(*sd)
	if err != nil {
		return 0, err
	}
	if est >= room {
		return est, nil
	}
	padded := *sd.Certificate
	padded.RawIssuer = make([]byte, len(sd.Certificate.RawIssuer)+(room-est)/2)
	copy(padded.RawIssuer, sd.Certificate.RawIssuer)
	sd.Certificate = &padded
	if est, err := pdfsignEstimate(*sd); err != nil || est != room {
		return 0, fmt.Errorf("sign: room %d, pdfsign estimate %d: %v", room, est, err)
	}
	return room, nil
}

// longestRun returns the length of the longest run of c in data.
func longestRun(data []byte, c byte) int {
	best := 0
	for i := 0; i < len(data); {
		j := bytes.IndexByte(data[i:], c)
		if j < 0 {
			break
		}
		i += j
		k := i
		for k < len(data) && data[k] == c {
			k++
		}
		best = max(best, k-i)
		i = k
	}
	return best
}

// errRoom is returned when pdfsign did not sign within the room we sized
// (its retry ran, or the room differs from ours): the file is not used.
func errRoom(detail string) error {
	return naskah.Errorf(naskah.EINTERNAL, "sign: signature room: %s", detail)
}

// signChain returns the chain to embed: the signer's certificate first,
// then its issuers up to the root. With roots, the chain is the verified
// one and a certificate that does not reach them is refused before
// anything is signed.
func signChain(s *Signer, roots *x509.CertPool, at time.Time) ([]*x509.Certificate, error) {
	if roots == nil {
		return append([]*x509.Certificate{s.Certificate}, s.Chain...), nil
	}
	chain, err := verifyChain(s.Certificate, s.Chain, roots, at)
	if err != nil {
		return nil, naskah.WrapError(naskah.EFORBIDDEN, err, "sertifikat %q tidak diterbitkan oleh CA yang dipercaya Naskah: tanda tangannya tidak akan pernah sah; gunakan sertifikat dari CA BPOM — the certificate of %q is not issued by a CA Naskah trusts: its signature could never verify; use a certificate from BPOM's CA", s.Certificate.Subject.CommonName, s.Certificate.Subject.CommonName)
	}
	return chain, nil
}
