package pdf

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"

	"github.com/digitorus/pdfsign/revocation"
	"github.com/digitorus/timestamp"
	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// CAdES signatures for PAdES baseline (ETSI EN 319 142-1, EN 319 122-1).
//
// pdfsign builds its CMS with digitorus/pkcs7, which always adds a
// signingTime attribute (forbidden in PAdES baseline: the claimed time is
// /M) and writes /SubFilter /adbe.pkcs7.detached. We keep pdfsign's
// incremental-update writer, which we size and prove (room.go, prove.go),
// and replace only what it puts in the signature: pdfsign signs with a
// placeholder key (placeholderSigner: no private key operation, its CMS is
// thrown away), then finishCAdES patches the SubFilter to
// /ETSI.CAdES.detached (the same 19 bytes, so no offset moves), hashes the
// ByteRange of the patched file, builds our own SignedData with the real
// key and writes its hex into the same /Contents room, zero-padded.

// ASN.1 identifiers of the CMS we build.
var (
	oidSignedData         = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}
	oidData               = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 1}
	oidContentType        = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 3}
	oidMessageDigest      = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 4}
	oidSigningTime        = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 5}
	oidSigningCertV2      = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 47}
	oidRSAEncryption      = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1}
	oidSHA256             = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}
	oidSHA384             = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 2}
	oidSHA512             = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 3}
	oidECDSAWithSHA256    = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}
	oidECDSAWithSHA384    = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 3}
	oidECDSAWithSHA512    = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 4}
	subFilterAdbe         = []byte("/SubFilter /adbe.pkcs7.detached\n")
	subFilterCAdES        = []byte("/SubFilter /ETSI.CAdES.detached\n")
	errNoPlaceholderMatch = fmt.Errorf("sign: the new signature dictionary was not found")
)

// placeholderSigner is the key pdfsign signs its throwaway CMS with: the
// real public key (pkcs7 picks the algorithm from it) and a signature of
// the largest size the key makes, all zeros. The private key is used
// once, by finishCAdES, over our signed attributes.
type placeholderSigner struct{ pub crypto.PublicKey }

func (p placeholderSigner) Public() crypto.PublicKey { return p.pub }

func (p placeholderSigner) Sign(io.Reader, []byte, crypto.SignerOpts) ([]byte, error) {
	return make([]byte, maxSignatureSize(p.pub)), nil
}

// cadesInput is what finishCAdES needs besides the file.
type cadesInput struct {
	key        crypto.Signer
	cert       *x509.Certificate   // the real certificate (not room.go's padded copy)
	chain      []*x509.Certificate // cert first, then its issuers
	digest     crypto.Hash
	revocation revocation.InfoArchival // embedded as Adobe's signed attribute when not empty
	tsaURL     string                  // "" for B-B
	tsaClient  *http.Client
}

// finishCAdES turns the file pdfsign wrote (out, whose first inLen bytes
// are the input) into a PAdES baseline signature in place. A CMS larger
// than the room is a *roomError.
func finishCAdES(ctx context.Context, out []byte, inLen int, in cadesInput) error {
	tail := out[inLen:]
	i := bytes.Index(tail, subFilterAdbe)
	if i < 0 || bytes.Index(tail[i+1:], subFilterAdbe) >= 0 {
		return errNoPlaceholderMatch
	}
	copy(tail[i:], subFilterCAdES)
	br, err := placeholderRange(out, inLen+i)
	if err != nil {
		return err
	}
	h := in.digest.New()
	h.Write(out[br[0]:br[1]])
	h.Write(out[br[2]:br[3]])
	cms, err := buildCAdES(ctx, h.Sum(nil), in)
	if err != nil {
		return err
	}
	room := br[2] - br[1] - 2
	if 2*len(cms) > room {
		return &roomError{room: room, need: len(cms)}
	}
	contents := out[br[1]+1 : br[2]-1]
	hex.Encode(contents, cms)
	for j := 2 * len(cms); j < len(contents); j++ {
		contents[j] = '0'
	}
	return nil
}

