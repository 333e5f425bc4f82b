package pdf

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/asn1"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/bpom/naskah"
	pdfreader "github.com/digitorus/pdf"
	"github.com/digitorus/pdfsign/revocation"
	"github.com/digitorus/pkcs7"
	"github.com/digitorus/timestamp"
	"golang.org/x/crypto/ocsp"
)

// VerifyOptions configures Verify. Roots are the only trust anchors: the
// system's roots and certificates embedded in the PDF are never trusted.
type VerifyOptions struct {
	Roots *x509.CertPool
	// PartnerRoots, when set, are a second trust list for partners'
	// signatures (countersigned outside Naskah); a signature trusted only
	// through them has TrustList "partner".
	PartnerRoots *x509.CertPool
	Now          func() time.Time
	// SignedAt, when set, gives the signing time a record keeps for the
	// signer's certificate (by SHA-256 fingerprint, lowercase hex): a
	// signature without a trusted timestamp is then validated at that time
	// rather than now. Only for bytes read from that record.
	SignedAt func(fingerprint string) (time.Time, bool)
}

// Report is the verdict on a PDF's signatures. Valid is true only when the
// PDF has signatures, every one is intact and trusted, and nothing was
// appended after the last one.
type Report struct {
	Valid      bool              `json:"valid"`
	Size       int64             `json:"size"`
	Signatures []SignatureReport `json:"signatures"`
	Problems   []string          `json:"problems,omitempty"`
	CopyOf     *CopyInfo         `json:"copyOf,omitempty"` // set when the file is a marked copy of a signed text (copy.go)
	// ValidationDataAfter is set when what follows the last signature is
	// only long-term validation data (a /DSS update, dss.go).
	ValidationDataAfter bool `json:"validationDataAfter,omitempty"`
	// laterUpdateOK: the bytes after the last signature are an update that
	// changes nothing but what ChangesAfter allows (a PAdES DSS, metadata).
	laterUpdateOK bool
}

// SignatureReport is the verdict on one signature, in file order.
type SignatureReport struct {
	// Kind is "" for a signature, KindDocTimestamp for a document
	// timestamp (doctimestamp.go), whose signer is its TSA.
	Kind string `json:"kind,omitempty"`
	// SignerName is the holder of the signing certificate (its CN), the
	// only name a report may show as the signer. SignerOrganization and
	// SignerSerialNumber (the NIK, when the subject carries one) and
	// SignerTitle come from the certificate too. ClaimedName is the
	// signature dictionary's /Name, written by whoever signed: shown only
	// as claimed, and a problem when it does not name the holder.
	SignerName         string            `json:"signerName"`
	SignerOrganization string            `json:"signerOrganization,omitempty"`
	SignerSerialNumber string            `json:"signerSerialNumber,omitempty"`
	SignerTitle        string            `json:"signerTitle,omitempty"`
	ClaimedName        string            `json:"claimedName,omitempty"`
	Reason             string            `json:"reason,omitempty"`
	Location           string            `json:"location,omitempty"`
	ContactInfo        string            `json:"contactInfo,omitempty"`
	SigningTime        time.Time         `json:"signingTime"` // claimed by the signer (/M); Timestamp.Time is the trusted one
	Certificate        *x509.Certificate `json:"-"`
	Trusted            bool              `json:"trusted"`             // chain to VerifyOptions.Roots at the verification time
	TrustList          string            `json:"trustList,omitempty"` // "bpom" (Roots) or "partner" (PartnerRoots) when trusted
	DigestIntact       bool              `json:"digestIntact"`        // the signed bytes are unchanged and the signature checks
	CoversWholeFile    bool              `json:"coversWholeFile"`
	ByteRange          []int64           `json:"byteRange"`
	AppendedBytes      int64             `json:"appendedBytes"` // bytes after the signed range (later signatures or changes)
	Timestamp          *TimestampReport  `json:"timestamp,omitempty"`
	Revocation         string            `json:"revocation"`
	// Level is the PAdES baseline level the signature reached (pades.go):
	// "" for a signature that is not PAdES baseline (adbe.pkcs7.detached).
	Level Level `json:"level,omitempty"`
	// Indication and SubIndication are the verdict in ETSI EN 319 102-1's
	// vocabulary (indication.go): TOTAL_PASSED, TOTAL_FAILED (the
	// signature is proved wrong) or INDETERMINATE (it cannot be proved
	// right, e.g. OUT_OF_BOUNDS_NO_POE: the certificate expired and no
	// proof of existence predates that).
	Indication    string `json:"indication"`
	SubIndication string `json:"subIndication,omitempty"`
	// ProofOfExistence is the time the signature is proved to have
	// existed (its trusted timestamp), at which the chain and revocation
	// are judged; zero when there is none and they are judged now.
	ProofOfExistence time.Time `json:"proofOfExistence,omitzero"`
	Problems         []string  `json:"problems,omitempty"`

	// ValidatedAt is when the chain was validated: the trusted timestamp's
	// time, the recorded signing time (AtRecordedTime, VerifyOptions.SignedAt)
	// or the verification time.
	ValidatedAt    time.Time `json:"validatedAt"`
	AtRecordedTime bool      `json:"atRecordedTime,omitempty"`

	chain, tsaChain []*x509.Certificate // verified chains, root last (dss.go)
}

