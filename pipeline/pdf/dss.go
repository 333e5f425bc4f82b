package pdf

import (
	"bytes"
	"context"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/bpom/naskah"
	pdfreader "github.com/digitorus/pdf"
	"github.com/digitorus/pkcs7"
	"github.com/digitorus/timestamp"
	"golang.org/x/crypto/ocsp"
)

// PAdES B-LT: the Document Security Store (ETSI EN 319 142-1, 5.4).
//
// AddValidationData appends an incremental update holding a /DSS with
// the certificates of every signature's chain and of its timestamp
// authority's, and an OCSP response or CRL for each of them but the
// roots: what a verifier needs to validate the signatures offline once
// responders are gone. The update adds new objects and a new catalog
// that differs from the signed one only by its /DSS; Verify accepts such
// an update after the last signature and nothing else
// (validationDataOnly).
//
// No /VRI is written: it is optional in PAdES baseline, and pdfcpu
// rejects a DSS that has one as unsupported.

// LTVOptions configures AddValidationData.
type LTVOptions struct {
	Roots   *x509.CertPool // the chains must reach these
	Now     func() time.Time
	Timeout time.Duration // whole call, OCSP and CRL requests included (default DefaultSignTimeout)
}

// AddValidationData adds a /DSS with validation data for every signature
// in data (which must all be valid) as an incremental update.
func AddValidationData(ctx context.Context, data []byte, opts LTVOptions) ([]byte, error) {
	return addValidationData(ctx, data, opts, nil)
}

// addValidationData is AddValidationData, with the data of extra chains
// (a TSA's about to stamp the document) in the same /DSS.
func addValidationData(ctx context.Context, data []byte, opts LTVOptions, extra [][]*x509.Certificate) ([]byte, error) {
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = DefaultSignTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if opts.Roots == nil {
		return nil, naskah.Errorf(naskah.EINVALID, "data validasi jangka panjang memerlukan akar kepercayaan — long-term validation data needs the trust roots")
	}
	rep, err := Verify(ctx, data, VerifyOptions{Roots: opts.Roots, Now: opts.Now})
	if err != nil {
		return nil, err
	}
	if !rep.Valid {
		return nil, naskah.Errorf(naskah.EINVALID, "tanda tangan dokumen ini tidak sah sehingga data validasi tidak ditambahkan — the document's signatures are not valid, so no validation data is added: %v", rep.Problems)
	}
	var dss dssContents
	client := &http.Client{Timeout: 10 * time.Second}
	chains := extra
	for _, s := range rep.Signatures {
		chains = append(chains, s.chain, s.tsaChain)
	}
	for _, chain := range chains {
		if err := dss.addChain(ctx, client, chain); err != nil {
			return nil, err
		}
	}
	var out []byte
	err = recovered("dss: write", func() error {
		var err error
		out, err = appendDSS(data, &dss)
		return err
	})
	if err != nil {
		return nil, err
	}
	if err := recovered("dss: xref", func() error { return checkXref(out) }); err != nil {
		return nil, errNotProved(err.Error())
	}
	after, err := Verify(ctx, out, VerifyOptions{Roots: opts.Roots, Now: opts.Now})
	if err != nil {
		return nil, errNotProved(err.Error())
	}
	for _, s := range after.Signatures {
		if s.SubIndication == "REVOKED" {
			return nil, naskah.Errorf(naskah.EFORBIDDEN, "sertifikat %q dicabut sebelum tanda tangannya terbukti ada: tanda tangan itu tidak sah — the certificate of %q was revoked before its signature's proof of existence: that signature is not valid", s.SignerName, s.SignerName)
		}
	}
	if !after.Valid || len(after.Signatures) != len(rep.Signatures) {
		return nil, errNotProved(fmt.Sprintf("the document with validation data does not verify: %v", reportProblems(after)))
	}
	return out, nil
}

// dssContents is what goes into the /DSS, each item once.
type dssContents struct {
	certs, ocsps, crls [][]byte
}

func addOnce(list *[][]byte, b []byte) {
	for _, x := range *list {
		if bytes.Equal(x, b) {
			return
		}
	}
	*list = append(*list, b)
}