// placeholderRange reads the /ByteRange pdfsign wrote in the dictionary at
// dict and returns the signed ranges as [start1 end1 start2 end2], checked
// against the file: the gap is exactly the /Contents hex string and the
// second range runs to the end.
func placeholderRange(out []byte, dict int) ([4]int, error) {
	var br [4]int
	j := bytes.Index(out[dict:], []byte("/ByteRange ["))
	if j < 0 {
		return br, errNoPlaceholderMatch
	}
	var v [4]int
	if _, err := fmt.Sscan(string(out[dict+j+len("/ByteRange ["):min(len(out), dict+j+80)]), &v[0], &v[1], &v[2], &v[3]); err != nil {
		return br, fmt.Errorf("sign: the new signature's /ByteRange cannot be read: %w", err)
	}
	br = [4]int{v[0], v[0] + v[1], v[2], v[2] + v[3]}
	if v[0] != 0 || br[1] <= dict || br[2] <= br[1]+2 || br[3] != len(out) || out[br[1]] != '<' || out[br[2]-1] != '>' {
		return br, fmt.Errorf("sign: the new signature's /ByteRange %v does not frame its /Contents", v)
	}
	return br, nil
}

// buildCAdES returns the DER ContentInfo of a detached CAdES-BES
// SignedData over a document whose digest is docDigest: signed attributes
// content-type, message-digest and signing-certificate-v2 (and Adobe's
// revocation archive when given), no signingTime; with a TSA, the
// signature-time-stamp unsigned attribute (B-T).
func buildCAdES(ctx context.Context, docDigest []byte, in cadesInput) ([]byte, error) {
	digestOID, err := hashOID(in.digest)
	if err != nil {
		return nil, err
	}
	sigAlg, err := signatureAlgorithm(in.cert.PublicKey, in.digest)
	if err != nil {
		return nil, err
	}
	attrs, err := signedAttributes(docDigest, in)
	if err != nil {
		return nil, err
	}
	h := in.digest.New()
	h.Write(attrs)
	sig, err := in.key.Sign(rand.Reader, h.Sum(nil), in.digest)
	if err != nil {
		return nil, fmt.Errorf("sign: the signing key refused: %w", err)
	}
	var token []byte
	if in.tsaURL != "" {
		token, err = fetchTimestamp(ctx, in.tsaClient, in.tsaURL, sig, in.digest)
		if err != nil {
			return nil, err
		}
	}
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // ContentInfo
		b.AddASN1ObjectIdentifier(oidSignedData)
		b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // SignedData
				b.AddASN1Int64(1)
				b.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) { algorithmID(b, digestOID, false) })
				b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { b.AddASN1ObjectIdentifier(oidData) })
				b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
					for _, c := range in.chain {
						b.AddBytes(c.Raw)
					}
				})
				b.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) {
					b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // SignerInfo
						b.AddASN1Int64(1)
						b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // IssuerAndSerialNumber
							b.AddBytes(in.cert.RawIssuer)
							b.AddASN1BigInt(in.cert.SerialNumber)
						})
						algorithmID(b, digestOID, false)
						// signedAttrs [0] IMPLICIT: the SET's content under tag A0.
						b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
							s := cryptobyte.String(attrs)
							var content cryptobyte.String
							if !s.ReadASN1(&content, cbasn1.SET) {
								b.SetError(fmt.Errorf("sign: signed attributes"))
								return
							}
							b.AddBytes(content)
						})
						algorithmID(b, sigAlg, sigAlg.Equal(oidRSAEncryption))
						b.AddASN1OctetString(sig)
						if token != nil {
							b.AddASN1(cbasn1.Tag(1).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
								b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
									b.AddASN1ObjectIdentifier(oidTimestampToken)
									b.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) { b.AddBytes(token) })
								})
							})
						}
					})
				})
			})
		})
	})
	return b.Bytes()
}

// signedAttributes returns the DER SET OF the signed attributes, sorted
// as DER requires.
func signedAttributes(docDigest []byte, in cadesInput) ([]byte, error) {
	var list [][]byte
	add := func(oid asn1.ObjectIdentifier, value func(b *cryptobyte.Builder)) error {
		var b cryptobyte.Builder
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1ObjectIdentifier(oid)
			b.AddASN1(cbasn1.SET, value)
		})
		der, err := b.Bytes()
		list = append(list, der)
		return err
	}
	if err := add(oidContentType, func(b *cryptobyte.Builder) { b.AddASN1ObjectIdentifier(oidData) }); err != nil {
		return nil, err
	}
	if err := add(oidMessageDigest, func(b *cryptobyte.Builder) { b.AddASN1OctetString(docDigest) }); err != nil {
		return nil, err
	}
	certHash := sha256.Sum256(in.cert.Raw)
	// SigningCertificateV2 { certs SEQUENCE OF ESSCertIDv2 }; ESSCertIDv2
	// { hashAlgorithm DEFAULT sha256 (left out), certHash, issuerSerial
	// { issuer GeneralNames { [4] directoryName }, serialNumber } }.
	if err := add(oidSigningCertV2, func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
				b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
					b.AddASN1OctetString(certHash[:])
					b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
						b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
							b.AddASN1(cbasn1.Tag(4).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
								b.AddBytes(in.cert.RawIssuer)
							})
						})
						b.AddASN1BigInt(in.cert.SerialNumber)
					})
				})
			})
		})
	}); err != nil {
		return nil, err
	}
	if len(in.revocation.CRL) > 0 || len(in.revocation.OCSP) > 0 {
		der, err := asn1.Marshal(in.revocation)
		if err != nil {
			return nil, err
		}
		if err := add(oidAdbeRevocation, func(b *cryptobyte.Builder) { b.AddBytes(der) }); err != nil {
			return nil, err
		}
	}
	sortDER(list)
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) {
		for _, a := range list {
			b.AddBytes(a)
		}
	})
	return b.Bytes()
}