// TimestampReport describes an RFC 3161 timestamp on a signature.
type TimestampReport struct {
	Time      time.Time `json:"time"`
	Authority string    `json:"authority"`
	Valid     bool      `json:"valid"`   // the token is signed and stamps this signature
	Trusted   bool      `json:"trusted"` // the TSA chains to our roots
	Problems  []string  `json:"problems,omitempty"`
}

// CertificateSummary is the JSON form of a certificate in a report.
type CertificateSummary struct {
	Subject   string    `json:"subject"`
	Issuer    string    `json:"issuer"`
	Serial    string    `json:"serial"`
	NotBefore time.Time `json:"notBefore"`
	NotAfter  time.Time `json:"notAfter"`
}

// MarshalJSON writes Certificate as a CertificateSummary.
func (s SignatureReport) MarshalJSON() ([]byte, error) {
	type plain SignatureReport
	out := struct {
		plain
		Certificate *CertificateSummary `json:"certificate,omitempty"`
	}{plain: plain(s)}
	if c := s.Certificate; c != nil {
		out.Certificate = &CertificateSummary{Subject: c.Subject.String(), Issuer: c.Issuer.String(),
			Serial: fmt.Sprintf("%X", c.SerialNumber), NotBefore: c.NotBefore, NotAfter: c.NotAfter}
	}
	return json.Marshal(out)
}

// ASN.1 identifiers of the CMS attributes we read.
var (
	oidTimestampToken = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 14}
	oidAdbeRevocation = asn1.ObjectIdentifier{1, 2, 840, 113583, 1, 1, 8}
)

