package pdf

import (
	"bytes"
	"context"
	pdfreader "github.com/digitorus/pdf"
	"path"
	"slices"
	"strings"

	"github.com/bpom/naskah"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// Labels of active content, Indonesian first, as the record, the API and
// the UI show them.
const (
	ACJavaScript     = "JavaScript"
	ACLaunch         = "aksi Launch (menjalankan program) — Launch action (runs a program)"
	ACSubmitForm     = "aksi SubmitForm (mengirim isian) — SubmitForm action (sends form data)"
	ACImportData     = "aksi ImportData — ImportData action"
	ACRemoteGoTo     = "tautan ke dokumen lain (GoToR/GoToE) — link to another document (GoToR/GoToE)"
	ACEmbeddedFile   = "berkas tersemat — embedded file"
	ACFileAttachment = "lampiran berkas (FileAttachment) — file attachment annotation"
	ACRichMedia      = "multimedia (RichMedia, Screen, Movie, Sound, Rendition)"
	ACXFA            = "formulir XFA — XFA form"
	ACURIScheme      = "tautan URI selain http/https/mailto — URI link with a scheme other than http/https/mailto"
)

// webURI reports whether an /URI action's target is an ordinary web or
// mail link (or has no scheme, which readers take as a web address);
// file:, javascript: and other schemes are active content.
func webURI(u string) bool {
	u = strings.ToLower(strings.TrimSpace(u))
	scheme, _, ok := strings.Cut(u, ":")
	if !ok || scheme == "" || strings.ContainsFunc(scheme, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '+' || r == '-' || r == '.')
	}) {
		return true
	}
	return scheme == "http" || scheme == "https" || scheme == "mailto"
}

// dangerousActions are the action types (/S) that run code, start
// programs, send data or open other files.
var dangerousActions = map[string]string{
	"JavaScript": ACJavaScript, "Launch": ACLaunch, "SubmitForm": ACSubmitForm, "ImportData": ACImportData,
	"GoToR": ACRemoteGoTo, "GoToE": ACRemoteGoTo, "RichMediaExecute": ACRichMedia, "Rendition": ACRichMedia,
	"Movie": ACRichMedia, "Sound": ACRichMedia,
}

// activeAnnots are annotation subtypes that carry files or media.
var activeAnnots = map[string]string{
	"FileAttachment": ACFileAttachment, "RichMedia": ACRichMedia, "Screen": ACRichMedia, "Movie": ACRichMedia, "Sound": ACRichMedia,
}

// activeContent notes what a dictionary the guard parsed could do.
func (g *guard) activeContent(d pval) {
	add := func(s string) { g.found[s] = true }
	if s, ok := d.get("S"); ok && s.k == pName {
		if l, ok := dangerousActions[s.s]; ok {
			add(l)
		}
	}
	if _, ok := d.get("JS"); ok {
		add(ACJavaScript)
	}
	if s, ok := d.get("S"); ok && s.k == pName && s.s == "URI" {
		switch u, _ := d.get("URI"); u.k {
		case pRef:
			g.uriRefs = append(g.uriRefs, int(u.n)) // resolved when the scan is done
		default:
			if !webURI(u.s) {
				add(ACURIScheme)
			}
		}
	}
	if n, ok := d.get("JavaScript"); ok && n.k != pName {
		add(ACJavaScript) // the document's /Names /JavaScript tree
	}
	if _, ok := d.get("EmbeddedFiles"); ok {
		add(ACEmbeddedFile)
	}
	if t, ok := d.get("Type"); ok && t.k == pName && t.s == "EmbeddedFile" {
		add(ACEmbeddedFile)
	}
	if _, ok := d.get("EF"); ok {
		add(ACEmbeddedFile)
		for _, k := range []string{"UF", "F"} {
			if f, ok := d.get(k); ok && f.k == pString && f.s != "" {
				n := cleanFileName(f.s)
				add("berkas tersemat: " + n + " — embedded file: " + n)
				break
			}
		}
	}
	if s, ok := d.get("Subtype"); ok && s.k == pName {
		if l, ok := activeAnnots[s.s]; ok {
			add(l)
		}
	}
	if _, ok := d.get("RichMediaContent"); ok {
		add(ACRichMedia)
	}
	if _, ok := d.get("XFA"); ok {
		add(ACXFA)
	}
}

