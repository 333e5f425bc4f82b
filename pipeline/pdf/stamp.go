package pdf

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/bpom/naskah"
	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
	qrcode "github.com/skip2/go-qrcode"
)

// Watermarks of the draft steps.
const (
	WatermarkDraft      = "DRAFT"
	WatermarkFinalDraft = "FINAL DRAFT"
)

// UncontrolledCopyText is the notice on every copy a user downloads.
const UncontrolledCopyText = "Salinan tidak terkendali apabila diunduh atau dicetak"

// DraftMarks are the marks of a draft step: a diagonal watermark and a
// header naming the SOP, the agreement, the version and the step.
type DraftMarks struct {
	Watermark       string // WatermarkDraft or WatermarkFinalDraft
	SOPCode         string
	AgreementNumber string
	Version         string
	Step            string
	Date            time.Time
}

// SigningMarks are the marks of the text to sign: "Halaman x dari y" on
// every page and a footer QR code pointing at the public verification page.
type SigningMarks struct {
	VerifyURL       string
	AgreementNumber string
}

// CopyMarks are the marks of a downloaded copy: who downloaded it and when,
// and for a copy of a signed text, which signed original it copies (copy.go).
type CopyMarks struct {
	Who  string
	When time.Time
	Of   *CopyOf // nil for drafts
}

// wib is Western Indonesia Time, fixed so stamps do not depend on the
// machine's time zone database.
var wib = time.FixedZone("WIB", 7*60*60)

// Layout of the marks, in points. The footer sits in the bottom margin
// that word processors leave (usually 56-72 pt), clear of the body text.
const (
	markFont      = "Helvetica"
	markFontBold  = "Helvetica-Bold"
	headerPoints  = 8
	footerPoints  = 8
	edgeOffset    = 14  // baseline distance of header/footer text from the page edge
	qrSize        = 54  // side of the footer QR code (19 mm: scannable by phones)
	qrPixels      = 216 // QR PNG size; 4 px per point keeps modules sharp
	qrEdgeOffset  = 10
	draftOpacity  = 0.25
	headerColor   = "#303030"
	copyColor     = "#B00000"
	draftColor    = "#C00000"
	footerColor   = "#303030"
	draftScaleRel = 0.75 // the watermark spans 3/4 of the page diagonal
)

// StampDraft stamps a diagonal watermark and a header on every page.
func StampDraft(ctx context.Context, data []byte, m DraftMarks) ([]byte, error) {
	wmText := strings.TrimSpace(m.Watermark)
	if wmText != WatermarkDraft && wmText != WatermarkFinalDraft {
		return nil, naskah.Errorf(naskah.EINVALID, "draft watermark %q is not one of %q or %q", m.Watermark, WatermarkDraft, WatermarkFinalDraft)
	}
	marks := []markSpec{
		{text: wmText, desc: fmt.Sprintf("fontname:%s, points:72, diagonal:1, scalefactor:%.2f rel, fillcolor:%s, opacity:%.2f",
			markFontBold, draftScaleRel, draftColor, draftOpacity)},
	}
	if h := draftHeader(m); h != "" {
		marks = append(marks, markSpec{text: h, desc: fmt.Sprintf("fontname:%s, points:%d, position:tc, offset:0 -%d, scalefactor:1 abs, rotation:0, fillcolor:%s, opacity:1",
			markFont, headerPoints, edgeOffset, headerColor)})
	}
	return stamp(ctx, data, marks)
}

// draftHeader is the header line of a draft, e.g.
// "SOP-KS-01 | No. HK.01/2026 | Versi 3 | Tahap Perumusan | 5 Januari 2026".
func draftHeader(m DraftMarks) string {
	var parts []string
	add := func(label, v string) {
		if v = strings.TrimSpace(v); v != "" {
			parts = append(parts, label+v)
		}
	}
	add("", m.SOPCode)
	add("No. ", m.AgreementNumber)
	add("Versi ", m.Version)
	add("Tahap ", m.Step)
	if !m.Date.IsZero() {
		parts = append(parts, tanggal(m.Date))
	}
	return strings.Join(parts, " | ")
}

// StampForSigning stamps page numbers and the verification QR code.
// Active content is removed (see StampForSigningClean).
func StampForSigning(ctx context.Context, data []byte, m SigningMarks) ([]byte, error) {
	out, _, err := StampForSigningClean(ctx, data, m)
	return out, err
}

func stampForSigning(ctx context.Context, data []byte, m SigningMarks, removed *cleaned) ([]byte, error) {
	if strings.TrimSpace(m.VerifyURL) == "" {
		return nil, naskah.Errorf(naskah.EINVALID, "the verification URL is empty: configure the public verification page")
	}
	png, err := qrcode.Encode(m.VerifyURL, qrcode.Medium, qrPixels)
	if err != nil {
		return nil, naskah.WrapError(naskah.EINVALID, err, "the verification URL cannot be encoded as a QR code: shorten it")
	}
	footer := "Halaman %p dari %P"
	if n := strings.TrimSpace(m.AgreementNumber); n != "" {
		footer = "No. " + escapePercent(n) + "  |  " + footer
	}
	marks := []markSpec{
		{text: footer, raw: true, desc: fmt.Sprintf("fontname:%s, points:%d, position:bc, offset:0 %d, scalefactor:1 abs, rotation:0, fillcolor:%s, opacity:1",
			markFont, footerPoints, edgeOffset, footerColor)},
		{image: png, desc: fmt.Sprintf("position:br, offset:-%d %d, scalefactor:%.4f abs, rotation:0, opacity:1",
			qrEdgeOffset, qrEdgeOffset, float64(qrSize)/float64(qrPixels))},
	}
	return stampWith(ctx, data, marks, removed)
}