// Verify checks every signature in data against opts.Roots. It returns an
// error only when data cannot be read as a PDF at all; a PDF without
// signatures, or with broken or untrusted ones, is a Report with
// Valid=false and the problems listed.
//
// It parses with pdfsign's own readers (digitorus/pdf, pkcs7, timestamp)
// but not pdfsign/verify, whose results cannot be tied back to a signature's
// ByteRange and whose chain check consults the system roots.
func Verify(ctx context.Context, data []byte, opts VerifyOptions) (*Report, error) {
	if err := ctx.Err(); err != nil {
		return nil, canceled(err)
	}
	st, err := Check(ctx, data)
	if err != nil {
		return nil, err
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	var sigs signatureSet
	var rdr *pdfreader.Reader
	err = recovered("verify: read", func() error {
		var err error
		rdr, err = pdfreader.NewReader(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return naskah.WrapError(naskah.EINVALID, err, "the PDF is damaged and cannot be read: ask the sender for the original file")
		}
		sigs.addFields(rdr)
		return nil
	})
	if err != nil {
		return nil, err
	}
	rep := &Report{Size: int64(len(data)), Signatures: []SignatureReport{}}
	// Signatures outside /Fields are found through the pages; a page tree
	// that cannot be read makes the document invalid, not unreadable.
	if err := recovered("verify: pages", func() error { sigs.addAnnots(rdr); return nil }); err != nil {
		rep.Problems = append(rep.Problems, "the page tree is damaged: signatures on the pages cannot all be found")
	}
	fields := sigs.vals
	if len(fields) > maxSignatures {
		rep.Problems = append(rep.Problems, fmt.Sprintf("Berkas ini memuat %d tanda tangan, lebih dari batas %d: tidak diperiksa — This file holds %d signatures, more than the limit of %d: it is not checked", len(fields), maxSignatures, len(fields), maxSignatures))
		rep.flagActiveContent(st.ActiveContent)
		return rep, nil
	}
	dups := duplicateSignatures(fields)
	scratch := make([]byte, 0, len(data)) // one copy of the signed bytes, reused by every signature

	for i, v := range fields {
		if err := ctx.Err(); err != nil {
			return nil, canceled(err)
		}
		var sr SignatureReport
		if d, ok := dups[i]; ok {
			sr = SignatureReport{Problems: []string{d}}
		} else if err := recovered("verify: signature", func() error {
			sr = verifySignature(data, v, opts.Roots, opts.PartnerRoots, now(), opts.SignedAt, scratch)
			return nil
		}); err != nil {
			sr = SignatureReport{Problems: []string{fmt.Sprintf("signature %d is malformed and cannot be checked", i+1)},
				Indication: TotalFailed, SubIndication: "FORMAT_FAILURE"}
		}
		rep.Signatures = append(rep.Signatures, sr)
	}
	// File order: a later signature covers a longer prefix.
	slices.SortStableFunc(rep.Signatures, func(a, b SignatureReport) int { return cmpEnd(a) - cmpEnd(b) })
	damaged := len(rep.Problems) > 0
	if err := rep.checkChanges(ctx, data, rdr); err != nil {
		return nil, err
	}
	if n := len(rep.Signatures); n > 0 && !rep.Signatures[n-1].CoversWholeFile && rep.Signatures[n-1].ByteRange != nil {
		var why string
		rep.ValidationDataAfter, why = validationDataOnly(data, int64(cmpEnd(rep.Signatures[n-1])))
		if why != "" && countSignatures(data) > 0 {
			rep.Problems = append(rep.Problems, "after the last signature: "+why)
		}
	}
	var dss dssData
	_ = recovered("verify: dss", func() error { dss = readDSS(rdr); return nil })
	rep.longTermLevels(dss)
	rep.archivalLevels(data, dss)
	rep.verdict()
	if damaged {
		rep.Valid = false
	}
	rep.flagActiveContent(st.ActiveContent)
	rep.noteCopy(data)
	return rep, nil
}

func cmpEnd(s SignatureReport) int {
	if len(s.ByteRange) != 4 {
		return 0
	}
	e := s.ByteRange[2] + s.ByteRange[3]
	switch {
	case e > int64(1<<62):
		return 1 << 62
	default:
		return int(e)
	}
}

// verdict sets Valid and the document-level problems.
func (r *Report) verdict() {
	if len(r.Signatures) == 0 {
		r.Problems = append(r.Problems, "the document has no signatures")
		return
	}
	ok := true
	for i, s := range r.Signatures {
		if !s.DigestIntact || !s.Trusted || len(s.Problems) > 0 {
			ok = false
			r.Problems = append(r.Problems, fmt.Sprintf("signature %d (%s) is not valid", i+1, orUnknown(s.SignerName)))
		}
	}
	last := r.Signatures[len(r.Signatures)-1]
	if !last.CoversWholeFile && last.ByteRange != nil && !r.ValidationDataAfter && !r.laterUpdateOK {
		ok = false
		r.Problems = append(r.Problems, fmt.Sprintf("%d bytes were added after the last signature: the document was changed after it was signed", last.AppendedBytes))
	}
	r.Valid = ok
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown signer"
	}
	return s
}

