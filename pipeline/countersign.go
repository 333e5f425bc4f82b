package pipeline

import (
	"bytes"
	"context"
	"crypto/x509"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/bpom/naskah"
	"github.com/bpom/naskah/pipeline/pdf"
)

// verifyOptions trusts BPOM's roots and, for partners' signatures, the
// partner trust list; each signature's TrustList says which one it chains to.
func (e *Engine) verifyOptions() pdf.VerifyOptions {
	return pdf.VerifyOptions{Roots: e.Roots, PartnerRoots: e.PartnerRoots, Now: e.Now}
}

// signRoots are the roots a new signature must chain to: BPOM's, or for
// the partner signing in Naskah with a certificate from a partner CA, the
// partner trust list.
func (e *Engine) signRoots(actor naskah.Actor, s *pdf.Signer) *x509.CertPool {
	if actor.Role != naskah.RoleMitra || e.PartnerRoots == nil {
		return e.Roots
	}
	inter := x509.NewCertPool()
	for _, c := range s.Chain {
		inter.AddCert(c)
	}
	opts := x509.VerifyOptions{Roots: e.Roots, Intermediates: inter, CurrentTime: e.now(), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}
	if _, err := s.Certificate.Verify(opts); err == nil {
		return e.Roots
	}
	return e.PartnerRoots
}

// checkTrustList refuses a BPOM official's new signature that chains only
// to the partner trust list: BPOM signs with certificates from BPOM's CAs.
func checkTrustList(actor naskah.Actor, rep *pdf.Report) error {
	if actor.Role == naskah.RoleMitra || len(rep.Signatures) == 0 {
		return nil
	}
	if last := rep.Signatures[len(rep.Signatures)-1]; last.TrustList != "bpom" {
		return naskah.Errorf(naskah.EFORBIDDEN, "Sertifikat pejabat BPOM harus diterbitkan CA BPOM, bukan CA mitra — a BPOM official's certificate must be issued by a BPOM CA, not a partner's")
	}
	return nil
}

// Countersign records the partner's countersignature made outside Naskah:
// the partner (MITRA) uploads the PDF they signed on top of the current
// signed text. It is accepted only when the current signed text's bytes
// are an unchanged prefix of the upload, every earlier signature still
// verifies with the certificate recorded for it, and exactly one new
// signature covers the whole file and chains to the partner trust list.
// The bytes are stored as they are (no stamp: that would break the
// signatures) under retention, and recorded as the partner's signature.
func (e *Engine) Countersign(ctx context.Context, r Request, fileName string, body io.Reader) (*naskah.Agreement, error) {
	data, err := readLimited(body, e.Config.Limits.MaxBytes)
	if err != nil {
		return nil, err
	}
	if _, err := pdf.Inspect(ctx, data, e.Config.Limits); err != nil {
		return nil, err
	}
	return e.apply(ctx, r, naskah.ActionUpload, func(a *naskah.Agreement) (naskah.Action, func(), error) {
		if st := a.CurrentStep(); st == nil || !st.SignedBy {
			return naskah.Action{}, nil, naskah.Errorf(naskah.EINVALID, "a %s (%s) cannot be uploaded at %s: the partner's countersigned text is uploaded at the signing step (A9 or B10)", naskah.DocSigned.Title(), naskah.DocSigned, a.Step)
		}
		probe := naskah.Action{Kind: naskah.ActionSign, Actor: r.Actor, At: e.now(),
			Document: &naskah.DocumentVersion{Kind: naskah.DocSigned, Version: a.NextVersion(naskah.DocSigned)}}
		if _, err := naskah.Apply(*a, probe, e.Calendar); err != nil && naskah.ErrorCode(err) != naskah.EINVALID {
			return naskah.Action{}, nil, err
		}
		if r.Actor.Role != naskah.RoleMitra {
			return naskah.Action{}, nil, naskah.Errorf(naskah.EFORBIDDEN, "naskah yang ditandatangani di luar Naskah hanya diunggah oleh mitra (MITRA) — a text countersigned outside Naskah is uploaded by the partner (MITRA) only; BPOM officials sign in Naskah")
		}
		prev := a.CurrentSigned()
		if prev == nil {
			return naskah.Action{}, nil, naskah.Errorf(naskah.EINVALID, "BPOM belum menandatangani naskah ini: tanda tangan mitra dibubuhkan setelah tanda tangan BPOM — BPOM has not signed this text yet: the partner countersigns the text signed by BPOM (download it, sign it, upload it)")
		}
		if e.PartnerRoots == nil {
			return naskah.Action{}, nil, naskah.Errorf(naskah.EINVALID, "daftar kepercayaan mitra belum dikonfigurasi — the partner trust list is not configured: the operator sets partner_trust_roots (NASKAH_PARTNER_TRUST_ROOTS)")
		}
		prevData, err := e.readVersion(ctx, prev)
		if err != nil {
			return naskah.Action{}, nil, err
		}
		newSig, err := e.checkCountersigned(ctx, prev, prevData, data)
		if err != nil {
			return naskah.Action{}, nil, err
		}
		// The partner's certificate names a person: it must be registered
		// to this MITRA user, as a BPOM official's is to theirs.
		if err := e.checkBinding(ctx, r.Actor, newSig.Certificate); err != nil {
			return naskah.Action{}, nil, err
		}
		d, undo, err := e.storeVersion(ctx, a, naskah.DocSigned, data, r.Actor)
		if err != nil {
			return naskah.Action{}, nil, err
		}
		if err := e.recheckBinding(ctx, r.Actor, newSig.Certificate, undo); err != nil {
			return naskah.Action{}, nil, err
		}
		d.Pages, d.FileName, d.OriginalSHA256 = prev.Pages, cleanName(fileName), d.SHA256
		d.Signers = append(slices.Clone(prev.Signers), naskah.SignerTag(r.Actor.Role, r.Actor.User))
		d.Signatures = append(signaturesOf(prev), signatureInfo(r.Actor, newSig.Certificate, d.UploadedAt, true))
		note := strings.TrimSpace("ditandatangani mitra di luar Naskah — countersigned outside Naskah. " + r.Note)
		return naskah.Action{Kind: naskah.ActionSign, Actor: r.Actor, Note: note, RequestID: r.RequestID, Document: d}, undo, nil
	})
}

