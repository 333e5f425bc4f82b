package pdf

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"time"

	pdfreader "github.com/digitorus/pdf"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// A marked copy of a signed text. Downloading a signed text gives the
// signed original byte for byte; a copy is an explicit choice. Stamping
// rewrites the file, so the copy's signatures no longer verify: the copy says
// so on its face and carries a machine-readable marker in its Info
// dictionary, so Verify reports "an uncontrolled copy of signed document N"
// with the way to the original instead of something that reads as forged.

// Info dictionary keys of the copy marker. NaskahCopyOf holds the original's
// SHA-256 (lowercase hex); it is the key Verify looks for.
const (
	InfoCopyOf        = "NaskahCopyOf"
	InfoCopyAgreement = "NaskahCopyAgreement"
	InfoCopyNumber    = "NaskahCopyNumber"
	InfoCopyVersion   = "NaskahCopyVersion"
	InfoCopyVerifyURL = "NaskahCopyVerifyURL"
)

// CopyOf names the signed original a copy is made from.
type CopyOf struct {
	AgreementID string
	Number      string // the agreement's number, or its id when it has none
	Version     int    // version of the signed text
	SHA256      string // of the signed original, lowercase hex
	SignedBy    []string
	SignedAt    time.Time
	VerifyURL   string // public verification page of the agreement
}

// CopyInfo is what Verify read from a copy's marker. Everything in it is
// claimed by the file: check the original (by SHA-256, at the agreement's
// verification page) before relying on it.
type CopyInfo struct {
	SHA256      string `json:"sha256"`
	AgreementID string `json:"agreementId,omitempty"`
	Number      string `json:"number,omitempty"`
	Version     int    `json:"version,omitempty"`
	VerifyURL   string `json:"verifyUrl,omitempty"`
}

// copyFace is the notice on every page of a copy of a signed text, in
// short lines so it fits the top margin of a portrait page.
func copyFace(of *CopyOf, who string, when time.Time) string {
	lines := []string{
		"SALINAN TIDAK TERKENDALI - bukan dokumen asli; tanda tangan elektronik tidak berlaku pada salinan",
		fmt.Sprintf("Salinan dari naskah bertanda tangan No. %s, versi bertanda tangan v%d", of.Number, of.Version),
		"SHA-256 dokumen asli: " + of.SHA256,
	}
	if len(of.SignedBy) > 0 {
		signed := "Ditandatangani oleh " + strings.Join(of.SignedBy, ", ")
		if !of.SignedAt.IsZero() {
			signed += " pada " + tanggal(of.SignedAt)
		}
		lines = append(lines, signed)
	}
	if of.VerifyURL != "" {
		lines = append(lines, "Verifikasi dokumen asli: "+of.VerifyURL)
	}
	lines = append(lines, "Diunduh oleh "+who+", "+tanggal(when)+" "+when.In(wib).Format("15:04")+" WIB")
	return strings.Join(lines, "\n")
}

// copyInfoProps is the marker written into the copy's Info dictionary.
func copyInfoProps(of *CopyOf) map[string]string {
	p := map[string]string{InfoCopyOf: of.SHA256, InfoCopyNumber: of.Number, InfoCopyVersion: strconv.Itoa(of.Version)}
	if of.AgreementID != "" {
		p[InfoCopyAgreement] = of.AgreementID
	}
	if of.VerifyURL != "" {
		p[InfoCopyVerifyURL] = of.VerifyURL
	}
	return p
}

// setInfo writes props into the Info dictionary of pc, creating it if the
// file has none.
func setInfo(pc *model.Context, props map[string]string) error {
	if pc.Info == nil {
		ir, err := pc.IndRefForNewObject(types.NewDict())
		if err != nil {
			return err
		}
		pc.Info = ir
	}
	d, err := pc.DereferenceDict(*pc.Info)
	if err != nil {
		return err
	}
	if d == nil {
		return fmt.Errorf("the Info dictionary is missing")
	}
	for k, v := range props {
		s, err := types.EscapedUTF16String(v)
		if err != nil {
			return err
		}
		d[k] = types.StringLiteral(*s)
	}
	return nil
}

// readCopyInfo returns the copy marker of data, or nil when it has none or
// the marker is malformed. It never fails: a file that cannot be read is
// reported by Verify itself.
func readCopyInfo(data []byte) *CopyInfo {
	var ci *CopyInfo
	_ = recovered("verify: copy marker", func() error {
		rdr, err := pdfreader.NewReader(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return nil
		}
		info := rdr.Trailer().Key("Info")
		sum := strings.ToLower(strings.TrimSpace(info.Key(InfoCopyOf).Text()))
		if !isHex64(sum) {
			return nil
		}
		ci = &CopyInfo{SHA256: sum, AgreementID: clip(info.Key(InfoCopyAgreement).Text()), Number: clip(info.Key(InfoCopyNumber).Text()),
			VerifyURL: clip(info.Key(InfoCopyVerifyURL).Text())}
		ci.Version, _ = strconv.Atoi(info.Key(InfoCopyVersion).Text())
		return nil
	})
	return ci
}

// noteCopy recognises a marked copy: the report names the original and
// says why the copy's signatures fail. Valid stays false, since the file is
// not the signed original.
func (r *Report) noteCopy(data []byte) {
	ci := readCopyInfo(data)
	if ci == nil {
		return
	}
	r.CopyOf, r.Valid = ci, false
	n := ci.Number
	if n == "" {
		n = ci.AgreementID
	}
	msg := fmt.Sprintf("Berkas ini adalah salinan tidak terkendali dari naskah bertanda tangan No. %s (versi bertanda tangan v%d, SHA-256 asli %s): tanda tangan tidak berlaku pada salinan; periksa dokumen asli melalui tautan verifikasi — "+
		"This file is an uncontrolled copy of signed document No. %s (signed version v%d, original SHA-256 %s): signatures do not hold on a copy; check the original through the verification link", n, ci.Version, ci.SHA256, n, ci.Version, ci.SHA256)
	r.Problems = append([]string{msg}, r.Problems...)
}

func isHex64(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// clip bounds a claimed value shown in reports.
func clip(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 300 {
		s = s[:300]
	}
	return s
}