// signatureFields collects the values (/V) of the signature fields in an
// AcroForm field tree. Depth and count are bounded against loops in
// malformed files.
func signatureFields(fields pdfreader.Value, depth int, out []pdfreader.Value) []pdfreader.Value {
	if depth > 8 {
		return out
	}
	for i := 0; i < fields.Len() && len(out) < 1000; i++ {
		f := fields.Index(i)
		if f.Key("FT").Name() == "Sig" && !f.Key("V").IsNull() {
			out = append(out, f.Key("V"))
		}
		if kids := f.Key("Kids"); kids.Len() > 0 {
			out = signatureFields(kids, depth+1, out)
		}
	}
	return out
}

// verifySignature checks one signature dictionary.
// scratch is a buffer of capacity len(data) that holds the signed bytes.
func verifySignature(data []byte, v pdfreader.Value, roots, partnerRoots *x509.CertPool, now time.Time, signedAt func(string) (time.Time, bool), scratch []byte) SignatureReport {
	sr := checkSignature(data, v, roots, partnerRoots, now, signedAt, scratch)
	sr.conclude()
	return sr
}

// checkSignature is verifySignature without the concluding indication.
func checkSignature(data []byte, v pdfreader.Value, roots, partnerRoots *x509.CertPool, now time.Time, signedAt func(string) (time.Time, bool), scratch []byte) SignatureReport {
	sr := SignatureReport{
		ClaimedName: v.Key("Name").Text(),
		Reason:      v.Key("Reason").Text(),
		Location:    v.Key("Location").Text(),
		ContactInfo: v.Key("ContactInfo").Text(),
		Revocation:  "none embedded",
	}
	problem := func(format string, args ...any) { sr.Problems = append(sr.Problems, fmt.Sprintf(format, args...)) }
	if m := v.Key("M").Text(); m != "" {
		if t, err := parsePDFDate(m); err == nil {
			sr.SigningTime = t
		}
	}
	sub := v.Key("SubFilter").Name()
	switch sub {
	case "ETSI.RFC3161":
		return checkDocTimestamp(data, v, roots, now, sr)
	case "adbe.pkcs7.detached", "ETSI.CAdES.detached":
	default:
		problem("signature format %q is not supported: only detached PKCS#7/CAdES signatures are checked", sub)
		sr.indicate(TotalFailed, "FORMAT_FAILURE")
		return sr
	}

	br, err := byteRange(v.Key("ByteRange"), int64(len(data)))
	if err != nil {
		problem("%v", err)
		sr.indicate(TotalFailed, "FORMAT_FAILURE")
		return sr
	}
	sr.ByteRange = br
	end := br[2] + br[3]
	sr.CoversWholeFile = end == int64(len(data))
	sr.AppendedBytes = int64(len(data)) - end
	if err := checkGap(data, br); err != nil {
		problem("%v", err)
		sr.indicate(TotalFailed, "FORMAT_FAILURE")
		return sr
	}

	p7, err := pkcs7.Parse([]byte(v.Key("Contents").RawString()))
	if err != nil {
		problem("the signature value cannot be parsed: %v", err)
		sr.indicate(TotalFailed, "FORMAT_FAILURE")
		return sr
	}
	if len(p7.Signers) != 1 {
		problem("the signature has %d signers; exactly one is expected", len(p7.Signers))
		sr.indicate(TotalFailed, "FORMAT_FAILURE")
		return sr
	}
	sr.Certificate = p7.GetOnlySigner()
	if sr.Certificate == nil {
		problem("the signer's certificate is not in the signature")
		sr.indicate(Indeterminate, "NO_SIGNING_CERTIFICATE_FOUND")
		return sr
	}
	certificateHolder(&sr, sr.Certificate, problem)
	si := p7.Signers[0]
	if weakCMSAlgorithm(si.DigestAlgorithm.Algorithm) || weakCMSAlgorithm(si.DigestEncryptionAlgorithm.Algorithm) {
		problem("the signature uses MD5 or SHA-1 (%v, %v), which are no longer secure", si.DigestAlgorithm.Algorithm, si.DigestEncryptionAlgorithm.Algorithm)
		sr.indicate(Indeterminate, "CRYPTO_CONSTRAINTS_FAILURE_NO_POE")
	}
	if err := certPurpose(sr.Certificate); err != nil {
		problem("%v", err)
		sr.indicate(Indeterminate, "CHAIN_CONSTRAINTS_FAILURE")
	}
	// The signed bytes are the file without the /Contents hex string.
	p7.Content = scratch[:0]
	p7.Content = append(p7.Content, data[br[0]:br[0]+br[1]]...)
	p7.Content = append(p7.Content, data[br[2]:end]...)
	if err := p7.Verify(); err != nil {
		var mm *pkcs7.MessageDigestMismatchError
		if errors.As(err, &mm) {
			problem("the signed content was changed after signing (digest mismatch)")
			sr.indicate(TotalFailed, "HASH_FAILURE")
		} else {
			problem("the signature does not verify: %v", err)
			sr.indicate(TotalFailed, "SIG_CRYPTO_FAILURE")
		}
	} else {
		sr.DigestIntact = true
	}

	verifyAt := now
	sr.Timestamp = checkTimestamp(p7, roots)
	if sr.Timestamp != nil {
		if sr.Timestamp.Valid && sr.Timestamp.Trusted {
			verifyAt = sr.Timestamp.Time // a trusted time: the chain was valid when signed
			sr.ProofOfExistence = verifyAt
		} else {
			problem("the timestamp is not valid: %s", strings.Join(sr.Timestamp.Problems, "; "))
		}
	}
	if sr.Timestamp == nil && signedAt != nil {
		if t, ok := signedAt(certFingerprint(sr.Certificate)); ok && !t.IsZero() {
			verifyAt, sr.AtRecordedTime = t, true
		}
	}
	sr.ValidatedAt = verifyAt

	chain, err := verifyChain(sr.Certificate, p7.Certificates, roots, verifyAt)
	sr.TrustList = "bpom"
	if err != nil && partnerRoots != nil {
		if pc, perr := verifyChain(sr.Certificate, p7.Certificates, partnerRoots, verifyAt); perr == nil {
			chain, err, sr.TrustList = pc, nil, "partner"
		}
	}
	if err != nil {
		sr.TrustList = ""
		problem("the signer's certificate is not trusted: %v", err)
		sr.indicate(chainIndication(err, !sr.ProofOfExistence.IsZero()))
	} else {
		sr.Trusted = true
		sr.chain = chain
		if sr.Timestamp != nil && sr.Timestamp.Trusted {
			sr.tsaChain = tsaChainOf(p7, roots)
		}
	}
	links := chain
	if links == nil {
		links = []*x509.Certificate{sr.Certificate}
	}
	if err := certAlgorithms(links); err != nil {
		sr.Trusted = false
		problem("%v", err)
		sr.indicate(Indeterminate, "CRYPTO_CONSTRAINTS_FAILURE_NO_POE")
	}
	revoked := func(format string, args ...any) {
		problem(format, args...)
		if sr.ProofOfExistence.IsZero() {
			sr.indicate(Indeterminate, "REVOKED_NO_POE")
		} else {
			sr.indicate(TotalFailed, "REVOKED") // revoked before the proof of existence
		}
	}
	sr.Revocation = checkRevocation(p7, sr.Certificate, chain, verifyAt, revoked)
	sr.Level = baselineLevel(sub, p7, &sr, problem)
	return sr
}

