package pdf

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/bpom/naskah"
	pdfreader "github.com/digitorus/pdf"
	"github.com/digitorus/pdfsign/revocation"
	"github.com/digitorus/pdfsign/sign"
	"github.com/mattetti/filebuffer"
	"golang.org/x/crypto/ocsp"
	"software.sslmate.com/src/go-pkcs12"
)

// Signer is one official's signing identity. Key is a crypto.Signer so an
// HSM (PKCS#11) or a remote signing service fits in place of a keystore.
type Signer struct {
	Key         crypto.Signer
	Certificate *x509.Certificate
	Chain       []*x509.Certificate // intermediates (and optionally the root), nearest first
	Name, Title string
}

// oidTitle is the X.520 title attribute, where the official's position
// ("Kepala Badan") is kept in the certificate.
var oidTitle = asn1.ObjectIdentifier{2, 5, 4, 12}

// LoadPKCS12 opens an official's PKCS#12 keystore. A wrong passphrase is
// EFORBIDDEN; a file that is not a keystore is EINVALID. The passphrase is
// neither kept nor part of any error.
func LoadPKCS12(p12 []byte, passphrase string) (*Signer, error) {
	key, cert, chain, err := pkcs12.DecodeChain(p12, passphrase)
	if errors.Is(err, pkcs12.ErrIncorrectPassword) {
		return nil, naskah.Errorf(naskah.EFORBIDDEN, "the keystore passphrase is wrong: enter the passphrase that came with your signing certificate")
	}
	if err != nil {
		return nil, naskah.WrapError(naskah.EINVALID, err, "the keystore is not a valid PKCS#12 (.p12/.pfx) file with one key and its certificate: export it again from your certificate authority")
	}
	signer, ok := key.(crypto.Signer)
	if !ok {
		return nil, naskah.Errorf(naskah.EINVALID, "the keystore's private key (%T) cannot sign: use an RSA or ECDSA key", key)
	}
	s := &Signer{Key: signer, Certificate: cert, Chain: chain, Name: cert.Subject.CommonName}
	for _, n := range cert.Subject.Names {
		if n.Type.Equal(oidTitle) {
			s.Title, _ = n.Value.(string)
		}
	}
	return s, nil
}

// SignOptions are the per-signature settings. Page is 1-based (0 means the
// last page, where signature blocks usually are, for a visible signature);
// Rect is the visible
// box [llx lly urx ury] in points. Timeout bounds the whole call including
// the TSA and revocation requests (default 30s).
type SignOptions struct {
	Reason, Location, ContactInfo string
	Visible                       bool
	Page                          int
	Rect                          [4]float64
	TSAURL                        string
	Timeout                       time.Duration
	Now                           func() time.Time
	EmbedRevocation               bool
	// Roots are the trust anchors the signer's certificate must chain to:
	// a certificate that does not is refused before anything is signed,
	// and the signed file must verify against them before it is returned.
	// Nil skips the chain check (tools signing for another party's trust
	// list); the pipeline always passes its roots.
	Roots *x509.CertPool
	// Digest is the CMS digest: crypto.SHA256, SHA384 or SHA512. Zero
	// picks one matching the key (signingDigest).
	Digest crypto.Hash
	// Appearance is the box of a visible signature; nil = pdfsign's one
	// line of text in Rect.
	Appearance *Appearance
	// Level is the PAdES baseline level to make (pades.go); empty is
	// DefaultLevel(TSAURL). TSAURL is asked only for B-T and above.
	Level Level
}

// DefaultSignTimeout bounds Sign when SignOptions.Timeout is zero.
const DefaultSignTimeout = 30 * time.Second