// addChain adds chain's certificates and revocation data for each but
// the last (the root). A certificate that names no OCSP responder and no
// CRL cannot be covered: an error, since the level would be claimed
// without its data.
func (d *dssContents) addChain(ctx context.Context, client *http.Client, chain []*x509.Certificate) error {
	for i, c := range chain {
		addOnce(&d.certs, c.Raw)
		if i == len(chain)-1 {
			break
		}
		issuer := chain[i+1]
		switch {
		case len(c.OCSPServer) > 0:
			// A revoked status is kept too: whether the revocation came
			// after the signature's proof of existence is Verify's call.
			body, _, err := fetchOCSPResponse(ctx, client, c, issuer)
			if err != nil {
				return revocationError(err)
			}
			addOnce(&d.ocsps, body)
		case len(c.CRLDistributionPoints) > 0:
			url := c.CRLDistributionPoints[0]
			body, err := httpGet(ctx, client, url, 16<<20)
			if err == nil {
				var crl *x509.RevocationList
				if crl, err = x509.ParseRevocationList(body); err == nil {
					err = crl.CheckSignatureFrom(issuer)
				}
			}
			if err != nil {
				return revocationError(fmt.Errorf("revocation: crl %s: %w", url, err))
			}
			addOnce(&d.crls, body)
		default:
			return naskah.Errorf(naskah.EINVALID, "sertifikat %q tidak menyebut OCSP maupun CRL sehingga statusnya tidak dapat disimpan — the certificate %q names no OCSP responder and no CRL: its status cannot be kept for long-term validation", c.Subject.CommonName, c.Subject.CommonName)
		}
	}
	return nil
}

func revocationError(err error) error {
	if _, ok := err.(*naskah.Error); ok {
		return err
	}
	return naskah.WrapError(naskah.EUNAVAILABLE, err, "status pencabutan sertifikat tidak dapat diambil: coba lagi nanti — the certificates' revocation status could not be fetched: try again later")
}