// certificateHolder fills the signer's name from the certificate and flags
// a /Name that names someone else (case and spacing aside).
func certificateHolder(sr *SignatureReport, c *x509.Certificate, problem func(string, ...any)) {
	sr.SignerName = c.Subject.CommonName
	sr.SignerOrganization = strings.Join(c.Subject.Organization, ", ")
	sr.SignerSerialNumber = c.Subject.SerialNumber
	for _, n := range c.Subject.Names {
		if n.Type.Equal(oidTitle) {
			sr.SignerTitle, _ = n.Value.(string)
		}
	}
	if sr.ClaimedName != "" && !strings.Contains(foldName(sr.ClaimedName), foldName(sr.SignerName)) {
		problem("the signature claims to be by %q but its certificate belongs to %q", sr.ClaimedName, sr.SignerName)
	}
}

// foldName lower-cases s and collapses its white space.
func foldName(s string) string {
	return strings.Join(strings.Fields(strings.ToLower(s)), " ")
}

// byteRange reads and checks /ByteRange: two ranges, the first from the
// start of the file, the gap between them exactly the /Contents hex string.
func byteRange(v pdfreader.Value, size int64) ([]int64, error) {
	if v.Len() != 4 {
		return nil, fmt.Errorf("the signature's byte range has %d numbers, want 4", v.Len())
	}
	br := make([]int64, 4)
	for i := range br {
		br[i] = v.Index(i).Int64()
	}
	if br[0] != 0 || br[1] <= 0 || br[2] <= br[1] || br[3] < 0 || br[2] > size || br[3] > size-br[2] {
		return nil, fmt.Errorf("the signature's byte range %v does not fit a file of %d bytes", br, size)
	}
	return br, nil
}

