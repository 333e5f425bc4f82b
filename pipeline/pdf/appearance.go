package pdf

import (
	"bytes"
	"context"
	"crypto/x509"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	_ "image/jpeg" // specimen images
	"image/png"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/bpom/naskah"
	pdfreader "github.com/digitorus/pdf"
	"github.com/digitorus/pdfsign/sign"
	"github.com/skip2/go-qrcode"
	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goitalic"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

// Appearance asks for the visible signature box of a state document: a
// bordered box with "Ditandatangani secara elektronik oleh", the holder's
// name, title and organisation read from the certificate, the signing time
// in WIB, the verification QR code and an optional specimen (signature or
// seal). Sign places it by Index with SignatureBox and draws it as one
// image, so every PDF viewer shows the same box.
type Appearance struct {
	// Index is this signature's place among the boxes on the page
	// (0 for the first signer). A box's place depends on its index only,
	// so earlier boxes stay where they are when later signers add theirs;
	// a place taken by a signature field already on the page (another
	// tool's) is skipped for the next free one.
	Index    int
	QRURL    string // verification page of the document; empty = no QR code
	Specimen []byte // optional PNG or JPEG (CheckSpecimen)
	English  bool   // add "Electronically signed by" under the Indonesian line
	// Place, when set, is where an empty signature field of the uploaded
	// file was (StampForSigningPlaces): the box is drawn there, at the
	// place's size, unless it is too small to read (then Index places it).
	Place *naskah.SignaturePlace
}

// Rect is a box [llx lly urx ury] in PDF points.
type Rect [4]float64

// MaxSpecimenBytes bounds a specimen image file.
const MaxSpecimenBytes = 1 << 20

// Box layout in points, for an A4-sized page; smaller pages scale it
// down (boxScale). The bottom margin keeps clear of the page-number
// footer and footer QR code that StampForSigning puts below 64 pt.
const (
	boxWidth     = 230
	boxHeight    = 92
	boxGap       = 8
	boxSide      = 30 // left and right margin
	boxBottom    = 72 // above StampForSigning's footer
	boxTop       = 36
	boxPxPerPt   = 3 // image resolution: 216 dpi
	boxMinScale  = 0.4
	boxPad       = 5
	specimenSide = 2000 // pixels, each way: 16 MB decoded at most
)

// boxScale shrinks the box layout for pages smaller than A4 (either
// orientation), never enlarges it.
func boxScale(p PageSize) float64 {
	short, long := min(p.Width, p.Height), max(p.Width, p.Height)
	return min(1, short/595.28, long/841.89)
}

// SignatureBox returns the place of the index-th signature box (0-based)
// on a page of the given visible size, in visible page coordinates (origin
// bottom left): boxes fill a row from the left along the bottom margin,
// then the rows above it, in a grid centred across the page. The place
// depends on the page and the index only, never on how many signers
// follow, so boxes never overlap however many sign in sequence. A page
// with no room left for the index is EINVALID.
func SignatureBox(page PageSize, index int) (Rect, error) {
	s := boxScale(page)
	if s < boxMinScale || index < 0 {
		return Rect{}, naskah.Errorf(naskah.EINVALID, "halaman %.0f×%.0f pt terlalu kecil untuk kotak tanda tangan — the page (%.0f×%.0f pt) is too small for a signature box: choose another page", page.Width, page.Height, page.Width, page.Height)
	}
	w, h, gap, side := boxWidth*s, boxHeight*s, boxGap*s, boxSide*s
	cols := int((page.Width - 2*side + gap) / (w + gap))
	rows := int((page.Height - boxBottom - boxTop*s + gap) / (h + gap))
	if cols < 1 {
		// A narrow page: one column, as wide as the margins allow.
		cols, w = 1, page.Width-2*side
	}
	if rows < 1 || index >= cols*rows {
		return Rect{}, naskah.Errorf(naskah.EINVALID, "tidak ada ruang untuk kotak tanda tangan ke-%d di halaman ini (muat %d): tanda tangani di halaman lain — there is no room for signature box %d on this page (it holds %d): sign on another page", index+1, max(0, cols*rows), index+1, max(0, cols*rows))
	}
	// The grid is centred across the page; a row fills from the left.
	left := (page.Width - float64(cols)*w - float64(cols-1)*gap) / 2
	r, c := index/cols, index%cols
	x := left + float64(c)*(w+gap)
	y := boxBottom + float64(r)*(h+gap)
	return Rect{x, y, x + w, y + h}, nil
}

// BoxContent is what a signature box shows.
type BoxContent struct {
	Name, Title, Organization string
	When                      time.Time
	QRURL                     string
	Specimen                  []byte
	English                   bool
}

// ContentFromCertificate reads the box's lines from the certificate, not
// from anything the signer typed: the common name, the X.520 title and
// the organisational units and organisation.
func ContentFromCertificate(c *x509.Certificate) BoxContent {
	var b BoxContent
	b.Name = strings.TrimSpace(c.Subject.CommonName)
	if b.Name == "" {
		b.Name = c.Subject.String()
	}
	for _, n := range c.Subject.Names {
		if n.Type.Equal(oidTitle) {
			if t, ok := n.Value.(string); ok {
				b.Title = strings.TrimSpace(t)
			}
		}
	}
	var org []string
	for _, o := range slices.Concat(c.Subject.OrganizationalUnit, c.Subject.Organization) {
		if o = strings.TrimSpace(o); o != "" {
			org = append(org, o)
		}
	}
	b.Organization = strings.Join(org, ", ")
	return b
}

// WIBTime formats t as "1 Desember 2026 14:05 WIB".
func WIBTime(t time.Time) string {
	return tanggal(t) + " " + t.In(wib).Format("15:04") + " WIB"
}

// CheckSpecimen validates a specimen image before it is drawn: at most
// 1 MB, PNG or JPEG, at most 2000 pixels each way (checked from the
// header before decoding, so a small file cannot claim a huge canvas),
// and decodable to the end.
func CheckSpecimen(b []byte) error {
	if len(b) > MaxSpecimenBytes {
		return naskah.Errorf(naskah.EINVALID, "gambar spesimen %d KB, lebih dari 1 MB: perkecil gambarnya — the specimen image is %d KB, more than 1 MB: make it smaller", len(b)>>10, len(b)>>10)
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(b))
	if err != nil || (format != "png" && format != "jpeg") {
		return naskah.Errorf(naskah.EINVALID, "gambar spesimen bukan PNG atau JPEG — the specimen image is not a PNG or JPEG file")
	}
	if cfg.Width < 1 || cfg.Height < 1 || cfg.Width > specimenSide || cfg.Height > specimenSide {
		return naskah.Errorf(naskah.EINVALID, "gambar spesimen %d×%d piksel, batasnya %d×%d — the specimen image is %d×%d pixels, the limit is %d×%d",
			cfg.Width, cfg.Height, specimenSide, specimenSide, cfg.Width, cfg.Height, specimenSide, specimenSide)
	}
	if _, _, err := image.Decode(bytes.NewReader(b)); err != nil {
		return naskah.Errorf(naskah.EINVALID, "gambar spesimen rusak: ekspor ulang — the specimen image is damaged: export it again")
	}
	return nil
}

// Colours of the box: a dark navy for text and border, grey for the
// English line.
var (
	boxInk    = color.RGBA{0x12, 0x23, 0x4a, 0xff}
	boxGrey   = color.RGBA{0x5a, 0x62, 0x70, 0xff}
	boxBorder = color.RGBA{0x12, 0x23, 0x4a, 0xff}
)

// fonts are the Go fonts (embedded, no files needed), parsed once.
var fonts = sync.OnceValues(func() (map[string]*opentype.Font, error) {
	m := map[string]*opentype.Font{}
	for name, ttf := range map[string][]byte{"regular": goregular.TTF, "bold": gobold.TTF, "italic": goitalic.TTF} {
		f, err := opentype.Parse(ttf)
		if err != nil {
			return nil, err
		}
		m[name] = f
	}
	return m, nil
})

// RenderSignatureBox draws the box for a w×h pt place as a PNG of
// boxPxPerPt pixels per point: border, QR code on the left, the text
// lines on the right (name, title and organisation wrapped to two lines,
// shrunk and at last cut with "…" to fit), and
// the specimen behind the text at reduced opacity, as a seal is stamped
// over a signature block.
func RenderSignatureBox(c BoxContent, w, h float64) ([]byte, error) {
	if w < 20 || h < 10 || w > 2000 || h > 2000 {
		return nil, naskah.Errorf(naskah.EINVALID, "kotak tanda tangan %.0f×%.0f pt tidak wajar — the signature box %.0f×%.0f pt is out of range", w, h, w, h)
	}
	fs, err := fonts()
	if err != nil {
		return nil, naskah.WrapError(naskah.EINTERNAL, err, "the signature font cannot be loaded")
	}
	k := float64(boxPxPerPt)
	W, H := int(math.Round(w*k)), int(math.Round(h*k))
	img := image.NewRGBA(image.Rect(0, 0, W, H))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)

	// Scale of the contents: 1 on an A4 box, less on smaller boxes.
	s := min(w/boxWidth, h/boxHeight)
	pad := int(math.Round(boxPad * s * k))
	lw := max(1, int(math.Round(0.8*s*k)))
	strokeRect(img, image.Rect(0, 0, W, H), lw, boxBorder)

	textLeft := pad
	if c.QRURL != "" {
		side := H - 2*pad
		if err := drawQR(img, c.QRURL, image.Rect(pad, pad, pad+side, pad+side)); err != nil {
			return nil, err
		}
		textLeft = pad + side + pad
	}
	textArea := image.Rect(textLeft, pad, W-pad, H-pad)
	if len(c.Specimen) > 0 {
		if err := drawSpecimen(img, c.Specimen, textArea); err != nil {
			return nil, err
		}
	}

	if err := drawLines(img, fs, boxLines(c), textArea, s); err != nil {
		return nil, err
	}
	var out bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&out, img); err != nil {
		return nil, naskah.WrapError(naskah.EINTERNAL, err, "the signature box image cannot be encoded")
	}
	return out.Bytes(), nil
}