// cleanFileName keeps a printable base name of an embedded file.
func cleanFileName(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == 0xfffd {
			return -1
		}
		return r
	}, path.Base(strings.ReplaceAll(s, "\\", "/")))
	return s[:min(len(s), 100)]
}

// ActiveContentProblems lists, as report problems, the active content of a
// signed file: what it would run or open is not what was signed on paper.
func ActiveContentProblems(found []string) []string {
	if len(found) == 0 {
		return nil
	}
	return []string{"Dokumen bertanda tangan ini berisi konten aktif: " + strings.Join(found, "; ") +
		" — This signed document contains active content: " + strings.Join(found, "; ")}
}

// flagActiveContent adds the active-content problem (found by Check) to a
// report and makes it invalid. Verify calls it.
func (r *Report) flagActiveContent(found []string) {
	if p := ActiveContentProblems(found); len(p) > 0 {
		r.Problems = append(r.Problems, p...)
		r.Valid = false
	}
}

// StampForSigningClean is StampForSigning that also reports the active
// content it removed (labels as in Structure.ActiveContent). The text to
// sign never keeps active content: when removal leaves any, it is refused.
func StampForSigningClean(ctx context.Context, data []byte, m SigningMarks) ([]byte, []string, error) {
	var removed []string
	out, err := stampForSigning(ctx, data, m, &removed)
	if err != nil {
		return nil, nil, err
	}
	st, err := Check(ctx, out)
	if err != nil {
		return nil, nil, err
	}
	if len(st.ActiveContent) > 0 {
		return nil, nil, naskah.Errorf(naskah.EINVALID, "Konten aktif (%s) tidak dapat dihapus dari naskah yang akan ditandatangani: hapus dari dokumen sumbernya, ekspor ulang ke PDF, lalu unggah — Active content (%s) could not be removed from the text to sign: remove it in the source document, export to PDF again and upload that",
			strings.Join(st.ActiveContent, "; "), strings.Join(st.ActiveContent, "; "))
	}
	// A form field left behind (a submit button without its action, a
	// text field) would make signing refuse the file later: say so now,
	// when the text to sign is uploaded.
	if err := recovered("check form", func() error {
		rdr, err := pdfreader.NewReader(bytes.NewReader(out), int64(len(out)))
		if err != nil {
			return naskah.WrapError(naskah.EINVALID, err, "naskah yang akan ditandatangani tidak dapat dibaca ulang: ekspor ulang ke PDF lalu unggah — the text to sign cannot be read back: export it to PDF again and upload that")
		}
		return checkForm(rdr)
	}); err != nil {
		return nil, nil, err
	}
	return out, removed, nil
}