// checkGap checks that the unsigned gap between the two ranges holds only
// the /Contents hex string: otherwise unsigned content could hide there.
func checkGap(data []byte, br []int64) error {
	gap := data[br[1]:br[2]]
	if len(gap) < 2 || gap[0] != '<' || gap[len(gap)-1] != '>' {
		return errors.New("the signature's byte range leaves out more than the signature value")
	}
	for _, c := range gap[1 : len(gap)-1] {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return errors.New("the unsigned part of the file holds more than the signature value")
		}
	}
	return nil
}

// verifyChain verifies cert up to roots using the embedded certificates as
// intermediates only.
func verifyChain(cert *x509.Certificate, embedded []*x509.Certificate, roots *x509.CertPool, at time.Time) ([]*x509.Certificate, error) {
	if roots == nil {
		return nil, errors.New("no trust roots are configured")
	}
	inter := x509.NewCertPool()
	for _, c := range embedded {
		if !c.Equal(cert) {
			inter.AddCert(c)
		}
	}
	chains, err := cert.Verify(x509.VerifyOptions{
		Roots:         roots,
		Intermediates: inter,
		CurrentTime:   at,
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
	})
	if err != nil {
		return nil, err
	}
	return chains[0], nil
}

// checkTimestamp checks the RFC 3161 token in the signature's unsigned
// attributes: its own signature, that it stamps this signature value, and
// that its TSA chains to roots.
func checkTimestamp(p7 *pkcs7.PKCS7, roots *x509.CertPool) *TimestampReport {
	var token []byte
	for _, a := range p7.Signers[0].UnauthenticatedAttributes {
		if a.Type.Equal(oidTimestampToken) {
			token = a.Value.Bytes
			if len(token) == 0 {
				token = a.Value.FullBytes
			}
		}
	}
	if token == nil {
		return nil
	}
	tr := &TimestampReport{}
	ts, err := timestamp.Parse(token)
	if err != nil {
		tr.Problems = append(tr.Problems, fmt.Sprintf("the timestamp token cannot be parsed or its signature is wrong: %v", err))
		return tr
	}
	tr.Time = ts.Time
	if len(ts.Certificates) == 0 {
		tr.Problems = append(tr.Problems, "the timestamp token does not include the TSA certificate")
		return tr
	}
	tsa, err := pkcs7.Parse(token)
	if err != nil || tsa.GetOnlySigner() == nil {
		tr.Problems = append(tr.Problems, "the timestamp token has no single signer")
		return tr
	}
	tsaCert := tsa.GetOnlySigner()
	tr.Authority = tsaCert.Subject.CommonName
	if weakTimestamp(tr, ts, tsa) {
		return tr
	}
	if !ts.HashAlgorithm.Available() {
		tr.Problems = append(tr.Problems, "the timestamp uses an unknown hash")
		return tr
	}
	h := ts.HashAlgorithm.New()
	h.Write(p7.Signers[0].EncryptedDigest)
	if !bytes.Equal(h.Sum(nil), ts.HashedMessage) {
		tr.Problems = append(tr.Problems, "the timestamp is for another signature")
		return tr
	}
	tr.Valid = true
	if !slices.Contains(tsaCert.ExtKeyUsage, x509.ExtKeyUsageTimeStamping) {
		tr.Problems = append(tr.Problems, "the TSA certificate is not for timestamping")
		return tr
	}
	if _, err := verifyChain(tsaCert, ts.Certificates, roots, ts.Time); err != nil {
		tr.Problems = append(tr.Problems, fmt.Sprintf("the TSA is not trusted: %v", err))
		return tr
	}
	tr.Trusted = true
	return tr
}

