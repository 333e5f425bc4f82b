package pdf

import (
	"github.com/bpom/naskah"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// takeSignatureFields removes the empty signature fields (/FT /Sig, no
// /V) from the AcroForm field tree and their widgets from the pages'
// /Annots, and returns their places in field order. pdfsign cannot fill
// an existing field, so the text to sign keeps the places instead and
// Sign draws its boxes there (Appearance.Place).
func takeSignatureFields(xr *model.XRefTable) []naskah.SignaturePlace {
	cat, err := xr.Catalog()
	if err != nil {
		return nil
	}
	acro, err := xr.DereferenceDict(cat["AcroForm"])
	if err != nil || acro == nil {
		return nil
	}
	fields, err := xr.DereferenceArray(acro["Fields"])
	if err != nil || fields == nil {
		return nil
	}
	if err := xr.EnsurePageCount(); err != nil {
		return nil
	}
	pages := map[int]int{} // page object number → page number
	for i := 1; i <= xr.PageCount && i <= maxNodes; i++ {
		if ir, err := xr.PageDictIndRef(i); err == nil && ir != nil {
			pages[ir.ObjectNumber.Value()] = i
		}
	}
	t := &fieldTaker{xr: xr, pages: pages, widgets: map[int]bool{}}
	kept := t.walk(fields, "", 0)
	if len(t.places) == 0 && len(t.widgets) == 0 {
		return nil
	}
	t.dropAnnots()
	if len(kept) == 0 {
		delete(cat, "AcroForm")
	} else {
		acro["Fields"] = kept
	}
	return t.places
}

type fieldTaker struct {
	xr      *model.XRefTable
	pages   map[int]int
	widgets map[int]bool // object numbers of removed widgets
	places  []naskah.SignaturePlace
	nodes   int
}

// walk returns the entries of arr to keep, taking the empty signature
// fields out (ft is the type inherited from the parent).
func (t *fieldTaker) walk(arr types.Array, ft string, depth int) types.Array {
	kept := make(types.Array, 0, len(arr))
	for _, o := range arr {
		t.nodes++
		d, err := t.xr.DereferenceDict(o)
		if err != nil || d == nil || depth > maxFieldDepth || t.nodes > maxNodes {
			kept = append(kept, o)
			continue
		}
		fft := ft
		if n := d.NameEntry("FT"); n != nil {
			fft = *n
		}
		kids, _ := t.xr.DereferenceArray(d["Kids"])
		if fft == "Sig" && d["V"] == nil && t.take(o, d, kids) {
			continue
		}
		if len(kids) > 0 && d.NameEntry("Subtype") == nil {
			d["Kids"] = t.walk(kids, fft, depth+1)
		}
		kept = append(kept, o)
	}
	return kept
}

// take records the place of an empty signature field (o, d) and marks
// its widgets for removal; false when its widgets are not all plain
// (then the field stays and checkForm refuses the file as before).
func (t *fieldTaker) take(o types.Object, d types.Dict, kids types.Array) bool {
	type widget struct {
		ref types.Object
		d   types.Dict
	}
	var ws []widget
	if d.NameEntry("Subtype") != nil || d["Rect"] != nil {
		ws = append(ws, widget{o, d})
	}
	for _, k := range kids {
		kd, err := t.xr.DereferenceDict(k)
		if err != nil || kd == nil {
			return false
		}
		if n := kd.NameEntry("Subtype"); n == nil || *n != "Widget" {
			return false // a kid field, not a widget
		}
		ws = append(ws, widget{k, kd})
	}
	name := ""
	if s, err := types.StringOrHexLiteral(d["T"]); err == nil && s != nil {
		name = *s
	}
	placed := false
	for _, w := range ws {
		ir, ok := w.ref.(types.IndirectRef)
		if ok {
			t.widgets[ir.ObjectNumber.Value()] = true
		}
		if placed {
			continue
		}
		r, ok := t.rect(w.d)
		if !ok {
			continue
		}
		page := 0
		if ok {
			page = t.pageListing(ir.ObjectNumber.Value())
		}
		if page == 0 {
			if p, isRef := w.d["P"].(types.IndirectRef); isRef {
				page = t.pages[p.ObjectNumber.Value()]
			}
		}
		if page > 0 {
			t.places = append(t.places, naskah.SignaturePlace{Name: name, Page: page, Rect: r})
			placed = true
		}
	}
	return true
}

// rect is a widget's normalised /Rect.
func (t *fieldTaker) rect(d types.Dict) ([4]float64, bool) {
	a, err := t.xr.DereferenceArray(d["Rect"])
	if err != nil || len(a) != 4 {
		return [4]float64{}, false
	}
	var r [4]float64
	for i, o := range a {
		o, _ = t.xr.Dereference(o)
		switch v := o.(type) {
		case types.Integer:
			r[i] = float64(v)
		case types.Float:
			r[i] = float64(v)
		default:
			return [4]float64{}, false
		}
	}
	return [4]float64{min(r[0], r[2]), min(r[1], r[3]), max(r[0], r[2]), max(r[1], r[3])}, true
}

// pageListing is the number of the page whose /Annots lists object nr.
func (t *fieldTaker) pageListing(nr int) int {
	for i := 1; i <= t.xr.PageCount && i <= maxNodes; i++ {
		pd, _, _, err := t.xr.PageDict(i, false)
		if err != nil || pd == nil {
			continue
		}
		annots, _ := t.xr.DereferenceArray(pd["Annots"])
		for _, a := range annots {
			if ir, ok := a.(types.IndirectRef); ok && ir.ObjectNumber.Value() == nr {
				return i
			}
		}
	}
	return 0
}

// dropAnnots removes the taken widgets from every page's /Annots.
func (t *fieldTaker) dropAnnots() {
	for i := 1; i <= t.xr.PageCount && i <= maxNodes; i++ {
		pd, _, _, err := t.xr.PageDict(i, false)
		if err != nil || pd == nil {
			continue
		}
		annots, _ := t.xr.DereferenceArray(pd["Annots"])
		if annots == nil {
			continue
		}
		kept := make(types.Array, 0, len(annots))
		for _, a := range annots {
			if ir, ok := a.(types.IndirectRef); ok && t.widgets[ir.ObjectNumber.Value()] {
				continue
			}
			kept = append(kept, a)
		}
		if len(kept) == len(annots) {
			continue
		}
		if len(kept) == 0 {
			delete(pd, "Annots")
		} else {
			pd["Annots"] = kept
		}
	}
}
