package pipeline

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/bpom/naskah"
	"github.com/bpom/naskah/pipeline/pdf"
)

// SignatureBinding ties one signature of a signed file to the record: the
// certificate's holder, the Naskah user the record says signed, and
// whether the two agree. Mismatch is what a verification page must show
// loudly: a genuine-looking signature by someone other than the record says.
type SignatureBinding struct {
	Index               int         `json:"index"`          // 1-based, file order
	Holder              string      `json:"holder"`         // the certificate's common name
	HolderSubject       string      `json:"holder_subject"` // the certificate's full subject
	NIK                 string      `json:"nik,omitempty"`
	Fingerprint         string      `json:"fingerprint,omitempty"` // of the certificate in the file
	TrustList           string      `json:"trust_list,omitempty"`  // bpom or partner
	User                string      `json:"user,omitempty"`        // the Naskah user the record names
	Role                naskah.Role `json:"role,omitempty"`
	RecordedFingerprint string      `json:"recorded_fingerprint,omitempty"`
	External            bool        `json:"external,omitempty"`   // countersigned outside Naskah
	Registered          bool        `json:"registered"`           // the certificate is registered to User
	RevokedAt           *time.Time  `json:"revoked_at,omitempty"` // registered, and revoked since
	Mismatch            bool        `json:"mismatch"`
	// Party is "partner" for a signature whose certificate chains to the
	// partner trust list or that the record gives to MITRA, else "bpom":
	// a partner's signature is never shown as a BPOM official's.
	Party string `json:"party"`
	// NameMismatch: the certificate holder is not the Naskah account's
	// name. Without an ADMIN's recorded confirmation it is a Mismatch too.
	NameMismatch bool   `json:"name_mismatch,omitempty"`
	AccountName  string `json:"account_name,omitempty"`
	// AtRecordedTime: the chain was validated at the signing time Naskah
	// recorded (no trusted timestamp), SignedAt.
	AtRecordedTime bool       `json:"at_recorded_time,omitempty"`
	SignedAt       *time.Time `json:"signed_at,omitempty"`
	Problems       []string   `json:"problems,omitempty"`
}

// VerifyRecorded verifies d's stored bytes (data) as VerifyDocument does,
// except that a signature without a trusted timestamp is validated at the
// signing time Naskah recorded for it (SignatureInfo.SignedAt, written at
// commit and covered by the audit chain): a genuine signed text stays
// valid for its whole retention after the signer's certificate expires.
// A file without a record keeps VerifyDocument's current time.
func (e *Engine) VerifyRecorded(ctx context.Context, d *naskah.DocumentVersion, data []byte) (*pdf.Report, error) {
	if int64(len(data)) > e.Config.Limits.MaxBytes && e.Config.Limits.MaxBytes > 0 {
		return nil, naskah.Errorf(naskah.ETOOLARGE, "the file is larger than the %d MB limit", e.Config.Limits.MaxBytes>>20)
	}
	at := map[string]time.Time{}
	for _, s := range d.Signatures {
		if s.Fingerprint != "" && !s.SignedAt.IsZero() {
			at[s.Fingerprint] = s.SignedAt
		}
	}
	opts := e.verifyOptions()
	opts.SignedAt = func(fp string) (time.Time, bool) { t, ok := at[fp]; return t, ok }
	return pdf.Verify(ctx, data, opts)
}