// boxLine is one entry of the box's text: up to wrap lines of it.
type boxLine struct {
	text string
	face string  // "regular", "bold", "italic"
	pt   float64 // size at full scale
	col  color.Color
	gap  float64 // pt above
	wrap int     // lines it may take
}

func boxLines(c BoxContent) []boxLine {
	ls := []boxLine{{"Ditandatangani secara elektronik oleh", "regular", 7, boxInk, 0, 1}}
	if c.English {
		ls = append(ls, boxLine{"Electronically signed by", "italic", 6, boxGrey, 0, 1})
	}
	ls = append(ls, boxLine{c.Name, "bold", 10, boxInk, 3, 2})
	if c.Title != "" {
		ls = append(ls, boxLine{c.Title, "regular", 7.5, boxInk, 1.5, 2})
	}
	if c.Organization != "" {
		ls = append(ls, boxLine{c.Organization, "regular", 7.5, boxInk, 0.5, 2})
	}
	if !c.When.IsZero() {
		ls = append(ls, boxLine{WIBTime(c.When), "regular", 7.5, boxInk, 3, 1})
	}
	return ls
}

// drawLines wraps each entry to the area's width at scale s (shrinking
// it down to 80 % and cutting it with "…" when wrapping is not enough),
// shrinks the whole block if it is taller than the area, and draws it
// centred vertically.
func drawLines(img *image.RGBA, fs map[string]*opentype.Font, ls []boxLine, area image.Rectangle, s float64) error {
	const k = boxPxPerPt
	type laid struct {
		rows []string
		l    boxLine
		size float64 // pt, before the block's shrink
	}
	var block []laid
	var total float64 // pt
	for _, l := range ls {
		if strings.TrimSpace(l.text) == "" {
			continue
		}
		size, rows, err := wrapText(fs[l.face], l.text, l.pt*s, float64(area.Dx())/k, l.wrap)
		if err != nil {
			return err
		}
		block = append(block, laid{rows, l, size})
		total += l.gap*s + float64(len(rows))*size*1.2
	}
	f := min(1, float64(area.Dy())/k/total)
	y := float64(area.Min.Y) + (float64(area.Dy())-total*f*k)/2
	for _, b := range block {
		size := b.size * f * k // px: faces are made at 72 dpi
		face, err := opentype.NewFace(fs[b.l.face], &opentype.FaceOptions{Size: size, DPI: 72, Hinting: font.HintingNone})
		if err != nil {
			return naskah.WrapError(naskah.EINTERNAL, err, "the signature font cannot be sized")
		}
		y += b.l.gap * s * f * k
		for _, row := range b.rows {
			y += size * 1.2
			d := font.Drawer{Dst: img, Src: image.NewUniform(b.l.col), Face: face,
				Dot: fixed.Point26_6{X: fixed.I(area.Min.X), Y: fixed.Int26_6((y - size*0.25) * 64)}}
			d.DrawString(row)
		}
		face.Close()
	}
	return nil
}