// appendDSS writes the incremental update: one stream per certificate,
// OCSP response and CRL, the /DSS dictionary and a new catalog with it,
// then an xref section of the file's kind (table or stream).
func appendDSS(data []byte, d *dssContents) ([]byte, error) {
	rdr, err := pdfreader.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, naskah.WrapError(naskah.EINVALID, err, "the PDF cannot be read: it is damaged")
	}
	trailer := rdr.Trailer()
	if !trailer.Key("Encrypt").IsNull() {
		return nil, naskah.Errorf(naskah.EINVALID, "PDF terenkripsi tidak didukung — encrypted PDFs are not supported")
	}
	rootPtr := trailer.Key("Root").GetPtr()
	catalog, err := plainObject(data, rdr, rootPtr.GetID(), rootPtr.GetGen())
	if err != nil {
		return nil, err
	}
	// An earlier /DSS (a signature before this one at B-LT) is kept: its
	// entries are referenced again, and what it holds is not repeated.
	old := trailer.Key("Root").Key("DSS")
	var keep map[string][]string
	if !old.IsNull() {
		loc := dssRef.FindIndex(catalog)
		if old.Kind() != pdfreader.Dict || loc == nil {
			return nil, naskah.Errorf(naskah.EINVALID, "the PDF's /DSS is not an indirect dictionary: it cannot be extended")
		}
		catalog = append(append([]byte{}, catalog[:loc[0]]...), catalog[loc[1]:]...)
		keep = map[string][]string{}
		have := readDSS(rdr)
		for _, c := range have.certs {
			d.certs = slices.DeleteFunc(d.certs, func(b []byte) bool { return bytes.Equal(b, c.Raw) })
		}
		for _, o := range have.ocsps {
			d.ocsps = slices.DeleteFunc(d.ocsps, func(b []byte) bool { return bytes.Equal(b, o) })
		}
		for _, c := range have.crls {
			d.crls = slices.DeleteFunc(d.crls, func(b []byte) bool { return bytes.Equal(b, c) })
		}
		for _, key := range []string{"Certs", "OCSPs", "CRLs"} {
			arr := old.Key(key)
			for i := 0; i < arr.Len() && i < 1000; i++ {
				p := arr.Index(i).GetPtr()
				if arr.Index(i).Kind() != pdfreader.Stream || p.GetID() == 0 {
					return nil, naskah.Errorf(naskah.EINVALID, "the PDF's /DSS /%s holds a direct object: it cannot be extended", key)
				}
				keep[key] = append(keep[key], fmt.Sprintf("%d %d R", p.GetID(), p.GetGen()))
			}
		}
	}
	size := int(trailer.Key("Size").Int64())
	if size <= 0 {
		return nil, naskah.Errorf(naskah.EINVALID, "the PDF's trailer has no /Size")
	}
	var b bytes.Buffer
	b.Grow(len(data) + 64<<10)
	b.Write(data)
	if !bytes.HasSuffix(data, []byte("\n")) {
		b.WriteByte('\n')
	}
	var offsets []int
	next := size
	stream := func(body []byte) int {
		id := next
		next++
		offsets = append(offsets, b.Len())
		fmt.Fprintf(&b, "%d 0 obj\n<< /Length %d >>\nstream\n", id, len(body))
		b.Write(body)
		b.WriteString("\nendstream\nendobj\n")
		return id
	}
	refs := func(key string, list [][]byte) (string, int) {
		items := slices.Clone(keep[key])
		for _, body := range list {
			items = append(items, fmt.Sprintf("%d 0 R", stream(body)))
		}
		return "[" + strings.Join(items, " ") + "]", len(items)
	}
	certs, _ := refs("Certs", d.certs)
	ocsps, nOCSP := refs("OCSPs", d.ocsps)
	crls, nCRL := refs("CRLs", d.crls)
	dssID := next
	next++
	offsets = append(offsets, b.Len())
	fmt.Fprintf(&b, "%d 0 obj\n<< /Type /DSS /Certs %s", dssID, certs)
	if nOCSP > 0 {
		fmt.Fprintf(&b, " /OCSPs %s", ocsps)
	}
	if nCRL > 0 {
		fmt.Fprintf(&b, " /CRLs %s", crls)
	}
	b.WriteString(" >>\nendobj\n")
	rootID := next
	next++
	offsets = append(offsets, b.Len())
	fmt.Fprintf(&b, "%d 0 obj\n<< /DSS %d 0 R %s\nendobj\n", rootID, dssID, catalog[2:])

	tail := fmt.Sprintf("/Root %d 0 R /Prev %d", rootID, rdr.XrefInformation.StartPos)
	if info := trailer.Key("Info"); !info.IsNull() {
		p := info.GetPtr()
		if p.GetID() == 0 {
			return nil, naskah.Errorf(naskah.EINVALID, "the PDF's /Info is not an indirect object")
		}
		tail += fmt.Sprintf(" /Info %d %d R", p.GetID(), p.GetGen())
	}
	if id := trailer.Key("ID"); id.Len() == 2 {
		tail += fmt.Sprintf(" /ID [<%x> <%x>]", id.Index(0).RawString(), id.Index(1).RawString())
	}
	xref := b.Len()
	switch rdr.XrefInformation.Type {
	case "table":
		fmt.Fprintf(&b, "xref\n%d %d\n", size, len(offsets))
		for _, off := range offsets {
			fmt.Fprintf(&b, "%010d 00000 n \n", off)
		}
		fmt.Fprintf(&b, "trailer\n<< /Size %d %s >>\n", next, tail)
	case "stream":
		xid := next
		offsets = append(offsets, xref)
		var rows bytes.Buffer
		for _, off := range offsets {
			rows.Write([]byte{1, byte(off >> 24), byte(off >> 16), byte(off >> 8), byte(off), 0, 0})
		}
		if xref >= 1<<32 {
			return nil, naskah.Errorf(naskah.EINVALID, "the PDF is too large")
		}
		fmt.Fprintf(&b, "%d 0 obj\n<< /Type /XRef /Size %d /W [1 4 2] /Index [%d %d] %s /Length %d >>\nstream\n",
			xid, xid+1, size, len(offsets), tail, rows.Len())
		b.Write(rows.Bytes())
		b.WriteString("\nendstream\nendobj\n")
	default:
		return nil, naskah.Errorf(naskah.EINVALID, "the PDF's cross-reference section (%q) is not understood", rdr.XrefInformation.Type)
	}
	fmt.Fprintf(&b, "startxref\n%d\n%%%%EOF\n", xref)
	return b.Bytes(), nil
}

