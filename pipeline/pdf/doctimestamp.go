package pdf

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/bpom/naskah"
	pdfreader "github.com/digitorus/pdf"
	"github.com/digitorus/pdfsign/sign"
	"github.com/digitorus/pkcs7"
	"github.com/digitorus/timestamp"
)

// addDocTimestamp appends a document timestamp (/Type /DocTimeStamp,
// /SubFilter /ETSI.RFC3161) from the TSA at tsaURL over the whole of
// data, written by pdfsign (CertType TimeStampSignature). pdfsign's TSA
// request has no timeout: the call runs aside and ctx bounds the wait.
func addDocTimestamp(ctx context.Context, data []byte, tsaURL string) ([]byte, error) {
	if run := longestRun(data, '0'); run >= docTimestampRoom {
		// pdfsign finds its placeholder by searching the whole file for
		// a run of zeros of its room: it would land in that run.
		return nil, naskah.Errorf(naskah.EINVALID, "PDF ini berisi deretan nol sepanjang %d byte sehingga cap waktu dokumen tidak dapat ditambahkan dengan aman — this PDF holds a run of %d zeros: a document timestamp cannot be added safely", run, run)
	}
	type result struct {
		out []byte
		err error
	}
	done := make(chan result, 1)
	go func() {
		var out lastWrite
		err := recovered("doc timestamp", func() error {
			rd := bytes.NewReader(data)
			rdr, err := pdfreader.NewReader(rd, int64(len(data)))
			if err != nil {
				return naskah.WrapError(naskah.EINVALID, err, "the PDF cannot be read: it is damaged")
			}
			sd := sign.SignData{
				Signature:       sign.SignDataSignature{CertType: sign.TimeStampSignature},
				DigestAlgorithm: crypto.SHA256,
				TSA:             sign.TSA{URL: tsaURL},
				Appearance:      sign.Appearance{Page: 1},
			}
			return sign.Sign(rd, &out, rdr, int64(len(data)), sd)
		})
		if err == nil && (out.n != 1 || !bytes.HasPrefix(out.p, data)) {
			err = errors.New("doc timestamp: pdfsign retried or changed the input")
		}
		done <- result{out.p, err}
	}()
	select {
	case r := <-done:
		if r.err != nil {
			if ctx.Err() != nil {
				return nil, naskah.WrapError(naskah.EUNAVAILABLE, ctx.Err(), "the timestamp authority %s did not answer in time: try again, or ask the administrator to check the TSA", tsaURL)
			}
			return nil, naskah.WrapError(naskah.EUNAVAILABLE, r.err, "the timestamp authority %s refused or failed the document timestamp: try again, or ask the administrator to check the TSA", tsaURL)
		}
		if err := recovered("doc timestamp: xref", func() error { return checkXref(r.out) }); err != nil {
			return nil, errNotProved(err.Error())
		}
		return r.out, nil
	case <-ctx.Done():
		return nil, naskah.WrapError(naskah.EUNAVAILABLE, ctx.Err(), "the timestamp authority %s did not answer in time: try again, or ask the administrator to check the TSA", tsaURL)
	}
}

// docTimestampRoom is pdfsign's /Contents room for a document timestamp
// in hex digits: its base of 512 bytes and 9000 for the token.
const docTimestampRoom = 2 * (512 + 9000)

// KindDocTimestamp is SignatureReport.Kind of a document timestamp.
const KindDocTimestamp = "DocTimeStamp"

// checkDocTimestamp checks a document timestamp: its token is signed by
// a timestamping certificate that chains to roots now, and its message
// imprint is the digest of the ByteRange.
func checkDocTimestamp(data []byte, v pdfreader.Value, roots *x509.CertPool, now time.Time, sr SignatureReport) SignatureReport {
	sr.Kind = KindDocTimestamp
	problem := func(format string, args ...any) { sr.Problems = append(sr.Problems, fmt.Sprintf(format, args...)) }
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
	token := []byte(v.Key("Contents").RawString())
	ts, err := timestamp.Parse(token)
	if err != nil {
		problem("the document timestamp cannot be parsed or its signature is wrong: %v", err)
		sr.indicate(TotalFailed, "FORMAT_FAILURE")
		return sr
	}
	tsa, err := pkcs7.Parse(token)
	if err != nil || tsa.GetOnlySigner() == nil {
		problem("the document timestamp has no single signer")
		sr.indicate(Indeterminate, "NO_SIGNING_CERTIFICATE_FOUND")
		return sr
	}
	cert := tsa.GetOnlySigner()
	sr.Certificate, sr.SignerName, sr.SigningTime = cert, cert.Subject.CommonName, ts.Time
	sr.Revocation = "none embedded"
	if ts.HashAlgorithm != crypto.SHA256 && ts.HashAlgorithm != crypto.SHA384 && ts.HashAlgorithm != crypto.SHA512 {
		problem("the document timestamp uses %v, which is not allowed", ts.HashAlgorithm)
		sr.indicate(Indeterminate, "CRYPTO_CONSTRAINTS_FAILURE_NO_POE")
		return sr
	}
	h := ts.HashAlgorithm.New()
	h.Write(data[br[0] : br[0]+br[1]])
	h.Write(data[br[2]:end])
	if !bytes.Equal(h.Sum(nil), ts.HashedMessage) {
		problem("the document was changed after its timestamp (digest mismatch)")
		sr.indicate(TotalFailed, "HASH_FAILURE")
		return sr
	}
	sr.DigestIntact = true
	sr.Timestamp = &TimestampReport{Time: ts.Time, Authority: cert.Subject.CommonName, Valid: true}
	if !slices.Contains(cert.ExtKeyUsage, x509.ExtKeyUsageTimeStamping) {
		problem("the document timestamp's certificate is not for timestamping")
		sr.indicate(Indeterminate, "CHAIN_CONSTRAINTS_FAILURE")
		return sr
	}
	chain, err := verifyChain(cert, ts.Certificates, roots, now)
	if err != nil {
		problem("the document timestamp's authority is not trusted: %v", err)
		sr.indicate(chainIndication(err, false))
		return sr
	}
	if err := certAlgorithms(chain); err != nil {
		problem("%v", err)
		sr.indicate(Indeterminate, "CRYPTO_CONSTRAINTS_FAILURE_NO_POE")
		return sr
	}
	sr.Trusted, sr.Timestamp.Trusted, sr.chain = true, true, chain
	return sr
}