// wrapText breaks text into at most n rows no wider than width pt, at
// size pt or, if it does not fit, at down to 80 % of it; the last row is
// cut with "…" if the text still does not fit.
func wrapText(f *opentype.Font, text string, size, width float64, n int) (float64, []string, error) {
	var rows []string
	var sz float64
	for _, sz = range []float64{size, size * 0.9, size * 0.8} {
		face, err := opentype.NewFace(f, &opentype.FaceOptions{Size: sz, DPI: 72, Hinting: font.HintingNone})
		if err != nil {
			return 0, nil, naskah.WrapError(naskah.EINTERNAL, err, "the signature font cannot be sized")
		}
		fits := func(s string) bool { return float64(font.MeasureString(face, s))/64 <= width }
		var rest []string
		rows, rest = wordWrap(strings.Fields(text), fits, n)
		if len(rest) == 0 || sz == size*0.8 {
			if len(rest) > 0 || !fits(rows[len(rows)-1]) {
				last := []rune(strings.Join(append([]string{rows[len(rows)-1]}, rest...), " "))
				for len(last) > 0 && !fits(string(last)+"…") {
					last = last[:len(last)-1]
				}
				rows[len(rows)-1] = strings.TrimRight(string(last), " ,") + "…"
			}
			face.Close()
			break
		}
		face.Close()
	}
	return sz, rows, nil
}