// dssRef is a catalog's /DSS entry, an indirect reference.
var dssRef = regexp.MustCompile(`/DSS\s+\d+\s+\d+\s+R`)

// xrefEntry is one xref entry as the reader holds it (see checkXref).
type xrefEntry struct {
	id, streamID uint32
	gen          uint16
	inStream     bool
	offset       int64
}

// xrefEntries returns the reader's merged xref by object number.
func xrefEntries(rdr *pdfreader.Reader) (map[uint32]xrefEntry, error) {
	xs := rdr.Xref()
	m := make(map[uint32]xrefEntry, len(xs))
	for i := range xs {
		v := reflect.ValueOf(xs[i])
		off, inStream, stream := v.FieldByName("offset"), v.FieldByName("inStream"), v.FieldByName("stream")
		if !off.IsValid() || !inStream.IsValid() || !stream.IsValid() {
			return nil, fmt.Errorf("xref entries cannot be read")
		}
		ptr := xs[i].Ptr()
		e := xrefEntry{id: ptr.GetID(), gen: ptr.GetGen(), inStream: inStream.Bool(), offset: off.Int()}
		if sid := stream.FieldByName("id"); sid.IsValid() {
			e.streamID = uint32(sid.Uint())
		}
		m[e.id] = e
	}
	return m, nil
}

// plainObject returns the dictionary text of object ptr, which must be a
// dictionary written as an ordinary object (not in an object stream).
func plainObject(data []byte, rdr *pdfreader.Reader, id uint32, gen uint16) ([]byte, error) {
	xs, err := xrefEntries(rdr)
	if err != nil {
		return nil, err
	}
	e, ok := xs[id]
	if !ok || e.inStream || !objectAt(data, e.offset, id, gen) {
		return nil, naskah.Errorf(naskah.EINVALID, "katalog PDF ini tersimpan dalam aliran objek: tanda tangani dulu dengan Naskah — this PDF's catalog is in an object stream: sign it with Naskah first")
	}
	rest := data[e.offset:]
	i := bytes.Index(rest, []byte("obj"))
	j := bytes.Index(rest, []byte("endobj"))
	if i < 0 || j < i {
		return nil, naskah.Errorf(naskah.EINVALID, "the PDF's catalog cannot be read")
	}
	dict := bytes.TrimSpace(rest[i+3 : j])
	if !bytes.HasPrefix(dict, []byte("<<")) || !bytes.HasSuffix(dict, []byte(">>")) || bytes.Contains(dict, []byte("stream")) {
		return nil, naskah.Errorf(naskah.EINVALID, "the PDF's catalog is not a dictionary")
	}
	return dict, nil
}

// validationDataOnly reports whether everything in data after its first
// end bytes (the last signature's range) is incremental updates that add
// new objects and replace the catalog by one that differs only by /DSS:
// validation data, which changes nothing a reader shows.
func validationDataOnly(data []byte, end int64) (ok bool, why string) {
	if err := recovered("verify: dss", func() error {
		ok, why = checkValidationDataOnly(data, end)
		return nil
	}); err != nil {
		if os.Getenv("NASKAH_DSS_DEBUG") != "" {
			fmt.Fprintln(os.Stderr, err)
		}
		return false, "the update after it cannot be read"
	}
	return ok, why
}