// checkRevocation reads the revocation data embedded in the signed
// attributes (Adobe's RevocationInfoArchival) and reports the signer's
// status. It does not go online: verification must not depend on a
// responder being up, and what was embedded at signing is what counts.
func checkRevocation(p7 *pkcs7.PKCS7, cert *x509.Certificate, chain []*x509.Certificate, at time.Time, problem func(string, ...any)) string {
	var info revocation.InfoArchival
	if err := p7.UnmarshalSignedAttribute(oidAdbeRevocation, &info); err != nil || (len(info.OCSP) == 0 && len(info.CRL) == 0) {
		return "none embedded"
	}
	var issuer *x509.Certificate
	if len(chain) > 1 {
		issuer = chain[1]
	}
	if issuer == nil {
		return "embedded, not checked: the issuer is not trusted"
	}
	for _, raw := range info.OCSP {
		r, err := ocsp.ParseResponseForCert(raw.FullBytes, cert, issuer)
		if err != nil {
			continue // a response for another certificate in the chain
		}
		switch r.Status {
		case ocsp.Good:
			return fmt.Sprintf("good (embedded OCSP response of %s)", r.ProducedAt.UTC().Format(time.RFC3339))
		case ocsp.Revoked:
			if r.RevokedAt.Before(at) {
				problem("the signer's certificate was revoked on %s", r.RevokedAt.UTC().Format(time.RFC3339))
			}
			return fmt.Sprintf("revoked on %s (embedded OCSP response)", r.RevokedAt.UTC().Format(time.RFC3339))
		default:
			return "unknown to the OCSP responder (embedded response)"
		}
	}
	for _, raw := range info.CRL {
		crl, err := x509.ParseRevocationList(raw.FullBytes)
		if err != nil || crl.CheckSignatureFrom(issuer) != nil {
			continue
		}
		for _, e := range crl.RevokedCertificateEntries {
			if e.SerialNumber.Cmp(cert.SerialNumber) == 0 {
				if e.RevocationTime.Before(at) {
					problem("the signer's certificate was revoked on %s", e.RevocationTime.UTC().Format(time.RFC3339))
				}
				return fmt.Sprintf("revoked on %s (embedded CRL)", e.RevocationTime.UTC().Format(time.RFC3339))
			}
		}
		return fmt.Sprintf("good (embedded CRL of %s)", crl.ThisUpdate.UTC().Format(time.RFC3339))
	}
	return "embedded, but none of it is signed by the certificate's issuer"
}

// parsePDFDate parses a PDF date "D:YYYYMMDDHHmmSS+HH'mm'".
func parsePDFDate(s string) (time.Time, error) {
	s = strings.TrimPrefix(s, "D:")
	s = strings.ReplaceAll(s, "'", "")
	for _, layout := range []string{"20060102150405-0700", "20060102150405Z0700", "20060102150405Z", "20060102150405"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("bad PDF date %q", s)
}
