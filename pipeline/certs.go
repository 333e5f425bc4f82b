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
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

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
// Only ADMIN may. A certificate already registered to this user, or ever
// registered to someone else (revoked or not), is ECONFLICT: one
// certificate belongs to one person.
func (e *Engine) RegisterCertificate(ctx context.Context, by naskah.Actor, user string, data []byte) (*Certificate, error) {
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
	all, err := e.AllCertificates(ctx)
	if err != nil {
		return nil, err
	}
	for other, cs := range all {
		if other == user {
			continue
		}
		for _, oc := range cs {
			if oc.Fingerprint == c.Fingerprint {
				return nil, naskah.Errorf(naskah.ECONFLICT, "sertifikat ini sudah pernah didaftarkan untuk pengguna %q: satu sertifikat hanya untuk satu orang — this certificate is (or was) registered to user %q: one certificate belongs to one person", other, other)
			}
		}
	}
	c.AddedAt, c.AddedBy = e.now().UTC(), by.User
	_, err = e.updateCertificates(ctx, user, func(uc *UserCertificates) error {
		for _, old := range uc.Certificates {
			if old.Fingerprint == c.Fingerprint {
				if old.Active() {
					return naskah.Errorf(naskah.ECONFLICT, "sertifikat ini sudah terdaftar untuk %s — this certificate is already registered to %s", user, user)
				}
				return naskah.Errorf(naskah.ECONFLICT, "sertifikat ini telah dicabut untuk %s dan tidak dapat didaftarkan lagi — this certificate was revoked for %s and cannot be registered again", user, user)
			}
		}
		uc.Certificates = append(uc.Certificates, c)
		return nil
	})
	if err != nil {
		return nil, err
	}
	e.Logger.Info("certificate registered", "user", user, "fingerprint", c.Fingerprint, "subject", c.Subject, "by", by.User)
	return &c, nil
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
