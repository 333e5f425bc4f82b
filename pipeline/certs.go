package pipeline

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/bpom/naskah"
	"github.com/bpom/naskah/storage"
)

// Certificate is a signing certificate registered to one user. Only a
// certificate registered (and not revoked) for the acting user may sign in
// Naskah: this binds a signature to the person who made it. A revoked
// certificate stays listed with who revoked it, when and why.
type Certificate struct {
	Fingerprint  string     `json:"fingerprint"` // SHA-256 of the DER, lowercase hex
	Subject      string     `json:"subject"`
	CommonName   string     `json:"common_name"`
	Issuer       string     `json:"issuer"`
	Serial       string     `json:"serial"` // hex
	NotBefore    time.Time  `json:"not_before"`
	NotAfter     time.Time  `json:"not_after"`
	NIK          string     `json:"nik,omitempty"` // Nomor Induk Kependudukan, when the subject carries one
	DER          []byte     `json:"der"`
	AddedAt      time.Time  `json:"added_at"`
	AddedBy      string     `json:"added_by"`
	RevokedAt    *time.Time `json:"revoked_at,omitempty"`
	RevokedBy    string     `json:"revoked_by,omitempty"`
	RevokeReason string     `json:"revoke_reason,omitempty"`
	// NameConfirmedBy is the ADMIN who registered this certificate although
	// its holder is not AccountName, the account's name then (force).
	AccountName     string `json:"account_name,omitempty"`
	NameConfirmedBy string `json:"name_confirmed_by,omitempty"`
}

// Active reports whether the certificate may sign (it is not revoked).
func (c *Certificate) Active() bool { return c.RevokedAt == nil }

// UserCertificates is what users/<username>/certificates.json holds.
type UserCertificates struct {
	User         string        `json:"user"`
	Certificates []Certificate `json:"certificates"`
}

const certPrefix = "users/"

// CertificatesKey is the storage key of a user's registered certificates.
func CertificatesKey(user string) string { return certPrefix + user + "/certificates.json" }