// Bindings compares the signatures in a signed file (rep, from
// VerifyDocument on d's bytes) with what the record says of each one.
func (e *Engine) Bindings(ctx context.Context, d *naskah.DocumentVersion, rep *pdf.Report) ([]SignatureBinding, error) {
	certs := map[string][]Certificate{}
	lookup := func(user string) ([]Certificate, error) {
		if cs, ok := certs[user]; ok {
			return cs, nil
		}
		if checkUser(user) != nil {
			return nil, nil
		}
		cs, err := e.Certificates(ctx, user)
		certs[user] = cs
		return cs, err
	}
	var out []SignatureBinding
	for i, s := range rep.Signatures {
		b := SignatureBinding{Index: i + 1, TrustList: s.TrustList, Party: "bpom", AtRecordedTime: s.AtRecordedTime}
		if s.AtRecordedTime {
			t := s.ValidatedAt
			b.SignedAt = &t
		}
		bad := func(format string, args ...any) {
			b.Mismatch = true
			b.Problems = append(b.Problems, fmt.Sprintf(format, args...))
		}
		if s.Certificate != nil {
			b.Holder, b.HolderSubject, b.NIK, b.Fingerprint = s.Certificate.Subject.CommonName, SubjectString(s.Certificate.Subject), NIK(s.Certificate), Fingerprint(s.Certificate)
		}
		var rec *naskah.SignatureInfo
		switch {
		case i < len(d.Signatures) && d.Signatures[i].Fingerprint != "":
			rec = &d.Signatures[i]
			b.User, b.Role, b.RecordedFingerprint, b.External = rec.User, rec.Role, rec.Fingerprint, rec.External
		case i < len(d.Signatures): // an older signature, recorded without its certificate
			b.User, b.Role = d.Signatures[i].User, d.Signatures[i].Role
		case i < len(d.Signers):
			role, user, _ := strings.Cut(d.Signers[i], ":")
			b.User, b.Role = user, naskah.Role(role)
		default:
			bad("tanda tangan ini tidak tercatat di Naskah — this signature is not in Naskah's record")
			out = append(out, b)
			continue
		}
		if b.TrustList == "partner" || b.Role == naskah.RoleMitra {
			b.Party = "partner"
		}
		if b.Fingerprint == "" {
			bad("sertifikat penanda tangan tidak ada dalam berkas — the signer's certificate is not in the file")
			out = append(out, b)
			continue
		}
		if rec != nil && rec.Fingerprint != b.Fingerprint {
			bad("sertifikat dalam berkas bukan sertifikat yang tercatat untuk %s — the certificate in the file is not the one recorded for %s", b.User, b.User)
		}
		if b.Role != naskah.RoleMitra && b.TrustList == "partner" {
			bad("pejabat BPOM %s menandatangani dengan sertifikat dari CA mitra — BPOM official %s signed with a certificate from a partner CA", b.User, b.User)
		}
		cs, err := lookup(b.User)
		if err != nil {
			return nil, err
		}
		var reg *Certificate
		for j := range cs {
			if cs[j].Fingerprint == b.Fingerprint {
				reg = &cs[j]
				b.Registered, b.RevokedAt = true, cs[j].RevokedAt
			}
		}
		// A countersignature made outside Naskah must be registered to the
		// MITRA user who uploaded it, as any other: the partner trust list
		// says who issued it, not which person it is.
		switch {
		case b.Registered && b.RevokedAt != nil && rec != nil && b.RevokedAt.Before(rec.SignedAt):
			bad("sertifikat ini sudah dicabut sebelum penandatanganan — this certificate was revoked before the signature was made")
		case b.Registered:
		default:
			bad("sertifikat ini tidak terdaftar untuk pengguna %s — this certificate is not registered to user %s", b.User, b.User)
		}
		if e.AccountName != nil {
			if name := e.AccountName(b.User); name != "" && !SameName(b.Holder, name) {
				b.NameMismatch, b.AccountName = true, name
				msg := fmt.Sprintf("pemegang sertifikat (%s) bukan nama akun %s (%s) — the certificate holder (%s) is not the name of account %s (%s)", b.Holder, b.User, name, b.Holder, b.User, name)
				if reg != nil && reg.NameConfirmedBy != "" {
					b.Problems = append(b.Problems, msg+fmt.Sprintf("; dikonfirmasi ADMIN %s saat pendaftaran — confirmed by ADMIN %s at registration", reg.NameConfirmedBy, reg.NameConfirmedBy))
				} else {
					bad("%s", msg)
				}
			}
		}
		out = append(out, b)
	}
	for i := len(rep.Signatures); i < len(d.Signatures); i++ {
		r := d.Signatures[i]
		out = append(out, SignatureBinding{Index: i + 1, User: r.User, Role: r.Role, RecordedFingerprint: r.Fingerprint, External: r.External, Mismatch: true,
			Problems: []string{"tanda tangan yang tercatat tidak ada dalam berkas — a recorded signature is missing from the file"}})
	}
	return out, nil
}

// BindingsOK reports whether every signature agrees with the record.
func BindingsOK(bs []SignatureBinding) bool {
	for _, b := range bs {
		if b.Mismatch {
			return false
		}
	}
	return true
}