// wordWrap fills up to n rows greedily with words; what does not fit is
// returned as rest. A single word wider than a row takes a row of its own.
func wordWrap(words []string, fits func(string) bool, n int) (rows, rest []string) {
	for i, w := range words {
		switch {
		case len(rows) > 0 && fits(rows[len(rows)-1]+" "+w):
			rows[len(rows)-1] += " " + w
		case len(rows) < n:
			rows = append(rows, w)
		default:
			return rows, words[i:]
		}
	}
	if len(rows) == 0 {
		rows = []string{""}
	}
	return rows, nil
}

// drawQR draws the QR code of url into r with whole-pixel modules, so
// that the code stays sharp at the box's resolution.
func drawQR(img *image.RGBA, url string, r image.Rectangle) error {
	q, err := qrcode.New(url, qrcode.Medium)
	if err != nil {
		return naskah.WrapError(naskah.EINVALID, err, "URL verifikasi tidak dapat dijadikan kode QR: perpendek — the verification URL cannot be encoded as a QR code: shorten it")
	}
	q.DisableBorder = true
	bm := q.Bitmap()
	n := len(bm)
	m := r.Dx() / n // pixels per module
	if m < 2 {
		return naskah.Errorf(naskah.EINVALID, "kotak tanda tangan terlalu kecil untuk kode QR — the signature box is too small for a readable QR code: use a larger page")
	}
	off := image.Pt(r.Min.X+(r.Dx()-m*n)/2, r.Min.Y+(r.Dy()-m*n)/2)
	for y, row := range bm {
		for x, dark := range row {
			if dark {
				draw.Draw(img, image.Rect(off.X+x*m, off.Y+y*m, off.X+(x+1)*m, off.Y+(y+1)*m), image.NewUniform(color.Black), image.Point{}, draw.Src)
			}
		}
	}
	return nil
}