// stripActiveContent removes from every object what could act when the
// file is opened: additional actions, dangerous actions wherever they are
// referenced, the JavaScript and embedded-file name trees, embedded file
// streams, file and media annotations, and XFA. It returns what it removed.
func stripActiveContent(xr *model.XRefTable) []string {
	s := &stripper{xr: xr, removed: map[string]bool{}}
	// pdfcpu keeps the name trees aside and writes them back from there.
	for name, label := range map[string]string{"JavaScript": ACJavaScript, "EmbeddedFiles": ACEmbeddedFile} {
		if _, ok := xr.Names[name]; ok {
			delete(xr.Names, name)
			s.removed[label] = true
		}
	}
	for _, e := range xr.Table {
		if e == nil || e.Free {
			continue
		}
		switch o := e.Object.(type) {
		case types.Dict:
			s.dict(o, 0)
		case types.StreamDict:
			s.dict(o.Dict, 0)
		case types.Array:
			s.array(o, 0)
		}
	}
	var out []string
	for k := range s.removed {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

type stripper struct {
	xr      *model.XRefTable
	removed map[string]bool
}

func (s *stripper) deref(o types.Object) types.Object {
	if r, ok := o.(types.IndirectRef); ok {
		v, err := s.xr.Dereference(r)
		if err != nil {
			return nil
		}
		return v
	}
	return o
}

// actionLabel is the label of a dangerous action, or "".
func (s *stripper) actionLabel(o types.Object) string {
	d, ok := s.deref(o).(types.Dict)
	if !ok {
		return ""
	}
	n, _ := d["S"].(types.Name)
	if n == "URI" {
		var u string
		switch v := s.deref(d["URI"]).(type) {
		case types.StringLiteral:
			u, _ = types.StringLiteralToString(v)
		case types.HexLiteral:
			u, _ = types.HexLiteralToString(v)
		}
		if !webURI(u) {
			return ACURIScheme
		}
	}
	return dangerousActions[string(n)]
}

func (s *stripper) dict(d types.Dict, depth int) {
	if d == nil || depth > maxNesting {
		return
	}
	remove := func(key, label string) {
		if _, ok := d[key]; ok {
			delete(d, key)
			s.removed[label] = true
		}
	}
	if _, ok := d["AA"]; ok {
		// Additional actions fire on events (open, close, focus, keystroke);
		// nothing in a document to sign needs them.
		for _, a := range s.actionsIn(d["AA"]) {
			s.removed[a] = true
		}
		delete(d, "AA")
	}
	for _, key := range []string{"A", "OpenAction"} {
		if l := s.actionLabel(d[key]); l != "" {
			remove(key, l)
		}
	}
	if next, ok := d["Next"]; ok {
		if l := s.actionLabel(next); l != "" {
			remove("Next", l)
		} else if arr, ok := s.deref(next).(types.Array); ok {
			kept := arr[:0:0]
			for _, a := range arr {
				if l := s.actionLabel(a); l != "" {
					s.removed[l] = true
					continue
				}
				kept = append(kept, a)
			}
			d["Next"] = kept
		}
	}
	if n, ok := d["S"].(types.Name); ok && dangerousActions[string(n)] != "" {
		remove("JS", dangerousActions[string(n)])
	}
	if _, ok := d["JavaScript"].(types.Name); !ok {
		remove("JavaScript", ACJavaScript)
	}
	remove("EmbeddedFiles", ACEmbeddedFile)
	remove("EF", ACEmbeddedFile)
	remove("RichMediaContent", ACRichMedia)
	remove("XFA", ACXFA)
	if annots, ok := d["Annots"]; ok {
		if arr, ok := s.deref(annots).(types.Array); ok {
			kept := arr[:0:0]
			for _, a := range arr {
				if ad, ok := s.deref(a).(types.Dict); ok {
					if st, ok := ad["Subtype"].(types.Name); ok && activeAnnots[string(st)] != "" {
						s.removed[activeAnnots[string(st)]] = true
						continue
					}
				}
				kept = append(kept, a)
			}
			if len(kept) != len(arr) {
				d["Annots"] = kept
			}
		}
	}
	for _, v := range d {
		switch v := v.(type) {
		case types.Dict:
			s.dict(v, depth+1)
		case types.Array:
			s.array(v, depth+1)
		}
	}
}

func (s *stripper) array(a types.Array, depth int) {
	if depth > maxNesting {
		return
	}
	for _, v := range a {
		switch v := v.(type) {
		case types.Dict:
			s.dict(v, depth+1)
		case types.Array:
			s.array(v, depth+1)
		}
	}
}

// actionsIn labels the dangerous actions of an /AA dictionary (or "event
// actions" when none is dangerous in itself).
func (s *stripper) actionsIn(aa types.Object) []string {
	d, ok := s.deref(aa).(types.Dict)
	if !ok {
		return nil
	}
	var out []string
	for _, a := range d {
		if l := s.actionLabel(a); l != "" {
			out = append(out, l)
		}
	}
	if len(out) == 0 {
		out = append(out, "aksi otomatis (AA) — additional actions (AA)")
	}
	return out
}