// Sign adds an approval signature to data as an incremental update: the
// bytes of data are kept as they are, so earlier signatures stay valid.
// Stamp before signing: any later rewrite breaks the signature.
func Sign(ctx context.Context, data []byte, s *Signer, opts SignOptions) ([]byte, error) {
	if err := checkSigner(s); err != nil {
		return nil, err
	}
	level, err := signLevel(opts)
	if err != nil {
		return nil, err
	}
	if level == LevelBB {
		opts.TSAURL = ""
	}
	if _, err := Check(ctx, data); err != nil {
		return nil, err // pdfsign cannot be stopped: it sees no file it could loop on
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	signingTime := now()
	if err := checkValidity(s.Certificate, signingTime); err != nil {
		return nil, err
	}
	if err := certPurpose(s.Certificate); err != nil {
		return nil, naskah.WrapError(naskah.EFORBIDDEN, err, "%v", err)
	}
	digest, err := signingDigest(s.Certificate.PublicKey, opts.Digest)
	if err != nil {
		return nil, naskah.WrapError(naskah.EINVALID, err, "%v", err)
	}
	chain, err := signChain(s, opts.Roots, signingTime)
	if err != nil {
		return nil, err
	}
	if err := certAlgorithms(chain); err != nil {
		return nil, naskah.WrapError(naskah.EFORBIDDEN, err, "%v", err)
	}
	before, err := verifyBefore(ctx, data, opts.Roots, now)
	if err != nil {
		return nil, err
	}
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = DefaultSignTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	sd := signData(ctx, s, opts, signingTime, chain, digest)
	if err := applyAppearance(ctx, &sd, data, s, opts, signingTime); err != nil {
		return nil, err
	}
	if opts.Visible && opts.Appearance == nil && (opts.Rect[2]-opts.Rect[0] < 1 || opts.Rect[3]-opts.Rect[1] < 1) {
		return nil, naskah.Errorf(naskah.EINVALID, "the visible signature box %v is empty: give lower-left and upper-right corners in points", opts.Rect)
	}

	type result struct {
		out []byte
		err error
	}
	done := make(chan result, 1)
	// pdfsign's TSA client has no timeout and takes no context, so the
	// call runs aside and we stop waiting when ctx ends. The goroutine
	// then ends with the TSA's connection; its result is dropped.
	go func() {
		var out []byte
		err := recovered("sign", func() error {
			if sd.RevocationFunction != nil {
				// Fetched once, before pdfsign copies the file, so that
				// the room counts the responses (signRoom) and a second
				// attempt does not fetch again.
				if err := fetchRevocation(&sd); err != nil {
					return fmt.Errorf("failed to fetch revocation data: %w", err)
				}
			}
			in := cadesInput{key: s.Key, cert: s.Certificate, chain: chain, digest: digest,
				revocation: sd.RevocationData, tsaURL: opts.TSAURL, tsaClient: tsaClient}
			allowance := 0
			if in.tsaURL != "" {
				allowance = defaultTSAAllowance
			}
			var err error
			out, err = signPAdES(ctx, data, sd, in, allowance)
			var re *roomError
			if errors.As(err, &re) && in.tsaURL != "" {
				// A TSA token larger than its allowance: sign afresh
				// (a new placeholder, signature and token) with room
				// for it.
				out, err = signPAdES(ctx, data, sd, in, allowance+re.need-re.room/2+2048)
			}
			if errors.As(err, &re) {
				err = errRoom(re.Error())
			}
			return err
		})
		done <- result{out, err}
	}()
	select {
	case r := <-done:
		if r.err != nil {
			if ctx.Err() == context.DeadlineExceeded && opts.TSAURL != "" {
				return nil, naskah.WrapError(naskah.EUNAVAILABLE, ctx.Err(), "the timestamp authority %s did not answer in time: try again, or ask the administrator to check the TSA", opts.TSAURL)
			}
			return nil, signError(ctx, r.err, opts.TSAURL)
		}
		made := level
		if level == LevelBLT || level == LevelBLTA {
			made = LevelBT // the signature; its validation data follows
		}
		if err := proveSigned(ctx, data, r.out, before, opts.Roots, now, made); err != nil {
			return nil, err
		}
		return extendSigned(ctx, r.out, opts, now, level)
	case <-ctx.Done():
		if opts.TSAURL != "" {
			return nil, naskah.WrapError(naskah.EUNAVAILABLE, ctx.Err(), "the timestamp authority %s did not answer in time: try again, or ask the administrator to check the TSA", opts.TSAURL)
		}
		return nil, canceled(ctx.Err())
	}
}

// signBytes is the pdfsign call itself, on bytes in memory; tsaAllowance
// is the room kept for a timestamp token (0: none).
// A signature that outgrows the room signRoom made is a *roomError: the
// file pdfsign made by retrying is never used.
func signBytes(data []byte, sd sign.SignData, tsaAllowance int) ([]byte, error) {
	rd := bytes.NewReader(data)
	rdr, err := pdfreader.NewReader(rd, int64(len(data)))
	if err != nil {
		return nil, naskah.WrapError(naskah.EINVALID, err, "the PDF cannot be read for signing: it is damaged; upload it again")
	}
	if sd.Appearance.Page == 0 {
		// pdfsign finds a page by walking the page tree, decompressing
		// object streams on the way: only a visible signature pays for the
		// walk to the last page.
		sd.Appearance.Page = 1
		if sd.Appearance.Visible {
			sd.Appearance.Page = uint32(max(1, rdr.NumPage()))
		}
	}
	if err := checkForm(rdr); err != nil {
		return nil, err
	}
	if sd.RevocationFunction != nil {
		// Fetched before pdfsign copies the file, so that signGrowth counts
		// the responses; pdfsign then only sizes what is in RevocationData
		// (and does not fetch again if it retries with a larger placeholder).
		// Sign fetches before calling here; this stays for other callers.
		if err := fetchRevocation(&sd); err != nil {
			return nil, fmt.Errorf("failed to fetch revocation data: %w", err)
		}
	}
	room, err := signRoom(&sd, data, tsaAllowance)
	if err != nil {
		return nil, err
	}
	var out lastWrite
	in := &signInput{Reader: rd, capacity: signGrowth(room, sd), pad: signPad(len(data), rdr)}
	if err := sign.Sign(in, &out, rdr, int64(len(data)), sd); err != nil {
		return nil, err
	}
	if out.p == nil {
		return nil, naskah.Errorf(naskah.EINTERNAL, "the signer produced no output")
	}
	if out.n != 1 {
		// pdfsign wrote twice: its retry ran. The last write holds the
		// retried signature, whose size tells the room needed.
		return nil, &roomError{room: room, need: lastSignatureSize(out.p)}
	}
	// pdfsign finds its /Contents placeholder (a run of "0") by searching
	// the whole file, so a shorter placeholder than the zero padding left
	// in an earlier signature lands in that earlier signature and destroys
	// it. signRoom sizes past every zero run; this stays as the guard.
	if !bytes.HasPrefix(out.p, data) {
		return nil, naskah.Errorf(naskah.EUNAVAILABLE, "this PDF's earlier signature was made with a timestamp and this one without: signing would damage it; sign with the timestamp authority configured")
	}
	if err := checkRoom(out.p, len(data), room); err != nil {
		return nil, err
	}
	return out.p, nil
}

// fetchRevocation calls sd.RevocationFunction for each certificate of the
// first chain with its issuer (nil for the last), as pdfsign's
// fetchRevocationData does, and leaves the results in sd.RevocationData.
func fetchRevocation(sd *sign.SignData) error {
	if len(sd.CertificateChains) > 0 {
		chain := sd.CertificateChains[0]
		for i, c := range chain {
			var issuer *x509.Certificate
			if i+1 < len(chain) {
				issuer = chain[i+1]
			}
			if err := sd.RevocationFunction(c, issuer, &sd.RevocationData); err != nil {
				return err
			}
		}
	}
	sd.RevocationFunction = nil
	return nil
}

// signInput is the io.ReadSeeker pdfsign reads the file from: a
// bytes.Reader over the caller's slice (no copy), and a WriteTo that
// sizes pdfsign's output buffer. It keeps one signing under 4× the file
// size where pdfsign alone needs up to 5.8× (BenchmarkSignMemory).
//
// pdfsign (sign.go, SignPDF) copies the input into a fresh, empty
// *filebuffer.Buffer with io.Copy, which hands the copy to the source's
// WriteTo, and then appends the signature objects, xref and trailer; to
// hash, it concatenates the two signed ranges into a new slice
// (pdfsignature.go, createSignature), which pkcs7.NewSignedData then
// marshals into a third copy. Those two copies we cannot avoid through
// pdfsign's API; the rest we can, here:
//
//   - Left alone, the bytes.Buffer grows to the file size on the copy
//     and to twice that on the next append, with the first array alive
//     while the second is filled: about 3× the file at that moment and
//     a 2× array kept to the end (and, through lastWrite, by our caller).
//     Growing it once to the final size (capacity) before the copy means
//     it never reallocates.
//   - The concatenation is append(append([]byte{}, range1...), range2...).
//     The first append's array is range1's length rounded up to the
//     runtime's 8 KB page; when range2 (everything after /Contents: the
//     rest of the signature dictionary, the new objects, xref and
//     trailer, about 1–2 KB) does not fit in that rounding, the second
//     append copies everything into a 1.25× array while the first is
//     still alive: +2.25× of the file for the 15–25% of file sizes where
//     it happens. Whitespace after the previous %%EOF (allowed between
//     revisions; pdfsign itself adds a newline there) moves range1's end
//     just past a page boundary so range2 always fits: at most
//     sigPadNeed+sigPadMargin bytes, on files of 64 KB or more only.
//
// If pdfsign ever copies into another writer, this is a plain copy and
// nothing else changes.
type signInput struct {
	*bytes.Reader
	capacity int // what pdfsign will append, at most (signGrowth)
	pad      int // whitespace after the input (signPad)
}

func (in *signInput) WriteTo(w io.Writer) (int64, error) {
	fb, ok := w.(*filebuffer.Buffer)
	if !ok || fb.Buff == nil || fb.Buff.Len() != 0 {
		return in.Reader.WriteTo(w)
	}
	fb.Buff.Grow(in.Reader.Len() + in.pad + in.capacity)
	n, err := in.Reader.WriteTo(w)
	if err != nil || in.pad == 0 {
		return n, err
	}
	m, err := w.Write(whitespace(in.pad))
	return n + int64(m), err
}

const (
	// sigDictPrefix is what pdfsign writes of an approval signature's
	// dictionary before the < of /Contents (createSignaturePlaceholder).
	sigDictPrefix = "<<\n /Type /Sig\n /Filter /Adobe.PPKLite\n /SubFilter /adbe.pkcs7.detached\n" +
		" /Prop_Build <<\n   /App << /Name /Digitorus#20PDFSign >>\n >>\n" +
		" /ByteRange[0 ********** ********** **********] /Contents"
	sigPadMinSize = 64 << 10 // below, runtime size classes differ and fixed costs dominate
	sigPadPage    = 8 << 10  // the runtime rounds large allocations up to its page
	sigPadNeed    = 4 << 10  // room range2 needs, with margin (1–2 KB measured)
	sigPadMargin  = 64       // for our estimate of where range1 ends being off
)

// signPad is the whitespace to add after data so that pdfsign's
// concatenation of the signed ranges does not reallocate (see signInput).
// The signature dictionary is pdfsign's first new object; its number is
// the highest in the xref plus 2 (getLastObjectIDFromXref, addObject).
func signPad(size int, rdr *pdfreader.Reader) int {
	if size < sigPadMinSize {
		return 0
	}
	var maxID uint32
	for _, x := range rdr.Xref() {
		ptr := x.Ptr()
		maxID = max(maxID, ptr.GetID())
	}
	// input, pdfsign's "\n", "\nN 0 obj\n", the dictionary up to "<"
	end := size + 1 + len(fmt.Sprintf("\n%d 0 obj\n", maxID+2)) + len(sigDictPrefix)
	spare := (sigPadPage - end%sigPadPage) % sigPadPage
	if spare >= sigPadNeed {
		return 0
	}
	return spare + sigPadMargin
}

// whitespace returns n bytes of lines of spaces.
func whitespace(n int) []byte {
	b := bytes.Repeat([]byte(" "), n)
	for i := 79; i < n; i += 80 {
		b[i] = '\n'
	}
	if n > 0 {
		b[n-1] = '\n'
	}
	return b
}

// signGrowth is a safe upper bound of what pdfsign appends to the file:
// the /Contents room (hex digits, signRoom) and the new objects, xref and
// trailer (about 4 KB for an invisible signature; a visible one adds its
// appearance and rewrites its page dictionary).
// Overestimating costs only the unused capacity; underestimating lets the
// buffer double as before.
func signGrowth(room int, sd sign.SignData) int {
	n := room + 8<<10
	if sd.Appearance.Visible {
		n += 16<<10 + 2*len(sd.Appearance.Image) // the box image, re-deflated as RGB and alpha
	}
	return n
}

// lastWrite keeps the slice of the last Write instead of copying it.
// pdfsign builds the whole signed file in its own buffer, writes it in one
// call and drops the buffer, so keeping the slice saves a copy of the file
// (signing must stay under 4× the file size). It keeps the last write, not
// all: when the signature outgrows its placeholder pdfsign signs again and
// writes the complete file twice; n counts the writes so that Sign can
// refuse such a file.
type lastWrite struct {
	p []byte
	n int
}

func (w *lastWrite) Write(p []byte) (int, error) {
	w.p = p
	w.n++
	return len(p), nil
}

// signData maps our options onto pdfsign's.
func signData(ctx context.Context, s *Signer, opts SignOptions, at time.Time, chain []*x509.Certificate, digest crypto.Hash) sign.SignData {
	// /Name is only a claim (Verify names the certificate's holder), but
	// one that must not contradict the certificate.
	name := strings.TrimSpace(s.Name)
	if cn := s.Certificate.Subject.CommonName; !strings.Contains(foldName(name), foldName(cn)) {
		name = cn
	}
	if t := strings.TrimSpace(s.Title); t != "" {
		// The visible appearance shows only /Name: the title goes with it.
		name += ", " + t
	}
	sd := sign.SignData{
		Signature: sign.SignDataSignature{
			CertType: sign.ApprovalSignature,
			Info: sign.SignDataSignatureInfo{
				Name:        name,
				Location:    opts.Location,
				Reason:      opts.Reason,
				ContactInfo: opts.ContactInfo,
				Date:        at,
			},
		},
		Signer:            s.Key,
		DigestAlgorithm:   digest,
		Certificate:       s.Certificate,
		CertificateChains: [][]*x509.Certificate{chain},
		Appearance: sign.Appearance{
			Visible:     opts.Visible,
			Page:        uint32(max(0, opts.Page)),
			LowerLeftX:  opts.Rect[0],
			LowerLeftY:  opts.Rect[1],
			UpperRightX: opts.Rect[2],
			UpperRightY: opts.Rect[3],
		},
	}
	if opts.EmbedRevocation {
		sd.RevocationFunction = revocationFetcher(ctx)
	}
	return sd
}

func checkSigner(s *Signer) error {
	if s == nil || s.Key == nil || s.Certificate == nil {
		return naskah.Errorf(naskah.EINVALID, "no signing key and certificate were given: load the official's keystore first")
	}
	type equaler interface{ Equal(crypto.PublicKey) bool }
	if pub, ok := s.Key.Public().(equaler); !ok || !pub.Equal(s.Certificate.PublicKey) {
		return naskah.Errorf(naskah.EINVALID, "the signing key does not belong to the certificate of %q: use the keystore issued with that certificate", s.Certificate.Subject.CommonName)
	}
	return nil
}

// checkValidity refuses to sign with a certificate outside its validity:
// the signature would be untrusted from the start.
func checkValidity(c *x509.Certificate, at time.Time) error {
	if at.Before(c.NotBefore) {
		return naskah.Errorf(naskah.EFORBIDDEN, "the signing certificate of %q is valid only from %s: wait, or check the clock", c.Subject.CommonName, c.NotBefore.Format(time.DateOnly))
	}
	if at.After(c.NotAfter) {
		return naskah.Errorf(naskah.EFORBIDDEN, "the signing certificate of %q expired on %s: ask the certificate authority for a new one", c.Subject.CommonName, c.NotAfter.Format(time.DateOnly))
	}
	return nil
}

// signError translates a pdfsign failure.
func signError(ctx context.Context, err error, tsa string) error {
	var ne *naskah.Error
	if errors.As(err, &ne) {
		return err
	}
	if ctx.Err() != nil {
		return canceled(ctx.Err())
	}
	msg := err.Error()
	switch {
	case tsa != "" && strings.Contains(msg, "timestamp"):
		return naskah.WrapError(naskah.EUNAVAILABLE, err, "the timestamp authority %s refused or failed the request: try again, or ask the administrator to check the TSA", tsa)
	case strings.Contains(msg, "revocation"):
		return naskah.WrapError(naskah.EUNAVAILABLE, err, "the certificate's revocation status could not be fetched: try again later")
	default:
		return naskah.WrapError(naskah.EINVALID, err, "the PDF could not be signed: it may be damaged; export it to PDF again and retry")
	}
}

// revocationFetcher returns pdfsign's revocation hook with our HTTP client:
// pdfsign's default uses http.Get without a timeout. A revoked signing
// certificate stops the signing.
func revocationFetcher(ctx context.Context) sign.RevocationFunction {
	client := &http.Client{Timeout: 10 * time.Second}
	return func(cert, issuer *x509.Certificate, i *revocation.InfoArchival) error {
		if issuer == nil {
			return nil // a root: nothing above it to ask
		}
		if len(cert.OCSPServer) > 0 {
			body, err := fetchOCSP(ctx, client, cert, issuer)
			if err != nil {
				return err
			}
			return i.AddOCSP(body)
		}
		if len(cert.CRLDistributionPoints) > 0 {
			body, err := httpGet(ctx, client, cert.CRLDistributionPoints[0], 16<<20)
			if err != nil {
				return fmt.Errorf("revocation: crl %s: %w", cert.CRLDistributionPoints[0], err)
			}
			crl, err := x509.ParseRevocationList(body)
			if err != nil {
				return fmt.Errorf("revocation: crl %s: %w", cert.CRLDistributionPoints[0], err)
			}
			if err := crl.CheckSignatureFrom(issuer); err != nil {
				return fmt.Errorf("revocation: crl %s: %w", cert.CRLDistributionPoints[0], err)
			}
			for _, e := range crl.RevokedCertificateEntries {
				if e.SerialNumber.Cmp(cert.SerialNumber) == 0 {
					return naskah.Errorf(naskah.EFORBIDDEN, "the certificate of %q was revoked on %s: it can no longer sign", cert.Subject.CommonName, e.RevocationTime.Format(time.DateOnly))
				}
			}
			return i.AddCRL(body)
		}
		return nil
	}
}

// fetchOCSP asks cert's OCSP responder for its status and returns the
// response to embed, refusing a revoked certificate.
func fetchOCSP(ctx context.Context, client *http.Client, cert, issuer *x509.Certificate) ([]byte, error) {
	body, r, err := fetchOCSPResponse(ctx, client, cert, issuer)
	if err != nil {
		return nil, err
	}
	if r.Status == ocsp.Revoked {
		return nil, naskah.Errorf(naskah.EFORBIDDEN, "the certificate of %q was revoked on %s: it can no longer sign", cert.Subject.CommonName, r.RevokedAt.Format(time.DateOnly))
	}
	return body, nil
}

// fetchOCSPResponse asks cert's OCSP responder and returns its checked
// response, whatever the status.
func fetchOCSPResponse(ctx context.Context, client *http.Client, cert, issuer *x509.Certificate) ([]byte, *ocsp.Response, error) {
	url := cert.OCSPServer[0]
	req, err := ocsp.CreateRequest(cert, issuer, &ocsp.RequestOptions{Hash: crypto.SHA256})
	if err != nil {
		return nil, nil, fmt.Errorf("revocation: ocsp request: %w", err)
	}
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(req))
	if err != nil {
		return nil, nil, fmt.Errorf("revocation: ocsp %s: %w", url, err)
	}
	hreq.Header.Set("Content-Type", "application/ocsp-request")
	resp, err := client.Do(hreq)
	if err != nil {
		return nil, nil, fmt.Errorf("revocation: ocsp %s: %w", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, nil, fmt.Errorf("revocation: ocsp %s: %w", url, err)
	}
	r, err := ocsp.ParseResponseForCert(body, cert, issuer)
	if err != nil {
		return nil, nil, fmt.Errorf("revocation: ocsp %s: %w", url, err)
	}
	return body, r, nil
}

func httpGet(ctx context.Context, client *http.Client, url string, limit int64) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("status %s", resp.Status)
	}
	return io.ReadAll(io.LimitReader(resp.Body, limit))
}