// drawSpecimen draws the specimen fitted into r (aspect kept, right
// aligned, vertically centred) at 35 % opacity, scaled with an area
// average so thin strokes survive the reduction.
func drawSpecimen(img *image.RGBA, b []byte, r image.Rectangle) error {
	if err := CheckSpecimen(b); err != nil {
		return err
	}
	src, _, err := image.Decode(bytes.NewReader(b))
	if err != nil {
		return naskah.Errorf(naskah.EINVALID, "gambar spesimen rusak: ekspor ulang — the specimen image is damaged: export it again")
	}
	sb := src.Bounds()
	f := min(float64(r.Dx())/float64(sb.Dx()), float64(r.Dy())/float64(sb.Dy()))
	dw, dh := max(1, int(float64(sb.Dx())*f)), max(1, int(float64(sb.Dy())*f))
	dst := image.Rect(r.Max.X-dw, r.Min.Y+(r.Dy()-dh)/2, r.Max.X, r.Min.Y+(r.Dy()-dh)/2+dh)
	scaled := image.NewNRGBA64(image.Rect(0, 0, dw, dh))
	for y := 0; y < dh; y++ {
		for x := 0; x < dw; x++ {
			// Area average of the source pixels under this one.
			x0, x1 := sb.Min.X+int(float64(x)/f), sb.Min.X+int(float64(x+1)/f)
			y0, y1 := sb.Min.Y+int(float64(y)/f), sb.Min.Y+int(float64(y+1)/f)
			x1, y1 = min(max(x1, x0+1), sb.Max.X), min(max(y1, y0+1), sb.Max.Y)
			var rs, gs, bs, as, n uint64
			for sy := y0; sy < y1; sy++ {
				for sx := x0; sx < x1; sx++ {
					c := color.NRGBA64Model.Convert(src.At(sx, sy)).(color.NRGBA64)
					// Weighted by alpha, so transparent pixels add no colour.
					a := uint64(c.A)
					rs, gs, bs, as, n = rs+uint64(c.R)*a, gs+uint64(c.G)*a, bs+uint64(c.B)*a, as+a, n+1
				}
			}
			if as == 0 {
				continue
			}
			scaled.SetNRGBA64(x, y, color.NRGBA64{uint16(rs / as), uint16(gs / as), uint16(bs / as), uint16(as / n)})
		}
	}
	draw.DrawMask(img, dst, scaled, image.Point{}, image.NewUniform(color.Alpha{0x59}), image.Point{}, draw.Over)
	return nil
}

func strokeRect(img *image.RGBA, r image.Rectangle, w int, c color.Color) {
	u := image.NewUniform(c)
	for _, e := range []image.Rectangle{
		{r.Min, image.Pt(r.Max.X, r.Min.Y+w)}, {image.Pt(r.Min.X, r.Max.Y-w), r.Max},
		{r.Min, image.Pt(r.Min.X+w, r.Max.Y)}, {image.Pt(r.Max.X-w, r.Min.Y), r.Max},
	} {
		draw.Draw(img, e, u, image.Point{}, draw.Src)
	}
}

// pageGeometry is what placing a box needs of a page: its visible box in
// user space and its /Rotate.
type pageGeometry struct {
	Box        Rect   // CropBox within MediaBox, user space
	Rotate     int    // 0, 90, 180, 270
	Signatures []Rect // visible signature widgets already on the page, user space
}

// Visible is the page's size as shown, after /Rotate.
func (g pageGeometry) Visible() PageSize {
	w, h := g.Box[2]-g.Box[0], g.Box[3]-g.Box[1]
	if g.Rotate == 90 || g.Rotate == 270 {
		w, h = h, w
	}
	return PageSize{Width: w, Height: h}
}

// ToUser maps a rect in visible coordinates (origin at the bottom left of
// the page as shown) to the page's user space, where the widget's /Rect is.
func (g pageGeometry) ToUser(v Rect) Rect {
	w, h := g.Box[2]-g.Box[0], g.Box[3]-g.Box[1]
	pt := func(vx, vy float64) (float64, float64) {
		switch g.Rotate {
		case 90:
			return w - vy, vx
		case 180:
			return w - vx, h - vy
		case 270:
			return vy, h - vx
		}
		return vx, vy
	}
	x0, y0 := pt(v[0], v[1])
	x1, y1 := pt(v[2], v[3])
	return Rect{g.Box[0] + min(x0, x1), g.Box[1] + min(y0, y1), g.Box[0] + max(x0, x1), g.Box[1] + max(y0, y1)}
}

// pageTreeBudget bounds the walk to a page: a circular or absurd page
// tree is refused, not followed. 64 Ki nodes is far above the 2000-page
// upload limit's tree.
const (
	pageTreeBudget = 1 << 16
	pageTreeDepth  = 64
)