// sortDER sorts the encodings of a SET OF as DER requires: by their
// octets, a shorter one that is a prefix of a longer first.
func sortDER(list [][]byte) {
	for i := 1; i < len(list); i++ {
		for j := i; j > 0 && bytes.Compare(list[j], list[j-1]) < 0; j-- {
			list[j], list[j-1] = list[j-1], list[j]
		}
	}
}

func algorithmID(b *cryptobyte.Builder, oid asn1.ObjectIdentifier, null bool) {
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1ObjectIdentifier(oid)
		if null {
			b.AddASN1NULL()
		}
	})
}

func hashOID(h crypto.Hash) (asn1.ObjectIdentifier, error) {
	switch h {
	case crypto.SHA256:
		return oidSHA256, nil
	case crypto.SHA384:
		return oidSHA384, nil
	case crypto.SHA512:
		return oidSHA512, nil
	}
	return nil, fmt.Errorf("sign: digest %v is not supported", h)
}

// signatureAlgorithm is the SignerInfo's signatureAlgorithm: rsaEncryption
// (PKCS #1 v1.5 with the digest of digestAlgorithm, as every reader
// accepts) or ecdsa-with-SHA*.
func signatureAlgorithm(pub crypto.PublicKey, h crypto.Hash) (asn1.ObjectIdentifier, error) {
	switch pub.(type) {
	case *rsa.PublicKey:
		return oidRSAEncryption, nil
	case *ecdsa.PublicKey:
		switch h {
		case crypto.SHA256:
			return oidECDSAWithSHA256, nil
		case crypto.SHA384:
			return oidECDSAWithSHA384, nil
		case crypto.SHA512:
			return oidECDSAWithSHA512, nil
		}
	}
	return nil, fmt.Errorf("sign: key %T with digest %v is not supported", pub, h)
}

// maxTSAResponse bounds what is read from a TSA.
const maxTSAResponse = 1 << 20

// fetchTimestamp asks the TSA at url for an RFC 3161 token over sig (the
// signature value: a signature-time-stamp) and returns the token, checked
// to stamp exactly sig. The request ends with ctx.
func fetchTimestamp(ctx context.Context, client *http.Client, url string, sig []byte, h crypto.Hash) ([]byte, error) {
	req, err := timestamp.CreateRequest(bytes.NewReader(sig), &timestamp.RequestOptions{Hash: h, Certificates: true})
	if err != nil {
		return nil, fmt.Errorf("timestamp request: %w", err)
	}
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(req))
	if err != nil {
		return nil, fmt.Errorf("timestamp %s: %w", url, err)
	}
	hreq.Header.Set("Content-Type", "application/timestamp-query")
	if client == nil {
		client = &http.Client{Timeout: DefaultSignTimeout}
	}
	resp, err := client.Do(hreq)
	if err != nil {
		return nil, fmt.Errorf("timestamp %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("timestamp %s: status %s", url, resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxTSAResponse))
	if err != nil {
		return nil, fmt.Errorf("timestamp %s: %w", url, err)
	}
	ts, err := timestamp.ParseResponse(body)
	if err != nil {
		return nil, fmt.Errorf("timestamp %s: the answer is not a valid timestamp: %w", url, err)
	}
	d := h.New()
	d.Write(sig)
	if ts.HashAlgorithm != h || !bytes.Equal(ts.HashedMessage, d.Sum(nil)) {
		return nil, fmt.Errorf("timestamp %s: the token stamps something else", url)
	}
	return ts.RawToken, nil
}