func checkValidationDataOnly(data []byte, end int64) (bool, string) {
	before, err := pdfreader.NewReader(bytes.NewReader(data[:end]), end)
	if err != nil {
		return false, "the signed revision cannot be read on its own"
	}
	after, err := pdfreader.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return false, "the file cannot be read"
	}
	xb, err := xrefEntries(before)
	if err != nil {
		return false, err.Error()
	}
	xa, err := xrefEntries(after)
	if err != nil {
		return false, err.Error()
	}
	for id, e := range xb {
		if xa[id] != e {
			return false, fmt.Sprintf("object %d of the signed revision was replaced", id)
		}
	}
	tb, ta := before.Trailer(), after.Trailer()
	// New objects take numbers from the signed revision's /Size on: a
	// number below it (a free entry) could be one a signed object refers
	// to, which would then show new content.
	size := tb.Key("Size").Int64()
	for id := range xa {
		if _, old := xb[id]; !old && int64(id) < size && id != 0 {
			return false, fmt.Sprintf("object %d, free in the signed revision, was defined", id)
		}
	}
	ib, ia := tb.Key("Info"), ta.Key("Info")
	if !ta.Key("Encrypt").IsNull() || ib.IsNull() != ia.IsNull() || !ib.IsNull() && ib.GetPtr() != ia.GetPtr() {
		return false, "the trailer changed"
	}
	rb, ra := tb.Key("Root"), ta.Key("Root")
	if ra.Kind() != pdfreader.Dict || ra.Key("DSS").Kind() != pdfreader.Dict || ra.Key("DSS").Key("Type").Name() != "DSS" && !ra.Key("DSS").Key("Type").IsNull() {
		return false, "the update is not a /DSS"
	}
	keys := map[string]bool{}
	for _, k := range rb.Keys() {
		keys[k] = true
	}
	for _, k := range ra.Keys() {
		if k != "DSS" && !keys[k] {
			return false, fmt.Sprintf("the catalog gained /%s", k)
		}
	}
	for _, k := range rb.Keys() {
		if k == "DSS" {
			continue
		}
		if !sameValue(rb.Key(k), ra.Key(k), rb.GetPtr(), ra.GetPtr(), 0) {
			return false, fmt.Sprintf("the catalog's /%s changed", k)
		}
	}
	return true, ""
}

// sameValue compares a value of the signed catalog with the new one's.
// Values held directly in the catalogs (whose pointer is the catalog's)
// are compared by structure; an indirect value must be the same object,
// which the xref check has shown unchanged.
func sameValue(a, b pdfreader.Value, ca, cb any, depth int) bool {
	if depth > 32 || a.Kind() != b.Kind() {
		return false
	}
	pa, pb := any(a.GetPtr()), any(b.GetPtr())
	direct := pa == ca && pb == cb
	if !direct {
		return pa == pb
	}
	switch a.Kind() {
	case pdfreader.Dict:
		ka, kb := a.Keys(), b.Keys()
		if len(ka) != len(kb) {
			return false
		}
		for i, k := range ka {
			if kb[i] != k || !sameValue(a.Key(k), b.Key(k), ca, cb, depth+1) {
				return false
			}
		}
		return true
	case pdfreader.Array:
		if a.Len() != b.Len() {
			return false
		}
		for i := 0; i < a.Len(); i++ {
			if !sameValue(a.Index(i), b.Index(i), ca, cb, depth+1) {
				return false
			}
		}
		return true
	case pdfreader.Stream:
		return false
	}
	return a.String() == b.String()
}

// dssData is the validation data of a file's /DSS.
type dssData struct {
	certs       []*x509.Certificate
	ocsps, crls [][]byte
	present     bool
}

// readDSS reads the catalog's /DSS; streams are read within the
// decompression budget of the guard (Check ran before).
func readDSS(rdr *pdfreader.Reader) dssData {
	var d dssData
	dss := rdr.Trailer().Key("Root").Key("DSS")
	if dss.Kind() != pdfreader.Dict {
		return d
	}
	d.present = true
	read := func(v pdfreader.Value) []byte {
		if v.Kind() != pdfreader.Stream {
			return nil
		}
		rc := v.Reader()
		defer rc.Close()
		var buf bytes.Buffer
		if _, err := buf.ReadFrom(io.LimitReader(rc, 16<<20)); err != nil {
			return nil
		}
		return buf.Bytes()
	}
	list := func(key string, n int) [][]byte {
		var out [][]byte
		arr := dss.Key(key)
		for i := 0; i < arr.Len() && i < n; i++ {
			if b := read(arr.Index(i)); b != nil {
				out = append(out, b)
			}
		}
		return out
	}
	for _, der := range list("Certs", 1000) {
		if c, err := x509.ParseCertificate(der); err == nil {
			d.certs = append(d.certs, c)
		}
	}
	d.ocsps, d.crls = list("OCSPs", 1000), list("CRLs", 1000)
	return d
}