// readPageGeometry finds page n (1-based; 0 = the last) as pdfsign will,
// walking the page tree depth first with a budget.
func readPageGeometry(ctx context.Context, data []byte, n int) (g pageGeometry, page int, err error) {
	err = recovered("read page geometry", func() error {
		rdr, err := pdfreader.NewReader(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return naskah.WrapError(naskah.EINVALID, err, "the PDF cannot be read for signing: it is damaged; upload it again")
		}
		root := rdr.Trailer().Key("Root").Key("Pages")
		if n <= 0 {
			n = max(1, int(root.Key("Count").Int64()))
		}
		page = n
		p, ok := findPage(ctx, root, n)
		if err := ctx.Err(); err != nil {
			return canceled(err)
		}
		if !ok {
			return naskah.Errorf(naskah.EINVALID, "halaman %d tidak ada di PDF ini — the PDF has no page %d for the signature box", n, n)
		}
		g = geometryOf(p)
		g.Signatures = signatureWidgets(p)
		return nil
	})
	return g, page, err
}

func findPage(ctx context.Context, root pdfreader.Value, n int) (pdfreader.Value, bool) {
	type frame struct {
		node pdfreader.Value
		next int
	}
	stack := []frame{{node: root}}
	steps := 0
	for len(stack) > 0 {
		if steps++; steps > pageTreeBudget || len(stack) > pageTreeDepth || steps%1024 == 0 && ctx.Err() != nil {
			return pdfreader.Value{}, false
		}
		top := &stack[len(stack)-1]
		switch top.node.Key("Type").Name() {
		case "Page":
			if n--; n == 0 {
				return top.node, true
			}
			stack = stack[:len(stack)-1]
		case "Pages":
			kids := top.node.Key("Kids")
			if top.next >= kids.Len() {
				stack = stack[:len(stack)-1]
				continue
			}
			kid := kids.Index(top.next)
			top.next++
			stack = append(stack, frame{node: kid})
		default:
			stack = stack[:len(stack)-1]
		}
	}
	return pdfreader.Value{}, false
}

// geometryOf reads a page's inherited MediaBox, CropBox and Rotate.
func geometryOf(p pdfreader.Value) pageGeometry {
	inherited := func(key string) pdfreader.Value {
		v := p
		for i := 0; i < pageTreeDepth && !v.IsNull(); i++ {
			if r := v.Key(key); !r.IsNull() {
				return r
			}
			v = v.Key("Parent")
		}
		return pdfreader.Value{}
	}
	box := func(v pdfreader.Value) (Rect, bool) {
		if v.Len() != 4 {
			return Rect{}, false
		}
		var r Rect
		for i := range r {
			r[i] = v.Index(i).Float64()
		}
		r = Rect{min(r[0], r[2]), min(r[1], r[3]), max(r[0], r[2]), max(r[1], r[3])}
		return r, r[2]-r[0] >= 1 && r[3]-r[1] >= 1
	}
	g := pageGeometry{Box: Rect{0, 0, 612, 792}} // the default MediaBox (US Letter)
	if mb, ok := box(inherited("MediaBox")); ok {
		g.Box = mb
	}
	if cb, ok := box(inherited("CropBox")); ok {
		i := Rect{max(cb[0], g.Box[0]), max(cb[1], g.Box[1]), min(cb[2], g.Box[2]), min(cb[3], g.Box[3])}
		if i[2]-i[0] >= 1 && i[3]-i[1] >= 1 {
			g.Box = i
		}
	}
	g.Rotate = ((int(inherited("Rotate").Int64())%360 + 360) % 360) / 90 * 90
	return g
}

// applyAppearance places and draws the box of opts.Appearance for sd.
func applyAppearance(ctx context.Context, sd *sign.SignData, data []byte, s *Signer, opts SignOptions, at time.Time) error {
	a := opts.Appearance
	if a == nil || !opts.Visible {
		return nil
	}
	if p := a.Place; p != nil && placeFits(*p) {
		g, page, err := readPageGeometry(ctx, data, p.Page)
		if err != nil {
			return err
		}
		u := Rect(p.Rect)
		w, h := u[2]-u[0], u[3]-u[1]
		if g.Rotate == 90 || g.Rotate == 270 {
			w, h = h, w
		}
		return drawAppearance(sd, s, a, at, g, page, u, w, h)
	}
	g, page, err := readPageGeometry(ctx, data, opts.Page)
	if err != nil {
		return err
	}
	// The first free place from Index on: a signature another tool put
	// on the page (a partner's, pdfsig's) keeps its place too.
	var v, u Rect
	for i := a.Index; ; i++ {
		if v, err = SignatureBox(g.Visible(), i); err != nil {
			return err
		}
		if u = g.ToUser(v); !overlapsAny(u, g.Signatures) {
			break
		}
	}
	return drawAppearance(sd, s, a, at, g, page, u, v[2]-v[0], v[3]-v[1])
}

