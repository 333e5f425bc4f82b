package pdf

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha1"
	"crypto/x509"
	"encoding/asn1"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/bpom/naskah"
	"github.com/digitorus/pdfsign/sign"
	"github.com/digitorus/pkcs7"
)

// Level is a PAdES baseline level (ETSI EN 319 142-1).
type Level string

// The PAdES baseline levels. Sign makes each (B-LT with
// AddValidationData, B-LTA with AddArchiveTimestamp); Verify reports
// which level a signature reached.
const (
	LevelBB   Level = "B-B"   // CAdES signed attributes, no signingTime
	LevelBT   Level = "B-T"   // + a trusted signature-time-stamp
	LevelBLT  Level = "B-LT"  // + validation data in the /DSS
	LevelBLTA Level = "B-LTA" // + a document timestamp over the DSS
)

// ParseLevel reads a level as written on the command line or in the
// configuration ("B-T", "b-t", "BT"); "" is the zero Level (the default).
func ParseLevel(s string) (Level, error) {
	switch strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(s), "-", "")) {
	case "":
		return "", nil
	case "BB":
		return LevelBB, nil
	case "BT":
		return LevelBT, nil
	case "BLT":
		return LevelBLT, nil
	case "BLTA":
		return LevelBLTA, nil
	}
	return "", naskah.Errorf(naskah.EINVALID, "tingkat PAdES %q tidak dikenal: gunakan B-B, B-T, B-LT atau B-LTA — unknown PAdES level %q: use B-B, B-T, B-LT or B-LTA", s, s)
}

// DefaultLevel is the level Sign makes when SignOptions.Level is empty:
// B-LTA with a TSA (B-T when no roots are given, which the long-term
// levels need), else B-B. B-LT and B-LTA need every certificate of the
// chains (the TSA's too) to name an OCSP responder or a CRL: Sign
// refuses rather than claim the level without that data.
func DefaultLevel(tsaURL string) Level {
	if tsaURL != "" {
		return LevelBLTA
	}
	return LevelBB
}

// signLevel resolves and checks the level Sign is asked for.
func signLevel(opts SignOptions) (Level, error) {
	l := opts.Level
	if l == "" {
		l = DefaultLevel(opts.TSAURL)
		if l == LevelBLTA && opts.Roots == nil {
			l = LevelBT
		}
	}
	switch l {
	case LevelBB:
		return l, nil
	case LevelBT:
		if opts.TSAURL == "" {
			return "", naskah.Errorf(naskah.EINVALID, "tingkat B-T memerlukan otoritas cap waktu (TSA): atur alamat TSA — level B-T needs a timestamp authority: configure the TSA URL")
		}
		return l, nil
	case LevelBLT, LevelBLTA:
		if opts.TSAURL == "" || opts.Roots == nil {
			return "", naskah.Errorf(naskah.EINVALID, "tingkat %s memerlukan otoritas cap waktu (TSA) dan akar kepercayaan — level %s needs a timestamp authority and the trust roots: configure both", l, l)
		}
		return l, nil
	}
	return "", naskah.Errorf(naskah.EINVALID, "tingkat PAdES %q tidak dikenal: gunakan B-B, B-T, B-LT atau B-LTA — unknown PAdES level %q: use B-B, B-T, B-LT or B-LTA", l, l)
}

// signPAdES is one pdfsign call with a placeholder key followed by our
// CAdES signature in its room (cades.go). A CMS that outgrows the room is
// a *roomError, as in signBytes.
func signPAdES(ctx context.Context, data []byte, sd sign.SignData, in cadesInput, tsaAllowance int) ([]byte, error) {
	sd.Signer = placeholderSigner{pub: in.cert.PublicKey}
	sd.TSA = sign.TSA{}
	sd.RevocationFunction = nil // fetched by the caller, into in.revocation
	sd.RevocationData = in.revocation
	out, err := signBytes(data, sd, tsaAllowance)
	if err != nil {
		return nil, err
	}
	if err := finishCAdES(ctx, out, len(data), in); err != nil {
		return nil, err
	}
	return out, nil
}

// tsaClient is the client for TSA requests: each request also ends with
// Sign's context.
var tsaClient = &http.Client{Timeout: DefaultSignTimeout}

// oidSigningCertV1 is ESS signing-certificate (RFC 2634, SHA-1 hashes).
var oidSigningCertV1 = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 12}

// essCertID is ESSCertID / ESSCertIDv2 (RFC 5035); HashAlgorithm is
// absent in v1 and defaults to SHA-256 in v2.
type essCertID struct {
	HashAlgorithm asn1.RawValue `asn1:"optional"`
	CertHash      []byte
	IssuerSerial  asn1.RawValue `asn1:"optional"`
}