// StampUncontrolledCopy stamps the uncontrolled-copy notice with who and
// when at the top of every page. Use it on derived copies only: it rewrites
// the file, which breaks any signature in it.
func StampUncontrolledCopy(ctx context.Context, data []byte, m CopyMarks) ([]byte, error) {
	who := strings.TrimSpace(m.Who)
	if who == "" {
		return nil, naskah.Errorf(naskah.EINVALID, "the uncontrolled-copy stamp needs the name of who downloads the copy")
	}
	when := m.When
	if when.IsZero() {
		when = time.Now()
	}
	text := UncontrolledCopyText + "\nDiunduh oleh " + who + ", " + tanggal(when) + " " + when.In(wib).Format("15:04") + " WIB"
	var props map[string]string
	if m.Of != nil {
		if !isHex64(m.Of.SHA256) {
			return nil, naskah.Errorf(naskah.EINVALID, "the copy of a signed text needs the original's SHA-256 (64 lowercase hex digits), got %q", m.Of.SHA256)
		}
		text, props = copyFace(m.Of, who, when), copyInfoProps(m.Of)
	}
	marks := []markSpec{
		{text: text, desc: fmt.Sprintf("fontname:%s, points:%d, position:tc, offset:0 -%d, scalefactor:1 abs, rotation:0, fillcolor:%s, opacity:1, aligntext:c",
			markFontBold, headerPoints, edgeOffset-6, copyColor)},
	}
	return stamp(ctx, data, marks, props)
}

// markSpec is one pdfcpu stamp: text (or a PNG image) and its pdfcpu
// description. raw text keeps pdfcpu's %p/%P placeholders; other text is
// escaped so a "%" in an agreement number stays a "%".
type markSpec struct {
	text  string
	raw   bool
	image []byte
	desc  string
}

// stamp applies marks on top of every page in one pdfcpu read and write:
// reading dominates the cost, so all marks share it. info entries, if any,
// go into the Info dictionary (a copy's marker).
func stamp(ctx context.Context, data []byte, marks []markSpec, info ...map[string]string) ([]byte, error) {
	return stampWith(ctx, data, marks, nil, info...)
}

// cleaned is what stampWith removed for the text to sign: the active
// content (labels) and the empty signature fields (their places).
type cleaned struct {
	removed []string
	places  []naskah.SignaturePlace
}

// stampWith is stamp that, when removed is not nil, also strips active
// content and empty signature fields and lists what it removed there.
func stampWith(ctx context.Context, data []byte, marks []markSpec, removed *cleaned, info ...map[string]string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, canceled(err)
	}
	if _, err := checkForPdfcpu(ctx, data); err != nil {
		return nil, err
	}
	wms := make([]*model.Watermark, 0, len(marks))
	for _, mk := range marks {
		wm, err := mk.watermark()
		if err != nil {
			return nil, naskah.WrapError(naskah.EINTERNAL, err, "stamp layout is invalid")
		}
		wms = append(wms, wm)
	}
	var out bytes.Buffer
	out.Grow(len(data) + len(data)/8 + 64<<10)
	err := recovered("stamp", func() error {
		conf := newConfig()
		conf.Cmd = model.ADDWATERMARKS
		conf.OptimizeDuplicateContentStreams = false
		pc, err := api.ReadValidateAndOptimize(bytes.NewReader(data), conf)
		if err != nil {
			return pdfcpuError(err)
		}
		if pc.XRefTable.Encrypt != nil || pc.XRefTable.E != nil {
			return errEncrypted(nil)
		}
		if removed != nil {
			removed.removed = stripActiveContent(pc.XRefTable)
			removed.places = takeSignatureFields(pc.XRefTable)
		}
		for _, wm := range wms {
			if err := ctx.Err(); err != nil {
				return canceled(err)
			}
			if err := pdfcpu.AddWatermarks(pc, nil, wm); err != nil {
				return pdfcpuError(fmt.Errorf("add stamp: %w", err))
			}
		}
		for _, props := range info {
			if err := setInfo(pc, props); err != nil {
				return naskah.WrapError(naskah.EINTERNAL, err, "the copy marker could not be written")
			}
		}
		if err := api.WriteContext(pc, &out); err != nil {
			return naskah.WrapError(naskah.EINTERNAL, err, "the stamped PDF could not be written")
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

func (mk markSpec) watermark() (*model.Watermark, error) {
	if mk.image != nil {
		return api.ImageWatermarkForReader(bytes.NewReader(mk.image), mk.desc, true, false, types.POINTS)
	}
	text := winAnsi(mk.text)
	if !mk.raw {
		text = escapePercent(text)
	}
	return api.TextWatermark(text, mk.desc, true, false, types.POINTS)
}

// escapePercent doubles "%" so pdfcpu prints it instead of reading a
// placeholder (%p page, %P pages, %t time).
func escapePercent(s string) string { return strings.ReplaceAll(s, "%", "%%") }

// winAnsi replaces characters the standard PDF fonts cannot show (they
// cover Latin-1) so a name in another script prints as "?" rather than
// breaking the stamp.
func winAnsi(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\n':
			return r
		case r < 0x20 || r == 0x7f:
			return ' '
		case r < 0x7f, r >= 0xa0 && r <= 0xff:
			return r
		default:
			return '?'
		}
	}, s)
}

var bulan = [...]string{"Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober", "November", "Desember"}

// tanggal formats a date the Indonesian way, "5 Januari 2026", in WIB.
func tanggal(t time.Time) string {
	t = t.In(wib)
	return fmt.Sprintf("%d %s %d", t.Day(), bulan[t.Month()-1], t.Year())
}
