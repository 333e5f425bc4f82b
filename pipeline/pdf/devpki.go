package pdf

import (
	"crypto/rand"
	"crypto/x509"
	"encoding/base32"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/bpom/naskah"
	"github.com/bpom/naskah/pipeline/pdf/internal/devca"
	"software.sslmate.com/src/go-pkcs12"
)

// DevOfficial is a demo signing official for development keys.
type DevOfficial struct {
	ID           string `json:"id"` // file name stem, e.g. "kepala"
	Name         string `json:"name"`
	Title        string `json:"title"`
	Organization string `json:"organization"`
	Country      string `json:"country"`
}

// DevKeystore is one official's generated keystore.
type DevKeystore struct {
	Official   DevOfficial `json:"official"`
	Path       string      `json:"path"`
	Passphrase string      `json:"passphrase"`
}

// DevPKI lists what GenerateDevPKI wrote.
type DevPKI struct {
	Dir        string        `json:"dir"`
	CACert     string        `json:"caCert"` // PEM; the trust root for verify --roots
	CAKey      string        `json:"caKey"`  // PEM, mode 0600
	Keystores  []DevKeystore `json:"keystores"`
	Passphrase string        `json:"passphrases"` // file listing the passphrases, mode 0600
}

// DefaultDevOfficials are the demo officials of the SOP: the head of BPOM,
// a senior official (Madya), the head of a technical unit (UPT) and a
// partner's signatory.
func DefaultDevOfficials() []DevOfficial {
	const bpom = "Badan Pengawas Obat dan Makanan"
	return []DevOfficial{
		{ID: "kepala", Name: "Dr. Taruna Ikrar", Title: "Kepala Badan Pengawas Obat dan Makanan", Organization: bpom, Country: "ID"},
		{ID: "madya", Name: "Rina Kartika", Title: "Pejabat Pimpinan Tinggi Madya", Organization: bpom, Country: "ID"},
		{ID: "kepala-upt", Name: "Budi Santoso", Title: "Kepala Balai Besar POM di Bandung", Organization: bpom, Country: "ID"},
		{ID: "mitra", Name: "Dr. Maria Gonzalez", Title: "Director General", Organization: "Partner Regulatory Authority", Country: "ES"},
	}
}

// GenerateDevPKI creates in dir a development CA (ca.pem, ca-key.pem) and a
// PKCS#12 keystore per official, each with a random passphrase listed in
// passphrases.txt. For development and demos only: production keystores
// come from a real CA and their passphrases are never written down.
func GenerateDevPKI(dir string, officials []DevOfficial, now time.Time) (*DevPKI, error) {
	if len(officials) == 0 {
		officials = DefaultDevOfficials()
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, naskah.WrapError(naskah.EINVALID, err, "cannot create the key directory %s: choose a writable directory", dir)
	}
	ca, err := devca.NewCA("Naskah Development CA", now)
	if err != nil {
		return nil, naskah.WrapError(naskah.EINTERNAL, err, "development CA")
	}
	pki := &DevPKI{Dir: dir, CACert: filepath.Join(dir, "ca.pem"), CAKey: filepath.Join(dir, "ca-key.pem"), Passphrase: filepath.Join(dir, "passphrases.txt")}
	keyDER, err := x509.MarshalPKCS8PrivateKey(ca.Key)
	if err != nil {
		return nil, naskah.WrapError(naskah.EINTERNAL, err, "development CA key")
	}
	if err := writeFile(pki.CACert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Cert.Raw}), 0o644); err != nil {
		return nil, err
	}
	if err := writeFile(pki.CAKey, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		return nil, err
	}
	var list strings.Builder
	list.WriteString("# Development keystores only. Never use these for real documents.\n")
	for _, o := range officials {
		if o.ID == "" || strings.ContainsAny(o.ID, `/\.`) {
			return nil, naskah.Errorf(naskah.EINVALID, "official %q needs a plain ID for its file name", o.Name)
		}
		cert, key, err := ca.Issue(devca.Spec{CommonName: o.Name, Title: o.Title, Organization: o.Organization, Country: o.Country,
			NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(3, 0, 0)})
		if err != nil {
			return nil, naskah.WrapError(naskah.EINTERNAL, err, "development certificate for %s", o.Name)
		}
		pass := randomPassphrase()
		p12, err := pkcs12.Modern2023.Encode(key, cert, []*x509.Certificate{ca.Cert}, pass)
		if err != nil {
			return nil, naskah.WrapError(naskah.EINTERNAL, err, "keystore for %s", o.Name)
		}
		ks := DevKeystore{Official: o, Path: filepath.Join(dir, o.ID+".p12"), Passphrase: pass}
		if err := writeFile(ks.Path, p12, 0o600); err != nil {
			return nil, err
		}
		fmt.Fprintf(&list, "%s\t%s\n", filepath.Base(ks.Path), pass)
		pki.Keystores = append(pki.Keystores, ks)
	}
	if err := writeFile(pki.Passphrase, []byte(list.String()), 0o600); err != nil {
		return nil, err
	}
	return pki, nil
}

func writeFile(name string, b []byte, mode os.FileMode) error {
	if err := os.WriteFile(name, b, mode); err != nil {
		return naskah.WrapError(naskah.EINVALID, err, "cannot write %s: check the directory's permissions", name)
	}
	return nil
}

// randomPassphrase returns 20 characters of base32 (100 bits).
func randomPassphrase() string {
	b := make([]byte, 13)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))[:20]
}

// LoadRoots reads PEM certificates (e.g. ca.pem) into a pool for
// VerifyOptions.Roots.
func LoadRoots(pemData []byte) (*x509.CertPool, error) {
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemData) {
		return nil, naskah.Errorf(naskah.EINVALID, "the trust roots file has no PEM certificates: give the CA certificate (ca.pem)")
	}
	return pool, nil
}