// archivalLevels raises B-LT signatures to B-LTA when a valid, trusted
// document timestamp after them covers a /DSS that holds their
// validation data, and the file's last /DSS holds the document
// timestamp's own.
func (r *Report) archivalLevels(data []byte, last dssData) {
	for i := range r.Signatures {
		s := &r.Signatures[i]
		if s.Level != LevelBLT {
			continue
		}
		for _, d := range r.Signatures {
			if d.Kind != KindDocTimestamp || !d.DigestIntact || !d.Trusted || len(d.Problems) > 0 || cmpEnd(d) <= cmpEnd(*s) {
				continue
			}
			if ok, _ := coveredByDSS(last, d.chain, time.Now()); !ok {
				continue
			}
			end := int64(cmpEnd(d))
			var covered dssData
			_ = recovered("verify: dss", func() error {
				rdr, err := pdfreader.NewReader(bytes.NewReader(data[:end]), end)
				if err == nil {
					covered = readDSS(rdr)
				}
				return nil
			})
			okS, _ := coveredByDSS(covered, s.chain, s.ProofOfExistence)
			okT, _ := coveredByDSS(covered, s.tsaChain, s.ProofOfExistence)
			if okS && okT {
				s.Level = LevelBLTA
				break
			}
		}
	}
}

// AddArchiveTimestamp raises a document's B-LT signatures to B-LTA: a
// /DSS with the validation data of every signature and of the TSA that
// will stamp (its chain learnt from a probe token), then a document
// timestamp from that TSA over the file with the DSS. The timestamp is
// the file's last revision: pdfcpu accepts a document timestamp only
// there, and its own validation data is already in the DSS it covers.
func AddArchiveTimestamp(ctx context.Context, data []byte, tsaURL string, opts LTVOptions) ([]byte, error) {
	if tsaURL == "" {
		return nil, naskah.Errorf(naskah.EINVALID, "cap waktu dokumen memerlukan otoritas cap waktu (TSA) — a document timestamp needs a timestamp authority: configure the TSA URL")
	}
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = DefaultSignTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if _, err := Check(ctx, data); err != nil {
		return nil, err
	}
	tsaChain, err := probeTSA(ctx, tsaURL, opts.Roots)
	if err != nil {
		return nil, err
	}
	withDSS, err := addValidationData(ctx, data, opts, [][]*x509.Certificate{tsaChain})
	if err != nil {
		return nil, err
	}
	stamped, err := addDocTimestamp(ctx, withDSS, tsaURL)
	if err != nil {
		return nil, err
	}
	rep, err := Verify(ctx, stamped, VerifyOptions{Roots: opts.Roots, Now: opts.Now})
	if err != nil {
		return nil, errNotProved(err.Error())
	}
	last := rep.Signatures[len(rep.Signatures)-1]
	if !rep.Valid || last.Kind != KindDocTimestamp || last.Indication != TotalPassed {
		return nil, errNotProved(fmt.Sprintf("the document timestamp does not verify: %v %v", rep.Problems, last.Problems))
	}
	return stamped, nil
}

// probeTSA asks the TSA for a token over a fixed message to learn its
// certificate chain, verified to roots.
func probeTSA(ctx context.Context, url string, roots *x509.CertPool) ([]*x509.Certificate, error) {
	msg := []byte("naskah: which certificate does this TSA sign with?")
	token, err := fetchTimestamp(ctx, tsaClient, url, msg, crypto.SHA256)
	if err != nil {
		return nil, naskah.WrapError(naskah.EUNAVAILABLE, err, "the timestamp authority %s refused or failed the request: try again, or ask the administrator to check the TSA", url)
	}
	ts, err := timestamp.Parse(token)
	if err != nil {
		return nil, naskah.WrapError(naskah.EUNAVAILABLE, err, "the timestamp authority %s answered with a token that cannot be read", url)
	}
	p7, err := pkcs7.Parse(token)
	if err != nil || p7.GetOnlySigner() == nil {
		return nil, naskah.Errorf(naskah.EUNAVAILABLE, "the timestamp authority %s answered with a token without its certificate", url)
	}
	chain, err := verifyChain(p7.GetOnlySigner(), ts.Certificates, roots, ts.Time)
	if err != nil {
		return nil, naskah.WrapError(naskah.EFORBIDDEN, err, "otoritas cap waktu %s tidak dipercaya — the timestamp authority %s is not trusted: its certificate does not chain to the trust roots", url, url)
	}
	return chain, nil
}