// baselineLevel returns the PAdES baseline level sr reached: B-B for an
// intact ETSI.CAdES.detached signature whose signing-certificate
// attribute binds the signer's certificate and which has no signingTime;
// B-T with a valid, trusted signature timestamp; "" for any other. A
// signing-certificate attribute that names another certificate is a
// problem on any signature: the certificate was swapped.
func baselineLevel(sub string, p7 *pkcs7.PKCS7, sr *SignatureReport, problem func(string, ...any)) Level {
	bound, present := essBinding(p7, sr.Certificate)
	if present && !bound {
		problem("the signing-certificate attribute names another certificate than the one in the signature")
		sr.Trusted = false
	}
	if sub != "ETSI.CAdES.detached" || !sr.DigestIntact {
		return ""
	}
	var t asn1.RawValue
	if !present || !bound || p7.UnmarshalSignedAttribute(oidSigningTime, &t) == nil {
		// A valid CAdES signature all the same (older profiles allow
		// signingTime): no baseline level, not a problem.
		return ""
	}
	if sr.Timestamp != nil && sr.Timestamp.Valid && sr.Timestamp.Trusted {
		return LevelBT
	}
	return LevelBB
}

// essBinding reports whether p7's signer has a signing-certificate(-v2)
// attribute (present) and whether its first ESSCertID hashes cert (bound).
func essBinding(p7 *pkcs7.PKCS7, cert *x509.Certificate) (bound, present bool) {
	var raw asn1.RawValue
	hash := crypto.SHA256
	if err := p7.UnmarshalSignedAttribute(oidSigningCertV2, &raw); err != nil {
		if err := p7.UnmarshalSignedAttribute(oidSigningCertV1, &raw); err != nil {
			return false, false
		}
		hash = crypto.SHA1
	}
	var sc struct{ Certs []asn1.RawValue }
	if _, err := asn1.Unmarshal(raw.FullBytes, &sc); err != nil || len(sc.Certs) == 0 {
		return false, true
	}
	var id essCertID
	if hash == crypto.SHA1 {
		var v1 struct {
			CertHash     []byte
			IssuerSerial asn1.RawValue `asn1:"optional"`
		}
		if _, err := asn1.Unmarshal(sc.Certs[0].FullBytes, &v1); err != nil {
			return false, true
		}
		sum := sha1.Sum(cert.Raw)
		return bytes.Equal(v1.CertHash, sum[:]), true
	}
	// v2: hashAlgorithm is optional (DEFAULT sha256) and comes first.
	rest := sc.Certs[0].Bytes
	var first asn1.RawValue
	rest2, err := asn1.Unmarshal(rest, &first)
	if err != nil {
		return false, true
	}
	if first.Tag == asn1.TagSequence {
		var alg struct{ Algorithm asn1.ObjectIdentifier }
		if _, err := asn1.Unmarshal(first.FullBytes, &alg); err != nil {
			return false, true
		}
		switch {
		case alg.Algorithm.Equal(oidSHA256):
		case alg.Algorithm.Equal(oidSHA384):
			hash = crypto.SHA384
		case alg.Algorithm.Equal(oidSHA512):
			hash = crypto.SHA512
		default:
			return false, true
		}
		if _, err := asn1.Unmarshal(rest2, &id.CertHash); err != nil {
			return false, true
		}
	} else if _, err := asn1.Unmarshal(first.FullBytes, &id.CertHash); err != nil {
		return false, true
	}
	h := hash.New()
	h.Write(cert.Raw)
	return bytes.Equal(id.CertHash, h.Sum(nil)), true
}

// extendSigned raises a file Sign just made at B-T to level l (B-LT:
// validation data, dss.go) and checks its last signature reached it.
func extendSigned(ctx context.Context, out []byte, opts SignOptions, now func() time.Time, l Level) ([]byte, error) {
	if l != LevelBLT && l != LevelBLTA {
		return out, nil
	}
	lopts := LTVOptions{Roots: opts.Roots, Now: now, Timeout: opts.Timeout}
	var lt []byte
	var err error
	if l == LevelBLTA {
		lt, err = AddArchiveTimestamp(ctx, out, opts.TSAURL, lopts)
	} else {
		lt, err = AddValidationData(ctx, out, lopts)
	}
	if err != nil {
		return nil, err
	}
	rep, err := Verify(ctx, lt, VerifyOptions{Roots: opts.Roots, Now: now})
	if err != nil {
		return nil, errNotProved(err.Error())
	}
	var last *SignatureReport
	for i := range rep.Signatures {
		if rep.Signatures[i].Kind == "" {
			last = &rep.Signatures[i]
		}
	}
	if last == nil || !rep.Valid || last.Level != l {
		return nil, errNotProved(fmt.Sprintf("the new signature does not reach %s after adding validation data: %v", l, rep.Problems))
	}
	return lt, nil
}