var validUser = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$`)

func checkUser(user string) error {
	if !validUser.MatchString(user) || strings.Contains(user, "..") {
		return naskah.Errorf(naskah.EINVALID, "nama pengguna %q tidak sah — user name %q is not valid: use letters, digits, '.', '_', '-' or '@'", user, user)
	}
	return nil
}

// Fingerprint is the SHA-256 of a certificate's DER, lowercase hex.
func Fingerprint(c *x509.Certificate) string {
	s := sha256.Sum256(c.Raw)
	return hex.EncodeToString(s[:])
}

// oidSerialNumber is the X.520 serialNumber attribute, where Indonesian
// certificates (BSrE) keep the holder's NIK.
var oidSerialNumber = asn1.ObjectIdentifier{2, 5, 4, 5}

var nikPattern = regexp.MustCompile(`(?i)\bNIK[\s:=.-]*([0-9]{16})\b`)

// NIK returns the holder's NIK when the subject carries one: a 16-digit
// serialNumber attribute (2.5.4.5, optionally prefixed "NIK"), or "NIK
// 1234…" in the subject's common name.
func NIK(c *x509.Certificate) string {
	for _, n := range c.Subject.Names {
		if !n.Type.Equal(oidSerialNumber) {
			continue
		}
		v, _ := n.Value.(string)
		v = strings.TrimSpace(strings.TrimPrefix(strings.ToUpper(strings.TrimSpace(v)), "NIK"))
		v = strings.TrimLeft(v, ":=-. ")
		if len(v) == 16 && strings.Trim(v, "0123456789") == "" {
			return v
		}
	}
	if m := nikPattern.FindStringSubmatch(SubjectString(c.Subject)); m != nil {
		return m[1]
	}
	return ""
}

// ParseCertificate reads one certificate, PEM or DER. A PEM bundle must
// hold exactly one certificate: which one to register must not be a guess.
func ParseCertificate(data []byte) (*x509.Certificate, error) {
	if bytes.HasPrefix(bytes.TrimSpace(data), []byte("-----BEGIN")) {
		var ders [][]byte
		for rest := data; ; {
			var b *pem.Block
			b, rest = pem.Decode(rest)
			if b == nil {
				break
			}
			if b.Type == "CERTIFICATE" {
				ders = append(ders, b.Bytes)
			}
		}
		if len(ders) != 1 {
			return nil, naskah.Errorf(naskah.EINVALID, "berkas PEM berisi %d sertifikat; kirim tepat satu — the PEM file holds %d certificates: send exactly one (the signer's own)", len(ders), len(ders))
		}
		data = ders[0]
	}
	c, err := x509.ParseCertificate(data)
	if err != nil {
		return nil, naskah.WrapError(naskah.EINVALID, err, "berkas ini bukan sertifikat X.509 (PEM atau DER) — this file is not an X.509 certificate (PEM or DER): export the signing certificate, not the keystore")
	}
	return c, nil
}

func describe(c *x509.Certificate) Certificate {
	return Certificate{Fingerprint: Fingerprint(c), Subject: SubjectString(c.Subject), CommonName: c.Subject.CommonName, Issuer: SubjectString(c.Issuer),
		Serial: strings.ToUpper(c.SerialNumber.Text(16)), NotBefore: c.NotBefore.UTC(), NotAfter: c.NotAfter.UTC(), NIK: NIK(c), DER: c.Raw}
}

func requireAdmin(by naskah.Actor) error {
	if by.Role != naskah.RoleAdmin {
		return naskah.Errorf(naskah.EFORBIDDEN, "hanya ADMIN yang boleh mengelola sertifikat penandatanganan — only ADMIN may manage signing certificates; you are %s", by.Role)
	}
	return nil
}

// Certificates returns the certificates registered to user (revoked ones
// included), oldest first; none is an empty list, not an error.
func (e *Engine) Certificates(ctx context.Context, user string) ([]Certificate, error) {
	if err := checkUser(user); err != nil {
		return nil, err
	}
	uc, _, err := e.loadCertificates(ctx, user)
	if err != nil {
		return nil, err
	}
	return uc.Certificates, nil
}

// AllCertificates returns every user's registered certificates, by user.
func (e *Engine) AllCertificates(ctx context.Context) (map[string][]Certificate, error) {
	objs, err := e.Store.List(ctx, certPrefix)
	if err != nil {
		return nil, fmt.Errorf("list certificates: %w", err)
	}
	out := map[string][]Certificate{}
	for _, o := range objs {
		user, ok := strings.CutSuffix(strings.TrimPrefix(o.Key, certPrefix), "/certificates.json")
		if !ok || checkUser(user) != nil {
			continue
		}
		uc, _, err := e.loadCertificates(ctx, user)
		if err != nil {
			return nil, err
		}
		out[user] = uc.Certificates
	}
	return out, nil
}

func (e *Engine) loadCertificates(ctx context.Context, user string) (*UserCertificates, string, error) {
	rc, info, err := e.Store.Get(ctx, CertificatesKey(user), storage.GetOptions{})
	if naskah.ErrorCode(err) == naskah.ENOTFOUND {
		return &UserCertificates{User: user, Certificates: []Certificate{}}, "", nil
	}
	if err != nil {
		return nil, "", fmt.Errorf("read certificates of %s: %w", user, err)
	}
	defer rc.Close()
	var uc UserCertificates
	if err := json.NewDecoder(rc).Decode(&uc); err != nil {
		return nil, "", fmt.Errorf("read certificates of %s: %w", user, err)
	}
	if uc.Certificates == nil {
		uc.Certificates = []Certificate{}
	}
	return &uc, info.ETag, nil
}

// updateCertificates applies change to a user's list and writes it with a
// conditional PUT (If-Match the ETag read, If-None-Match on create), so
// replicas never lose each other's changes; a lost race is retried on the
// fresh list.
func (e *Engine) updateCertificates(ctx context.Context, user string, change func(uc *UserCertificates) error) (*UserCertificates, error) {
	for attempt := 0; ; attempt++ {
		uc, etag, err := e.loadCertificates(ctx, user)
		if err != nil {
			return nil, err
		}
		if err := change(uc); err != nil {
			return nil, err
		}
		body, err := json.MarshalIndent(uc, "", "  ")
		if err != nil {
			return nil, fmt.Errorf("encode certificates: %w", err)
		}
		_, err = e.Store.Put(ctx, CertificatesKey(user), bytes.NewReader(body), storage.PutOptions{Size: int64(len(body)),
			ContentType: "application/json", IfMatch: etag, IfNoneMatch: etag == "", Metadata: map[string]string{"user": user}})
		if naskah.ErrorCode(err) == naskah.ECONFLICT && attempt < 4 {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("write certificates of %s: %w", user, err)
		}
		return uc, nil
	}
}

// RegisterCertificate binds a signing certificate (PEM or DER) to user.
// Only ADMIN may. See RegisterCertificateWith; this is it without force.
func (e *Engine) RegisterCertificate(ctx context.Context, by naskah.Actor, user string, data []byte) (*Certificate, error) {
	return e.RegisterCertificateWith(ctx, by, user, data, RegisterOptions{})
}

// RegisterOptions are the choices of the ADMIN registering a certificate.
type RegisterOptions struct {
	// AccountName is the account's full name; empty: Engine.AccountName's.
	AccountName string
	// Force registers a certificate whose holder is not the account's
	// name, after the ADMIN confirmed it; the confirmation is recorded.
	Force bool
}

// RegisterCertificateWith binds a certificate to user. A certificate
// registered (revoked or not) to someone else is ECONFLICT: one
// certificate belongs to one person, enforced across replicas by a claim
// object per fingerprint created with If-None-Match before the user's
// entry. Registering it again to the same user is idempotent (the existing
// entry is returned), unless it was revoked: that stands. A holder (CN)
// that is not the account's name is refused unless opts.Force.
func (e *Engine) RegisterCertificateWith(ctx context.Context, by naskah.Actor, user string, data []byte, opts RegisterOptions) (*Certificate, error) {
	if err := requireAdmin(by); err != nil {
		return nil, err
	}
	if err := checkUser(user); err != nil {
		return nil, err
	}
	cert, err := ParseCertificate(data)
	if err != nil {
		return nil, err
	}
	c := describe(cert)
	if opts.AccountName == "" && e.AccountName != nil {
		opts.AccountName = e.AccountName(user)
	}
	if opts.AccountName != "" && !SameName(c.CommonName, opts.AccountName) {
		if !opts.Force {
			return nil, naskah.Errorf(naskah.ECONFLICT, "pemegang sertifikat %q bukan nama akun %s (%q): periksa sertifikatnya, atau konfirmasi dengan force bila memang orang yang sama — the certificate holder %q is not the name of account %s (%q): check the certificate, or confirm with force if it is the same person",
				c.CommonName, user, opts.AccountName, c.CommonName, user, opts.AccountName)
		}
		c.AccountName, c.NameConfirmedBy = opts.AccountName, by.User
	}
	all, err := e.AllCertificates(ctx)
	if err != nil {
		return nil, err
	}
	for other, cs := range all {
		if other != user && slices.ContainsFunc(cs, func(oc Certificate) bool { return oc.Fingerprint == c.Fingerprint }) {
			return nil, certTakenError(other)
		}
	}
	if err := e.claimCertificate(ctx, c.Fingerprint, user, by.User); err != nil {
		return nil, err
	}
	c.AddedAt, c.AddedBy = e.now().UTC(), by.User
	out := c
	added := false
	_, err = e.updateCertificates(ctx, user, func(uc *UserCertificates) error {
		added = false
		for _, old := range uc.Certificates {
			if old.Fingerprint == c.Fingerprint {
				if old.Active() {
					out = old // already registered to this user: nothing to change
					return errUnchanged
				}
				return naskah.Errorf(naskah.ECONFLICT, "sertifikat ini telah dicabut untuk %s dan tidak dapat didaftarkan lagi — this certificate was revoked for %s and cannot be registered again", user, user)
			}
		}
		uc.Certificates = append(uc.Certificates, c)
		added = true
		return nil
	})
	if err == errUnchanged {
		return &out, nil
	}
	if err != nil {
		return nil, err
	}
	if added {
		e.Logger.Info("certificate registered", "user", user, "fingerprint", c.Fingerprint, "subject", c.Subject, "by", by.User, "name_confirmed", c.NameConfirmedBy != "")
	}
	return &out, nil
}

// errUnchanged ends updateCertificates without a write.
var errUnchanged = errors.New("unchanged")

func certTakenError(other string) error {
	return naskah.Errorf(naskah.ECONFLICT, "sertifikat ini sudah pernah didaftarkan untuk pengguna %q: satu sertifikat hanya untuk satu orang — this certificate is (or was) registered to user %q: one certificate belongs to one person", other, other)
}

// certificateClaim is the global claim certificates/<fingerprint>.json:
// created once (If-None-Match), it makes "one certificate, one person"
// hold when two ADMINs register the same certificate to two users at once.
type certificateClaim struct {
	Fingerprint string    `json:"fingerprint"`
	User        string    `json:"user"`
	By          string    `json:"by"`
	At          time.Time `json:"at"`
}

// CertificateClaimKey is the storage key of a certificate's claim.
func CertificateClaimKey(fingerprint string) string { return "certificates/" + fingerprint + ".json" }

// claimCertificate creates the claim for user, or finds it already theirs;
// a claim by another user is ECONFLICT.
func (e *Engine) claimCertificate(ctx context.Context, fp, user, by string) error {
	body, err := json.Marshal(certificateClaim{Fingerprint: fp, User: user, By: by, At: e.now().UTC()})
	if err != nil {
		return fmt.Errorf("encode certificate claim: %w", err)
	}
	for attempt := 0; ; attempt++ {
		_, err := e.Store.Put(ctx, CertificateClaimKey(fp), bytes.NewReader(body), storage.PutOptions{Size: int64(len(body)),
			ContentType: "application/json", IfNoneMatch: true, Metadata: map[string]string{"user": user}})
		if err == nil {
			return nil
		}
		if naskah.ErrorCode(err) != naskah.ECONFLICT {
			return fmt.Errorf("claim certificate %s: %w", fp, err)
		}
		owner, err := e.certificateOwner(ctx, fp)
		if naskah.ErrorCode(err) == naskah.ENOTFOUND && attempt < 4 {
			continue
		}
		if err != nil {
			return err
		}
		if owner != user {
			return certTakenError(owner)
		}
		return nil
	}
}

func (e *Engine) certificateOwner(ctx context.Context, fp string) (string, error) {
	rc, _, err := e.Store.Get(ctx, CertificateClaimKey(fp), storage.GetOptions{})
	if err != nil {
		return "", err
	}
	defer rc.Close()
	var cl certificateClaim
	if err := json.NewDecoder(io.LimitReader(rc, 64<<10)).Decode(&cl); err != nil {
		return "", fmt.Errorf("read certificate claim %s: %w", fp, err)
	}
	return cl.User, nil
}

// SameName reports whether a certificate holder's name and an account's
// name are the same person's: compared without case, punctuation, extra
// spaces and academic or professional titles (Dr., Prof., Ir., H.,
// and degrees such as S.H., M.Si., Ph.D. after a comma or not).
func SameName(a, b string) bool {
	na, nb := normalName(a), normalName(b)
	return na != "" && na == nb
}

var nameTitles = map[string]bool{"dr": true, "drs": true, "dra": true, "prof": true, "ir": true, "h": true, "hj": true, "apt": true,
	"ns": true, "drg": true, "kh": true, "mr": true, "mrs": true, "ms": true, "sh": true, "se": true, "st": true, "ssi": true,
	"sfarm": true, "skm": true, "skom": true, "msi": true, "mkes": true, "msc": true, "mm": true, "mh": true, "mt": true,
	"mpd": true, "mba": true, "phd": true, "mph": true, "spd": true, "sked": true, "ssos": true, "mfarm": true, "sp": true}

func normalName(s string) string {
	s = strings.ToLower(s)
	first, _, _ := strings.Cut(s, ",") // "Rina Kartika, S.H., M.Si.": degrees follow the comma
	var words []string
	for _, w := range strings.Fields(first) {
		bare := strings.Map(func(r rune) rune {
			if unicode.IsLetter(r) || unicode.IsDigit(r) {
				return r
			}
			return -1
		}, w)
		if bare == "" || nameTitles[bare] && (strings.Contains(w, ".") || len(words) == 0) {
			continue
		}
		words = append(words, bare)
	}
	return strings.Join(words, " ")
}

// RevokeCertificate stops a registered certificate from signing. It stays
// in the list with when, by whom and why. Unknown: ENOTFOUND; already
// revoked: ECONFLICT.
func (e *Engine) RevokeCertificate(ctx context.Context, by naskah.Actor, user, fingerprint, reason string) (*Certificate, error) {
	if err := requireAdmin(by); err != nil {
		return nil, err
	}
	if err := checkUser(user); err != nil {
		return nil, err
	}
	fingerprint = normalizeFingerprint(fingerprint)
	var out Certificate
	_, err := e.updateCertificates(ctx, user, func(uc *UserCertificates) error {
		for i := range uc.Certificates {
			c := &uc.Certificates[i]
			if c.Fingerprint != fingerprint {
				continue
			}
			if !c.Active() {
				return naskah.Errorf(naskah.ECONFLICT, "sertifikat ini sudah dicabut pada %s — this certificate was already revoked on %s", c.RevokedAt.Format(time.RFC3339), c.RevokedAt.Format(time.RFC3339))
			}
			t := e.now().UTC()
			c.RevokedAt, c.RevokedBy, c.RevokeReason = &t, by.User, strings.TrimSpace(reason)
			out = *c
			return nil
		}
		return naskah.Errorf(naskah.ENOTFOUND, "tidak ada sertifikat %s yang terdaftar untuk %s — no certificate with fingerprint %s is registered to %s", fingerprint, user, fingerprint, user)
	})
	if err != nil {
		return nil, err
	}
	e.Logger.Info("certificate revoked", "user", user, "fingerprint", fingerprint, "by", by.User, "reason", reason)
	return &out, nil
}

// normalizeFingerprint accepts hex with or without colons, in any case.
func normalizeFingerprint(s string) string {
	return strings.ToLower(strings.NewReplacer(":", "", " ", "").Replace(strings.TrimSpace(s)))
}

// checkBinding refuses a certificate that is not registered to the acting
// user, or that was revoked: the person who signs is the one the
// certificate names, whatever keystore they got hold of.
func (e *Engine) checkBinding(ctx context.Context, actor naskah.Actor, cert *x509.Certificate) error {
	if err := checkUser(actor.User); err != nil {
		return naskah.Errorf(naskah.EFORBIDDEN, "akun ini tidak dapat menandatangani — this account cannot sign")
	}
	certs, err := e.Certificates(ctx, actor.User)
	if err != nil {
		return err
	}
	fp := Fingerprint(cert)
	i := slices.IndexFunc(certs, func(c Certificate) bool { return c.Fingerprint == fp })
	if i < 0 {
		return naskah.Errorf(naskah.EFORBIDDEN, "Sertifikat ini (%s, sidik jari SHA-256 %s…) tidak terdaftar untuk akun Anda: minta ADMIN mendaftarkannya — This certificate (%s, SHA-256 fingerprint %s…) is not registered to your account: ask ADMIN to register it",
			cert.Subject.CommonName, fp[:16], cert.Subject.CommonName, fp[:16])
	}
	if c := certs[i]; !c.Active() {
		return naskah.Errorf(naskah.EFORBIDDEN, "Sertifikat ini telah dicabut pada %s: minta ADMIN mendaftarkan sertifikat baru — This certificate was revoked on %s: ask ADMIN to register a new one",
			c.RevokedAt.Format("2006-01-02"), c.RevokedAt.Format("2006-01-02"))
	}
	return nil
}

// recheckBinding runs checkBinding again on a fresh read of the user's
// certificates just before the record is written: a certificate revoked
// while the signature was being made must not commit. On a refusal the
// stored version is undone.
func (e *Engine) recheckBinding(ctx context.Context, actor naskah.Actor, cert *x509.Certificate, undo func()) error {
	err := e.checkBinding(ctx, actor, cert)
	if err != nil && undo != nil {
		undo()
	}
	return err
}

// signaturesOf returns the signatures recorded on d, one per signer: an
// older record with signers but no certificates gets entries without a
// fingerprint, so positions keep matching the signatures in the file.
func signaturesOf(d *naskah.DocumentVersion) []naskah.SignatureInfo {
	if d.Kind != naskah.DocSigned {
		return nil
	}
	out := slices.Clone(d.Signatures)
	for i := len(out); i < len(d.Signers); i++ {
		role, user, _ := strings.Cut(d.Signers[i], ":")
		out = append(out, naskah.SignatureInfo{Signer: d.Signers[i], User: user, Role: naskah.Role(role)})
	}
	return out
}

func signatureInfo(actor naskah.Actor, cert *x509.Certificate, at time.Time, external bool) naskah.SignatureInfo {
	return naskah.SignatureInfo{Signer: naskah.SignerTag(actor.Role, actor.User), User: actor.User, Role: actor.Role,
		Fingerprint: Fingerprint(cert), Subject: SubjectString(cert.Subject), SignedAt: at, External: external}
}

var attrNames = map[string]string{"2.5.4.3": "CN", "2.5.4.6": "C", "2.5.4.10": "O", "2.5.4.11": "OU", "2.5.4.7": "L", "2.5.4.8": "ST",
	"2.5.4.5": "SERIALNUMBER", "2.5.4.12": "T", "2.5.4.9": "STREET", "1.2.840.113549.1.9.1": "E"}

// SubjectString writes a name as RFC 4514 does (most specific first), but
// with the title and e-mail attributes by name and every value as text, so
// a person reads "T=Kepala Badan" rather than a hex dump.
func SubjectString(n pkix.Name) string {
	esc := strings.NewReplacer(",", `\,`, "+", `\+`, "=", `\=`, `\`, `\\`, ";", `\;`)
	parts := make([]string, 0, len(n.Names))
	for i := len(n.Names) - 1; i >= 0; i-- {
		a := n.Names[i]
		key, ok := attrNames[a.Type.String()]
		if !ok {
			key = a.Type.String()
		}
		parts = append(parts, key+"="+esc.Replace(fmt.Sprint(a.Value)))
	}
	if len(parts) == 0 {
		return n.String()
	}
	return strings.Join(parts, ",")
}