// checkCountersigned checks an upload against the signed text it claims
// to extend and returns the new signature.
func (e *Engine) checkCountersigned(ctx context.Context, prev *naskah.DocumentVersion, prevData, data []byte) (*pdf.SignatureReport, error) {
	if len(data) <= len(prevData) || !bytes.HasPrefix(data, prevData) {
		return nil, naskah.Errorf(naskah.EINVALID, "berkas ini tidak memuat naskah bertanda tangan BPOM (v%d) secara utuh: tanda tangan mitra harus ditambahkan pada berkas itu tanpa mengubahnya — this file does not contain BPOM's signed text (v%d) unchanged: the partner's signature must be added to that file as an incremental update, without changing it", prev.Version, prev.Version)
	}
	before, err := pdf.Verify(ctx, prevData, e.verifyOptions())
	if err != nil {
		return nil, err
	}
	rep, err := pdf.Verify(ctx, data, e.verifyOptions())
	if err != nil {
		return nil, err
	}
	n := len(before.Signatures)
	if got := len(rep.Signatures) - n; got != 1 {
		return nil, naskah.Errorf(naskah.EINVALID, "berkas ini menambahkan %d tanda tangan; harus tepat satu (tanda tangan mitra) — this file adds %d signatures to BPOM's signed text: exactly one (the partner's) is expected", got, got)
	}
	for i := 0; i < n; i++ {
		s, was := rep.Signatures[i], before.Signatures[i]
		if !s.DigestIntact || !s.Trusted || len(s.Problems) > 0 || s.Certificate == nil || was.Certificate == nil || !s.Certificate.Equal(was.Certificate) {
			return nil, naskah.Errorf(naskah.EINVALID, "tanda tangan BPOM ke-%d dalam berkas ini tidak lagi sah — BPOM's signature %d in this file no longer verifies (%s): upload the file exactly as signed on top of the text from Naskah", i+1, i+1, strings.Join(s.Problems, "; "))
		}
		if i < len(prev.Signatures) && prev.Signatures[i].Fingerprint != "" && Fingerprint(s.Certificate) != prev.Signatures[i].Fingerprint {
			return nil, naskah.Errorf(naskah.EINVALID, "tanda tangan ke-%d tidak dibuat dengan sertifikat yang tercatat — signature %d was not made with the certificate the record names", i+1, i+1)
		}
	}
	last := rep.Signatures[n]
	if !last.DigestIntact || !last.CoversWholeFile || last.Certificate == nil {
		return nil, naskah.Errorf(naskah.EINVALID, "tanda tangan mitra tidak sah — the partner's signature is not valid: %s", problems(rep))
	}
	partnerOnly, err := pdf.Verify(ctx, data, pdf.VerifyOptions{Roots: e.PartnerRoots, Now: e.Now})
	if err != nil {
		return nil, err
	}
	if len(partnerOnly.Signatures) != n+1 || !partnerOnly.Signatures[n].Trusted {
		return nil, naskah.Errorf(naskah.EINVALID, "sertifikat penanda tangan mitra (%s) tidak diterbitkan oleh CA dalam daftar kepercayaan mitra — the partner signer's certificate (%s) is not issued by a CA on the partner trust list: ask the operator to add the partner's CA", subjectOf(last), subjectOf(last))
	}
	if len(last.Problems) > 0 || !rep.Valid {
		return nil, naskah.Errorf(naskah.EINVALID, "tanda tangan mitra tidak sah — the partner's signature is not valid: %s", problems(rep))
	}
	return &last, nil
}

func subjectOf(s pdf.SignatureReport) string {
	if s.Certificate == nil {
		return "unknown"
	}
	return fmt.Sprint(s.Certificate.Subject.CommonName)
}
