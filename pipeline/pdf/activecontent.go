package pdf

import (
	"bytes"
	"cmp"
	"context"
	pdfreader "github.com/digitorus/pdf"
	"path"
	"slices"
	"strings"
	"unicode"

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
	ACURIScheme      = "tautan URI selain http/https/mailto (berkas, folder jaringan, skrip) — URI link other than http/https/mailto (files, network shares, scripts)"
)

// webURI reports whether an /URI action's target is an ordinary web or
// mail link (or a relative address without a scheme, which readers resolve
// against the document's /Base); file:, javascript: and other schemes are
// active content, and so is a path that names another host without a
// scheme (\\host\share, //host/share): Windows readers open it over SMB
// and send the user's credentials to that host.
func webURI(u string) bool {
	u = strings.ToLower(strings.TrimLeftFunc(u, func(r rune) bool { return r <= ' ' || unicode.IsSpace(r) }))
	if len(u) >= 2 && (u[0] == '/' || u[0] == '\\') && (u[1] == '/' || u[1] == '\\') {
		return false
	}
	scheme, _, ok := strings.Cut(u, ":")
	if !ok || scheme == "" || strings.ContainsFunc(scheme, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '+' || r == '-' || r == '.')
	}) {
		return !strings.ContainsRune(u, '\\')
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

// activeContent notes what a dictionary the guard parsed could do. Every
// entry of a key counts (readers differ on which of two equal keys wins),
// and a name or string may be an indirect object: readers resolve
// /S 16 0 R to the /Launch that object 16 holds, so such a value is
// checked when the scan is done (resolveLater).
func (g *guard) activeContent(d pval) {
	add := func(s string) { g.found[s] = true }
	// The /URI of an action: bad when a direct one is not a web link;
	// uriRef is the first indirect one.
	uriBad, uriRef := false, 0
	for _, kv := range d.d {
		if kv.key == "URI" {
			switch kv.v.k {
			case pString:
				uriBad = uriBad || !webURI(kv.v.s)
			case pRef:
				uriRef = cmp.Or(uriRef, int(kv.v.n))
			}
		}
	}
	for _, kv := range d.d {
		v := kv.v
		switch kv.key {
		case "S":
			switch {
			case v.k == pName:
				g.actionType(v.s, uriBad, uriRef)
			case v.k == pRef:
				g.resolveLater(laterKey{key: "S", ref: int(v.n), uriBad: uriBad, uriRef: uriRef})
			}
		case "Type", "Subtype":
			switch {
			case v.k == pName:
				g.objectType(v.s)
			case v.k == pRef:
				g.resolveLater(laterKey{key: "Type", ref: int(v.n)})
			}
		}
	}
	if _, ok := d.get("JS"); ok {
		add(ACJavaScript)
	}
	if n, ok := d.get("JavaScript"); ok && n.k != pName {
		add(ACJavaScript) // the document's /Names /JavaScript tree
	}
	if _, ok := d.get("EmbeddedFiles"); ok {
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
	if _, ok := d.get("RichMediaContent"); ok {
		add(ACRichMedia)
	}
	if _, ok := d.get("XFA"); ok {
		add(ACXFA)
	}
}

// actionType notes an action of type s (the /S of an action dictionary)
// whose direct /URI is bad or whose /URI is object uriRef.
func (g *guard) actionType(s string, uriBad bool, uriRef int) {
	if l, ok := dangerousActions[s]; ok {
		g.found[l] = true
	}
	if s != "URI" {
		return
	}
	if uriBad {
		g.found[ACURIScheme] = true
	}
	if uriRef != 0 {
		g.resolveLater(laterKey{key: "URI", ref: uriRef})
	}
}

// objectType notes a /Type or /Subtype that carries files or media.
func (g *guard) objectType(s string) {
	if s == "EmbeddedFile" {
		g.found[ACEmbeddedFile] = true
	}
	if l, ok := activeAnnots[s]; ok {
		g.found[l] = true
	}
}

// laterKey is a check of an indirect value: the /S, /Type or /Subtype
// (key "Type") or /URI that object ref holds.
type laterKey struct {
	key    string
	ref    int
	uriBad bool // for "S": the action's direct /URI is not a web link
	uriRef int  // for "S": the action's /URI is this object
}

// maxIndirectChecks bounds the distinct indirect values the guard keeps
// to resolve (a file of tiny dictionaries could otherwise make it keep one
// per dictionary); ordinary files have a handful.
const maxIndirectChecks = 1 << 16

func (g *guard) resolveLater(k laterKey) {
	if g.later == nil {
		g.later = map[laterKey]bool{}
	}
	if len(g.later) < maxIndirectChecks {
		g.later[k] = true
	} else if !g.later[k] {
		g.tooManyIndirect = true
	}
}

// resolveIndirect runs the checks resolveLater kept, once every object
// has been read. A /URI object is checked only after the /S objects that
// may have asked for it.
func (g *guard) resolveIndirect() error {
	if g.tooManyIndirect {
		return errHostile("more than %d indirect action or object types", maxIndirectChecks)
	}
	for _, pass := range []string{"S", "Type", "URI"} {
		for k := range g.later {
			if k.key != pass {
				continue
			}
			for _, v := range g.resolve(k.ref) {
				switch {
				case v.k == pName && k.key == "S":
					g.actionType(v.s, k.uriBad, k.uriRef)
				case v.k == pName && k.key == "Type":
					g.objectType(v.s)
				case v.k == pString && k.key == "URI" && !webURI(v.s):
					g.found[ACURIScheme] = true
				}
			}
		}
	}
	return nil
}

// resolve returns every definition of object ref that is a name or a
// string, following objects that are only a reference to another (a few
// hops: checkGraphs has refused circles of them).
func (g *guard) resolve(ref int) []pval {
	var out []pval
	seen := map[int]bool{}
	queue := []int{ref}
	for len(queue) > 0 && len(seen) < 16 {
		n := queue[0]
		queue = queue[1:]
		if seen[n] {
			continue
		}
		seen[n] = true
		for _, v := range g.scalars[n] {
			if v.k == pRef {
				queue = append(queue, int(v.n))
			} else {
				out = append(out, v)
			}
		}
	}
	return out
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
	out, removed, _, err := StampForSigningPlaces(ctx, data, m)
	return out, removed, err
}

// StampForSigningPlaces is StampForSigningClean that also removes the
// empty signature fields, which pdfsign cannot fill, and returns their
// places (page, rect, name) in field order for Sign's boxes.
func StampForSigningPlaces(ctx context.Context, data []byte, m SigningMarks) ([]byte, []string, []naskah.SignaturePlace, error) {
	out, removed, places, err := stampForSigningPlaces(ctx, data, m)
	if err != nil {
		return nil, nil, nil, err
	}
	return out, removed, places, nil
}

func stampForSigningPlaces(ctx context.Context, data []byte, m SigningMarks) ([]byte, []string, []naskah.SignaturePlace, error) {
	var c cleaned
	out, err := stampForSigning(ctx, data, m, &c)
	if err != nil {
		return nil, nil, nil, err
	}
	removed := c.removed
	st, err := checkForPdfcpu(ctx, out) // the limits the input passed
	if err != nil {
		return nil, nil, nil, err
	}
	if len(st.ActiveContent) > 0 {
		return nil, nil, nil, naskah.Errorf(naskah.EINVALID, "Konten aktif (%s) tidak dapat dihapus dari naskah yang akan ditandatangani: hapus dari dokumen sumbernya, ekspor ulang ke PDF, lalu unggah — Active content (%s) could not be removed from the text to sign: remove it in the source document, export to PDF again and upload that",
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
		return nil, nil, nil, err
	}
	return out, removed, c.places, nil
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
	n := s.name(d["S"])
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
	return dangerousActions[n]
}

// name is the name o is, directly or through references ("" when it is
// not one): /S 16 0 R is the /Launch that object 16 holds.
func (s *stripper) name(o types.Object) string {
	for range 16 {
		switch v := o.(type) {
		case types.Name:
			return string(v)
		case types.IndirectRef:
			next, err := s.xr.Dereference(v)
			if err != nil {
				return ""
			}
			o = next
		default:
			return ""
		}
	}
	return ""
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
	if l := dangerousActions[s.name(d["S"])]; l != "" {
		remove("JS", l)
	}
	if s.name(d["JavaScript"]) == "" {
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
					if l := activeAnnots[s.name(ad["Subtype"])]; l != "" {
						s.removed[l] = true
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