// placeFits says a signature place is large enough for a legible box:
// at least the smallest the normal layout draws (boxMinScale).
func placeFits(p naskah.SignaturePlace) bool {
	w, h := p.Rect[2]-p.Rect[0], p.Rect[3]-p.Rect[1]
	if w < h {
		w, h = h, w // a place on a rotated page
	}
	return p.Page > 0 && w >= boxWidth*boxMinScale && h >= boxHeight*boxMinScale && w <= 14400 && h <= 14400
}

// drawAppearance renders the box (w×h as the page is shown) and puts it
// at u (user space) on page.
func drawAppearance(sd *sign.SignData, s *Signer, a *Appearance, at time.Time, g pageGeometry, page int, u Rect, w, h float64) error {
	c := ContentFromCertificate(s.Certificate)
	c.When, c.QRURL, c.Specimen, c.English = at, a.QRURL, a.Specimen, a.English
	img, err := renderRotated(c, w, h, g.Rotate)
	if err != nil {
		return err
	}
	sd.Appearance.Page = uint32(page)
	sd.Appearance.LowerLeftX, sd.Appearance.LowerLeftY = u[0], u[1]
	sd.Appearance.UpperRightX, sd.Appearance.UpperRightY = u[2], u[3]
	sd.Appearance.Image, sd.Appearance.ImageAsWatermark = img, false
	return nil
}

// maxAnnots bounds the annotations read from one page.
const maxAnnots = 4096

// signatureWidgets returns the rects of the page's visible signature
// fields (/FT /Sig on the widget or its parent field).
func signatureWidgets(p pdfreader.Value) []Rect {
	var rs []Rect
	annots := p.Key("Annots")
	for i := 0; i < min(annots.Len(), maxAnnots); i++ {
		a := annots.Index(i)
		if a.Key("FT").Name() != "Sig" && a.Key("Parent").Key("FT").Name() != "Sig" {
			continue
		}
		r := a.Key("Rect")
		if r.Len() != 4 {
			continue
		}
		x0, y0, x1, y1 := r.Index(0).Float64(), r.Index(1).Float64(), r.Index(2).Float64(), r.Index(3).Float64()
		if b := (Rect{min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)}); b[2]-b[0] > 0 && b[3]-b[1] > 0 {
			rs = append(rs, b)
		}
	}
	return rs
}

func overlapsAny(r Rect, others []Rect) bool {
	for _, o := range others {
		if r[0] < o[2] && o[0] < r[2] && r[1] < o[3] && o[1] < r[3] {
			return true
		}
	}
	return false
}

// renderRotated renders the box and turns it against the page's /Rotate:
// pdfsign draws the image upright in user space and the viewer then
// rotates the page, so the box reads upright as shown.
func renderRotated(c BoxContent, w, h float64, rotate int) ([]byte, error) {
	b, err := RenderSignatureBox(c, w, h)
	if err != nil || rotate == 0 {
		return b, err
	}
	src, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		return nil, naskah.WrapError(naskah.EINTERNAL, err, "the signature box image cannot be read back")
	}
	sb := src.Bounds()
	W, H := sb.Dx(), sb.Dy()
	var dst *image.RGBA
	switch rotate {
	case 90, 270:
		dst = image.NewRGBA(image.Rect(0, 0, H, W))
	default:
		dst = image.NewRGBA(image.Rect(0, 0, W, H))
	}
	for y := 0; y < H; y++ {
		for x := 0; x < W; x++ {
			c := src.At(sb.Min.X+x, sb.Min.Y+y)
			switch rotate {
			case 90: // counter-clockwise, undone by the page's clockwise turn
				dst.Set(y, W-1-x, c)
			case 180:
				dst.Set(W-1-x, H-1-y, c)
			case 270:
				dst.Set(H-1-y, x, c)
			}
		}
	}
	var out bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&out, dst); err != nil {
		return nil, fmt.Errorf("signature box: %w", err)
	}
	return out.Bytes(), nil
}
