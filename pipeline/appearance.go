package pipeline

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"regexp"

	"github.com/bpom/naskah"
	"github.com/bpom/naskah/pipeline/pdf"
)

// signatureAppearance is the visible box of user's signature on src: its
// place is the signer's index among those who signed src before (so boxes
// never overlap), with the agreement's verification QR code, the English
// line on foreign agreements, and the official's specimen if configured.
func (e *Engine) signatureAppearance(a *naskah.Agreement, src *naskah.DocumentVersion, user string) (*pdf.Appearance, error) {
	specimen, err := e.specimen(user)
	if err != nil {
		return nil, err
	}
	ap := &pdf.Appearance{Index: len(signersOf(a, src)), QRURL: e.verifyURL(a.ID), Specimen: specimen,
		English: a.Scope == naskah.ScopeForeign}
	// The i-th signer of the text uses the i-th empty signature field's
	// place that the upload's stamp took out (pdf.StampForSigningPlaces).
	if tts := textToSignOf(a, src); tts != nil && ap.Index < len(tts.SignaturePlaces) {
		p := tts.SignaturePlaces[ap.Index]
		ap.Place = &p
	}
	return ap, nil
}

// specimenName is what a user name must look like to name a file.
var specimenName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// specimen reads Config.SpecimenDir/<user>.png (or .jpg, .jpeg), the
// official's signature or seal image. No directory or no file is no
// specimen; a file that is not a small PNG or JPEG is refused, so a
// broken configuration shows instead of signing without it silently.
func (e *Engine) specimen(user string) ([]byte, error) {
	if e.Config.SpecimenDir == "" || !specimenName.MatchString(user) {
		return nil, nil
	}
	// os.Root keeps the lookup inside the directory (no symlink escapes).
	root, err := os.OpenRoot(e.Config.SpecimenDir)
	if err != nil {
		return nil, naskah.WrapError(naskah.EUNAVAILABLE, err, "direktori spesimen %s tidak dapat dibuka: periksa konfigurasi specimen_dir — the specimen directory %s cannot be opened: check specimen_dir", e.Config.SpecimenDir, e.Config.SpecimenDir)
	}
	defer root.Close()
	for _, ext := range []string{".png", ".jpg", ".jpeg"} {
		f, err := root.Open(user + ext)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, naskah.WrapError(naskah.EUNAVAILABLE, err, "spesimen %s%s tidak dapat dibaca — the specimen %s%s cannot be read", user, ext, user, ext)
		}
		b, err := io.ReadAll(io.LimitReader(f, pdf.MaxSpecimenBytes+1))
		f.Close()
		if err != nil {
			return nil, naskah.WrapError(naskah.EUNAVAILABLE, err, "spesimen %s%s tidak dapat dibaca — the specimen %s%s cannot be read", user, ext, user, ext)
		}
		if err := pdf.CheckSpecimen(b); err != nil {
			return nil, naskah.WrapError(naskah.EINVALID, err, "spesimen %s%s tidak dapat dipakai: minta ADMIN menggantinya — the specimen %s%s cannot be used: ask ADMIN to replace it", user, ext, user, ext)
		}
		return b, nil
	}
	return nil, nil
}

// textToSignOf is the text-to-sign version src was signed from: src
// itself, or for a signed version the latest text to sign (each signed
// version follows from it in sequence).
func textToSignOf(a *naskah.Agreement, src *naskah.DocumentVersion) *naskah.DocumentVersion {
	switch src.Kind {
	case naskah.DocTextToSign:
		return src
	case naskah.DocSigned:
		return a.Latest(naskah.DocTextToSign)
	}
	return nil
}