// tsaChainOf returns the chain of the signature timestamp's TSA, or nil.
func tsaChainOf(p7 *pkcs7.PKCS7, roots *x509.CertPool) []*x509.Certificate {
	for _, a := range p7.Signers[0].UnauthenticatedAttributes {
		if !a.Type.Equal(oidTimestampToken) {
			continue
		}
		token := a.Value.Bytes
		if len(token) == 0 {
			token = a.Value.FullBytes
		}
		ts, err := timestamp.Parse(token)
		if err != nil {
			return nil
		}
		tsa, err := pkcs7.Parse(token)
		if err != nil || tsa.GetOnlySigner() == nil {
			return nil
		}
		chain, err := verifyChain(tsa.GetOnlySigner(), ts.Certificates, roots, ts.Time)
		if err != nil {
			return nil
		}
		return chain
	}
	return nil
}

// coveredByDSS reports whether every certificate of chain but the root
// has a status in d: a good OCSP response or a CRL of its issuer that
// does not list it, or one that shows it revoked only after poe (which
// is still proof it was valid then). revokedAt is set when d shows a
// revocation at or before poe.
func coveredByDSS(d dssData, chain []*x509.Certificate, poe time.Time) (covered bool, revokedAt time.Time) {
	if len(chain) < 2 {
		return false, time.Time{}
	}
	for i, c := range chain[:len(chain)-1] {
		ok, rev := statusIn(d, c, chain[i+1])
		if !rev.IsZero() && !rev.After(poe) {
			return false, rev
		}
		if !ok {
			return false, time.Time{}
		}
	}
	return true, time.Time{}
}

// statusIn finds c's status in d: known (a response or CRL signed for
// it) and, if revoked, when.
func statusIn(d dssData, c, issuer *x509.Certificate) (known bool, revokedAt time.Time) {
	for _, raw := range d.ocsps {
		r, err := ocsp.ParseResponseForCert(raw, c, issuer)
		if err != nil {
			continue
		}
		switch r.Status {
		case ocsp.Good:
			return true, time.Time{}
		case ocsp.Revoked:
			return true, r.RevokedAt
		}
	}
	for _, raw := range d.crls {
		crl, err := x509.ParseRevocationList(raw)
		if err != nil || crl.CheckSignatureFrom(issuer) != nil {
			continue
		}
		for _, e := range crl.RevokedCertificateEntries {
			if e.SerialNumber.Cmp(c.SerialNumber) == 0 {
				return true, e.RevocationTime
			}
		}
		return true, time.Time{}
	}
	return false, time.Time{}
}

// longTermLevels raises B-T signatures whose chains (signer's and TSA's)
// the /DSS covers to B-LT, and flags a revocation before the proof of
// existence that the DSS shows.
func (r *Report) longTermLevels(d dssData) {
	if !d.present {
		return
	}
	for i := range r.Signatures {
		s := &r.Signatures[i]
		if s.Level != LevelBT {
			continue
		}
		okSigner, revSigner := coveredByDSS(d, s.chain, s.ProofOfExistence)
		okTSA, revTSA := coveredByDSS(d, s.tsaChain, s.ProofOfExistence)
		for _, rev := range []time.Time{revSigner, revTSA} {
			if !rev.IsZero() {
				s.Problems = append(s.Problems, fmt.Sprintf("the DSS shows a certificate of this signature revoked on %s, before the signature's proof of existence", rev.UTC().Format(time.RFC3339)))
				s.Indication, s.SubIndication = TotalFailed, "REVOKED"
			}
		}
		if okSigner && okTSA {
			s.Level = LevelBLT
		}
	}
}

// reportProblems lists a report's problems and those of its signatures.
func reportProblems(r *Report) []string {
	ps := append([]string(nil), r.Problems...)
	for i, s := range r.Signatures {
		for _, p := range s.Problems {
			ps = append(ps, fmt.Sprintf("signature %d: %s", i+1, p))
		}
	}
	return ps
}
