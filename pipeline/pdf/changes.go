package pdf

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"sort"
	"strings"

	pdfreader "github.com/digitorus/pdf"
)

// Bounds of the check of what changed after a signature: objects compared,
// objects walked to explain them, and problems listed per signature.
const (
	maxChangedObjects = 5_000
	maxExplainWalk    = 20_000
	maxChangeDetails  = 5
)

// ChangesAfter lists what the revisions after end (the end of a signature's
// byte range) changed in data relative to data[:end], other than what a
// later signature or a PAdES long-term update legitimately adds: signature
// dictionaries, signed signature fields and their widgets and appearances,
// the AcroForm (Fields only growing, SigFlags, DR, DA), the catalog's
// /AcroForm, /DSS and /Metadata, a page whose only change is /Annots gaining
// signature widgets, the /DSS and its streams, the Info dictionary and XMP
// metadata. Anything else — a redefined content stream, a page's /Contents
// or /Resources, a Pages node, a new annotation that is not a signature
// widget, a deleted object — is listed, one entry per object (at most a
// few, then a count). An empty list means nothing but those additions
// changed. A file that cannot be compared gets one entry saying so.
//
// This closes the incremental-update ("shadow") attack: a change after a
// signature keeps that signature's bytes intact, so only a comparison of
// the revisions shows it.
func ChangesAfter(ctx context.Context, data []byte, end int64) []string {
	if end <= 0 || end >= int64(len(data)) {
		return nil
	}
	var out []string
	err := recovered("verify: changes", func() error {
		nr, err := pdfreader.NewReader(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			out = []string{"the file cannot be read to compare its revisions"}
			return nil
		}
		out, _ = changesAfter(ctx, data, end, nr)
		return nil
	})
	if err != nil {
		return []string{"the revisions after the signature cannot be compared"}
	}
	return out
}

// changesAfter is ChangesAfter with the reader of the whole file; onlyDSS
// says that something changed and all of it was the catalog's /DSS and the
// DSS's own objects: the one update that may follow the last signature.
func changesAfter(ctx context.Context, data []byte, end int64, nr *pdfreader.Reader) (_ []string, onlyDSS bool) {
	or, err := pdfreader.NewReader(bytes.NewReader(data[:end]), end)
	if err != nil {
		return []string{"the signed revision cannot be read on its own, so what changed after it cannot be checked"}, false
	}
	c := &changeCheck{data: data, old: or, new: nr, explained: map[uint32]string{}, cache: map[bool]map[uint32]pdfreader.Value{true: {}, false: {}}}
	cands, freed := c.candidates(data, end)
	if len(cands) > maxChangedObjects {
		return []string{fmt.Sprintf("more than %d objects were changed after the signature", maxChangedObjects)}, true
	}
	c.explain()
	var out []string
	changed := false
	add := func(s string) { out = append(out, s) }
	for i, id := range cands {
		if i%64 == 0 && ctx.Err() != nil {
			return []string{"the check of what changed after the signature ran out of time"}, false
		}
		ov, nv := c.obj(c.old, id), c.obj(c.new, id)
		if freed[id] && !ov.IsNull() {
			add(fmt.Sprintf("object %d: %s deleted", id, describe(ov)))
			continue
		}
		if c.equal(ov, nv) {
			continue
		}
		changed = true
		structure := ov.IsNull() && nv.Kind() == pdfreader.Stream && (nv.Key("Type").Name() == "XRef" || nv.Key("Type").Name() == "ObjStm")
		if !structure && !c.dss[id] && (id != c.rootID || !c.catalogOnlyDSS) {
			c.notDSS = true
		}
		if structure {
			continue // the structure of the update itself; its objects are compared one by one
		}
		if nv.IsNull() {
			add(fmt.Sprintf("object %d: %s deleted", id, describe(ov)))
			continue
		}
		role, ok := c.explained[id]
		if !ok && ov.IsNull() && id != c.rootID && nv.Kind() == pdfreader.Dict && nv.Key("Type").Name() == "Catalog" && nv.Key("Subtype").IsNull() && !nv.Key("Pages").IsNull() {
			continue // the catalog of an intermediate revision, superseded by the current one
		}
		if !ok && ov.IsNull() && id != c.rootID && isDSSDict(nv) {
			continue // the /DSS of an intermediate revision, superseded by the current one
		}
		if !ok && ov.IsNull() && c.gen(id) > 0 {
			// poppler (pdfsig) leaves the appearances it drafted as
			// unreferenced objects of generation 1. Only a reference of that
			// generation reaches them: one in a changed object is that
			// object's own change, and the files we sign refer to
			// generation 0 only.
			continue
		}
		if !ok {
			if ov.IsNull() {
				add(fmt.Sprintf("object %d: new %s that no signature needs", id, describe(nv)))
			} else {
				add(fmt.Sprintf("object %d: %s redefined", id, describe(ov)))
			}
			continue
		}
		if role != "" { // a changed object whose change is not the allowed one
			add(fmt.Sprintf("object %d: %s", id, role))
		}
	}
	out = append(out, c.problems...)
	if len(out) > maxChangeDetails {
		out = append(out[:maxChangeDetails], fmt.Sprintf("and %d more changes", len(out)-maxChangeDetails))
	}
	return out, changed && !c.notDSS
}

// changeCheck compares the signed revision (old) with the whole file (new).
// explained maps an object of the new file to "" when its change is one a
// later signature makes, or to the reason its change is not.
type changeCheck struct {
	data      []byte
	old, new  *pdfreader.Reader
	explained map[uint32]string
	cache     map[bool]map[uint32]pdfreader.Value // resolved objects, by reader (true: new)
	walked    int
	// The DSS's objects, the catalog's number and whether the catalog
	// changed only its /DSS: for an update after the last signature.
	dss            map[uint32]bool
	rootID         uint32
	catalogOnlyDSS bool
	notDSS         bool
	problems       []string // changes found while explaining (a page's other keys, removed fields)
}

// candidates are the objects that the cross-reference of the whole file
// resolves differently from the signed revision's, and the objects that
// cross-reference tables after end mark free (which digitorus/pdf ignores
// but other readers honour).
func (c *changeCheck) candidates(data []byte, end int64) ([]uint32, map[uint32]bool) {
	ox, nx := c.old.Xref(), c.new.Xref()
	entry := func(i int, inNew bool) (any, bool) {
		xs := ox
		if inNew {
			xs = nx
		}
		if i >= len(xs) {
			return nil, false
		}
		if p := xs[i].Ptr(); p.GetID() != uint32(i) {
			return nil, false // free or never used
		}
		return xs[i], true
	}
	var out []uint32
	for i := 1; i < max(len(ox), len(nx)); i++ {
		a, aok := entry(i, false)
		b, bok := entry(i, true)
		if aok != bok || a != b {
			out = append(out, uint32(i))
		}
		if len(out) > maxChangedObjects {
			return out, nil
		}
	}
	freed := laterFreeEntries(data, end)
	for id := range freed {
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out, freed
}

// laterFreeEntries reads the cross-reference tables at or after end in the
// /Prev chain from the last startxref and returns the objects they mark
// free. Bounded by the file: each table is read once.
func laterFreeEntries(data []byte, end int64) map[uint32]bool {
	freed := map[uint32]bool{}
	k := bytes.LastIndex(data, []byte("startxref"))
	if k < 0 {
		return freed
	}
	l := &lexer{b: data, pos: k + len("startxref")}
	off, err := l.value(0)
	if err != nil || off.k != pInt {
		return freed
	}
	seen := map[int64]bool{}
	for o := off.n; o >= end && o < int64(len(data)) && !seen[o] && len(seen) < maxRevisions; {
		seen[o] = true
		l := &lexer{b: data, pos: int(o)}
		l.skipWS()
		if !l.keyword("xref") {
			return freed // an xref stream: digitorus reads its free entries itself
		}
		for {
			l.skipWS()
			if l.keyword("trailer") {
				t, err := l.value(0)
				if err != nil {
					return freed
				}
				p, ok := t.get("Prev")
				if !ok || p.k != pInt {
					return freed
				}
				o = p.n
				break
			}
			start, e1 := l.value(0)
			count, e2 := l.value(0)
			if e1 != nil || e2 != nil || start.k != pInt || count.k != pInt || count.n < 0 || count.n > maxXrefSize || start.n < 0 || start.n > maxXrefSize {
				return freed
			}
			for i := int64(0); i < count.n; i++ {
				_, e1 := l.value(0)
				_, e2 := l.value(0)
				l.skipWS()
				if l.keyword("f") {
					if id := start.n + i; id > 0 {
						freed[uint32(id)] = true
					}
				} else if !l.keyword("n") || e1 != nil || e2 != nil {
					return freed
				}
			}
		}
	}
	return freed
}

// obj is object id as r resolves it (null when free or absent), cached:
// digitorus/pdf decodes a whole object stream for each object in it.
func (c *changeCheck) obj(r *pdfreader.Reader, id uint32) pdfreader.Value {
	m := c.cache[r == c.new]
	if v, ok := m[id]; ok {
		return v
	}
	var v pdfreader.Value
	xs := r.Xref()
	if int(id) < len(xs) {
		if p := xs[id].Ptr(); p.GetID() == id {
			v = r.Resolve(p, p)
		}
	}
	m[id] = v
	return v
}

// gen is the generation of object id in the whole file.
func (c *changeCheck) gen(id uint32) uint16 {
	xs := c.new.Xref()
	if int(id) >= len(xs) {
		return 0
	}
	p := xs[id].Ptr()
	return p.GetGen()
}

// equal compares two objects' direct values; references compare by
// number (what they point to is compared as an object of its own) and a
// stream by its dictionary and raw bytes.
func (c *changeCheck) equal(a, b pdfreader.Value) bool {
	if a.Kind() != b.Kind() {
		return false
	}
	ra, rb := reflect.ValueOf(a.RawData()), reflect.ValueOf(b.RawData())
	if a.Kind() != pdfreader.Stream {
		return rawEqual(ra, rb, 0)
	}
	if !rawEqual(ra.Field(0), rb.Field(0), 0) {
		return false
	}
	x, y := c.rawStream(a, ra), c.rawStream(b, rb)
	return x != nil && y != nil && bytes.Equal(x, y)
}

// rawStream is a stream's undecoded bytes, sliced (not copied) from the
// file; nil when its offset or length does not fit.
func (c *changeCheck) rawStream(v pdfreader.Value, rv reflect.Value) []byte {
	f := rv.FieldByName("offset")
	if !f.IsValid() {
		return nil
	}
	off, n := f.Int(), v.Key("Length").Int64()
	if off < 0 || n < 0 || off > int64(len(c.data)) || n > int64(len(c.data))-off {
		return nil
	}
	return c.data[off : off+n]
}

// describe names an object for a problem: its /Type and /Subtype, or its kind.
func describe(v pdfreader.Value) string {
	t, s := v.Key("Type").Name(), v.Key("Subtype").Name()
	switch {
	case v.IsNull():
		return "an empty object"
	case t == "Page" || t == "Pages" || t == "Catalog" || t == "Annot" && s == "":
		return "the /" + t + " dictionary"
	case s != "":
		return "a /" + s + " " + map[bool]string{true: "stream", false: "dictionary"}[v.Kind() == pdfreader.Stream]
	case v.Kind() == pdfreader.Stream:
		return "a stream (page content, image, font or form)"
	case v.Kind() == pdfreader.Dict:
		return "a dictionary"
	case v.Kind() == pdfreader.Array:
		return "an array"
	}
	return "a value"
}

// ref returns the object number v[key] (or v[i] for an array, key "")
// refers to, when it is an indirect reference.
func ref(v pdfreader.Value, key string, i int) (uint32, bool) {
	rv := reflect.ValueOf(v.RawData())
	if rv.Kind() == reflect.Struct { // a stream: its dictionary
		rv = rv.Field(0)
	}
	var e reflect.Value
	switch {
	case rv.Kind() == reflect.Map && key != "":
		e = rv.MapIndex(reflect.ValueOf(key).Convert(rv.Type().Key()))
	case rv.Kind() == reflect.Slice && key == "" && i >= 0 && i < rv.Len():
		e = rv.Index(i)
	default:
		return 0, false
	}
	if !e.IsValid() {
		return 0, false
	}
	if e.Kind() == reflect.Interface {
		e = e.Elem()
	}
	if !e.IsValid() || e.Type() != objptrType {
		return 0, false
	}
	return uint32(e.Field(0).Uint()), true
}

var objptrType = reflect.TypeOf(pdfreader.Value{}.GetPtr())

// id is the object number of v when it was reached through a reference
// in parent (key or index), else 0.
func idOf(parent pdfreader.Value, key string, i int) uint32 {
	n, _ := ref(parent, key, i)
	return n
}

// mark records that object id (when indirect) may change in the way role
// says ("" for freely, when it is new).
func (c *changeCheck) mark(id uint32, role string) {
	if id == 0 {
		return
	}
	if prev, ok := c.explained[id]; ok && prev == "" {
		return
	}
	c.explained[id] = role
}

// markOrReport marks an indirect object with why, or lists why as a
// problem when the object is direct (its container's comparison left it out).
func (c *changeCheck) markOrReport(id uint32, why string) {
	if id != 0 {
		c.mark(id, why)
	} else if why != "" {
		c.problems = append(c.problems, why)
	}
}

// newOnly marks id as explained when it is new in the later revisions (an
// appearance, a signature value): an object that existed before may not be
// changed through such a role.
func (c *changeCheck) newOnly(id uint32) {
	if id == 0 {
		return
	}
	if c.obj(c.old, id).IsNull() {
		c.mark(id, "")
	}
}

// subtree marks every object reachable from v that is new (or, with
// wasIn, was in the old subtree too) as explained: the appearance streams
// of a signature widget and their resources, the DSS and its streams.
func (c *changeCheck) subtree(v pdfreader.Value, id uint32, depth int, wasIn map[uint32]bool) {
	if depth > 16 || c.walked > maxExplainWalk {
		return
	}
	c.walked++
	if id != 0 {
		if _, done := c.explained[id]; done {
			return
		}
		if !c.obj(c.old, id).IsNull() && !wasIn[id] {
			return // an old object reached from a new one: its own change is compared
		}
		c.mark(id, "")
	}
	switch v.Kind() {
	case pdfreader.Dict, pdfreader.Stream:
		for _, k := range v.Keys() {
			if k == "Parent" || k == "P" {
				continue
			}
			c.subtree(v.Key(k), idOf(v, k, 0), depth+1, wasIn)
		}
	case pdfreader.Array:
		for i := 0; i < v.Len() && i < 10_000; i++ {
			c.subtree(v.Index(i), idOf(v, "", i), depth+1, wasIn)
		}
	}
}

// reach collects the objects reachable from v (bounded), for wasIn.
func (c *changeCheck) reach(v pdfreader.Value, id uint32, depth int, into map[uint32]bool) {
	if depth > 16 || len(into) > maxExplainWalk {
		return
	}
	if id != 0 {
		if into[id] {
			return
		}
		into[id] = true
	}
	switch v.Kind() {
	case pdfreader.Dict, pdfreader.Stream:
		for _, k := range v.Keys() {
			c.reach(v.Key(k), idOf(v, k, 0), depth+1, into)
		}
	case pdfreader.Array:
		for i := 0; i < v.Len() && i < 10_000; i++ {
			c.reach(v.Index(i), idOf(v, "", i), depth+1, into)
		}
	}
}

// explain walks the new file's catalog, form, pages and DSS and marks the
// objects whose change a later signature explains.
func (c *changeCheck) explain() {
	ot, nt := c.old.Trailer(), c.new.Trailer()
	oc, nc := ot.Key("Root"), nt.Key("Root")
	c.rootID = idOf(nt, "Root", 0)
	c.mark(c.rootID, c.sameExcept(oc, nc, "the catalog", "AcroForm", "DSS", "Metadata"))
	c.catalogOnlyDSS = c.sameExcept(oc, nc, "", "DSS") == ""

	// Info and XMP metadata: any change, in the objects they were or are new.
	if id := idOf(nt, "Info", 0); id != 0 && (id == idOf(ot, "Info", 0) || c.obj(c.old, id).IsNull()) {
		c.mark(id, "")
	}
	if id := idOf(nc, "Metadata", 0); id != 0 && (id == idOf(oc, "Metadata", 0) || c.obj(c.old, id).IsNull()) && nc.Key("Metadata").Key("Type").Name() == "Metadata" {
		c.mark(id, "")
	}

	// The DSS (PAdES LT/LTA): new objects, and the old DSS's own.
	oldDSS := map[uint32]bool{}
	c.reach(oc.Key("DSS"), idOf(oc, "DSS", 0), 0, oldDSS)
	before := maps.Clone(c.explained)
	c.subtree(nc.Key("DSS"), idOf(nc, "DSS", 0), 0, oldDSS)
	c.dss = map[uint32]bool{}
	for id := range c.explained {
		if _, ok := before[id]; !ok {
			c.dss[id] = true
		}
	}

	// The form: Fields may only grow, by signature fields.
	oa, na := oc.Key("AcroForm"), nc.Key("AcroForm")
	c.markOrReport(idOf(nc, "AcroForm", 0), c.sameExcept(oa, na, "the form (AcroForm)", "Fields", "SigFlags", "DR", "DA"))
	c.subtree(na.Key("DR"), idOf(na, "DR", 0), 0, nil)
	c.mark(idOf(na, "Fields", 0), "")
	c.grows(oa.Key("Fields"), na.Key("Fields"), "the form's field list", c.sigField)

	// Pages: a page may only gain signature widgets in /Annots.
	c.pages(nc.Key("Pages"), 0)
}

// sameExcept compares two dictionaries key by key, except the keys given;
// it returns "" when they agree, or the reason.
func (c *changeCheck) sameExcept(a, b pdfreader.Value, what string, except ...string) string {
	keys := append(a.Keys(), b.Keys()...)
	sort.Strings(keys)
	for i, k := range keys {
		if (i > 0 && keys[i-1] == k) || slices.Contains(except, k) {
			continue
		}
		if !rawEqual(rawKey(a, k), rawKey(b, k), 0) {
			return fmt.Sprintf("%s changed its /%s", what, k)
		}
	}
	return ""
}

// rawKey is the unresolved value of d[k] (a reference stays a reference);
// the zero Value when absent.
func rawKey(d pdfreader.Value, k string) reflect.Value {
	rv := reflect.ValueOf(d.RawData())
	if rv.Kind() == reflect.Struct {
		rv = rv.Field(0)
	}
	if rv.Kind() != reflect.Map {
		return reflect.Value{}
	}
	return rv.MapIndex(reflect.ValueOf(k).Convert(rv.Type().Key()))
}

// rawElems are an array's unresolved elements.
func rawElems(a pdfreader.Value) []reflect.Value {
	rv := reflect.ValueOf(a.RawData())
	if rv.Kind() != reflect.Slice {
		return nil
	}
	out := make([]reflect.Value, 0, min(rv.Len(), 10_000))
	for i := 0; i < rv.Len() && i < 10_000; i++ {
		out = append(out, rv.Index(i))
	}
	return out
}

// rawEqual compares two digitorus/pdf raw values (maps, slices, references,
// names, strings, numbers) without Interface, which the unexported fields
// of a stream forbid. Depth is bounded; deeper is unequal.
func rawEqual(a, b reflect.Value, depth int) bool {
	for a.IsValid() && a.Kind() == reflect.Interface {
		a = a.Elem()
	}
	for b.IsValid() && b.Kind() == reflect.Interface {
		b = b.Elem()
	}
	if !a.IsValid() || !b.IsValid() {
		return a.IsValid() == b.IsValid()
	}
	if a.Type() != b.Type() || depth > maxNesting {
		return false
	}
	switch a.Kind() {
	case reflect.Map:
		if a.Len() != b.Len() {
			return false
		}
		for _, k := range a.MapKeys() {
			if !rawEqual(a.MapIndex(k), b.MapIndex(k), depth+1) {
				return false
			}
		}
		return true
	case reflect.Slice:
		if a.Len() != b.Len() {
			return false
		}
		for i := 0; i < a.Len(); i++ {
			if !rawEqual(a.Index(i), b.Index(i), depth+1) {
				return false
			}
		}
		return true
	case reflect.Struct:
		for i := 0; i < a.NumField(); i++ {
			if !rawEqual(a.Field(i), b.Field(i), depth+1) {
				return false
			}
		}
		return true
	case reflect.String:
		return a.String() == b.String()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return a.Int() == b.Int()
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return a.Uint() == b.Uint()
	case reflect.Float32, reflect.Float64:
		return a.Float() == b.Float()
	case reflect.Bool:
		return a.Bool() == b.Bool()
	}
	return false
}

// grows checks that array b keeps every element of a and that every added
// element passes ok (which marks what it explains).
func (c *changeCheck) grows(a, b pdfreader.Value, what string, ok func(v pdfreader.Value, id uint32) bool) {
	old, cur := rawElems(a), rawElems(b)
	for _, x := range old {
		if !slices.ContainsFunc(cur, func(y reflect.Value) bool { return rawEqual(x, y, 0) }) {
			c.problems = append(c.problems, what+" lost an entry")
			return
		}
	}
	for i, y := range cur {
		if slices.ContainsFunc(old, func(x reflect.Value) bool { return rawEqual(x, y, 0) }) {
			// A kept entry whose object changed: an empty signature field
			// being filled is explained; anything else is reported as a
			// redefined object.
			if id := idOf(b, "", i); id != 0 && !c.equal(c.obj(c.old, id), c.obj(c.new, id)) {
				ok(b.Index(i), id)
			}
			continue
		}
		v, id := b.Index(i), idOf(b, "", i)
		if !ok(v, id) {
			c.problems = append(c.problems, fmt.Sprintf("%s gained %s (object %d) that is not a signed signature field", what, describe(v), id))
		}
	}
}

// sigField accepts a signed signature field (or its widget) added after
// the signature, and marks it, its value, its widgets and their
// appearances as explained.
func (c *changeCheck) sigField(v pdfreader.Value, id uint32) bool {
	field := v
	if v.Key("FT").IsNull() && !v.Key("Parent").IsNull() {
		field = v.Key("Parent")
	}
	if field.Key("FT").Name() != "Sig" || field.Key("V").Kind() != pdfreader.Dict {
		return false
	}
	if !c.obj(c.old, id).IsNull() && !c.wasEmptySigField(id) {
		return false
	}
	c.mark(id, "")
	if field.GetPtr() != v.GetPtr() {
		if pid := idOf(v, "Parent", 0); pid != 0 && (c.obj(c.old, pid).IsNull() || c.wasEmptySigField(pid)) {
			c.mark(pid, "")
		}
	}
	c.newOnly(idOf(field, "V", 0))
	c.widget(v, id)
	kids := v.Key("Kids")
	for i := 0; i < kids.Len() && i < 100; i++ {
		k, kid := kids.Index(i), idOf(kids, "", i)
		if k.Key("Subtype").Name() == "Widget" {
			c.newOnly(kid)
			c.widget(k, kid)
		}
	}
	return true
}

// wasEmptySigField: object id was an unsigned signature field in the
// signed revision, which a later signature fills (its /V and appearance).
func (c *changeCheck) wasEmptySigField(id uint32) bool {
	o, n := c.obj(c.old, id), c.obj(c.new, id)
	if o.Key("FT").Name() != "Sig" || !o.Key("V").IsNull() {
		return false
	}
	return c.sameExcept(o, n, "", "V", "AP", "AS", "F", "MK", "DA", "P", "Rect", "Lock", "SV") == ""
}

// widget marks a widget's appearance streams and their resources.
func (c *changeCheck) widget(w pdfreader.Value, id uint32) {
	if id := idOf(w, "AP", 0); id != 0 {
		c.newOnly(id)
	}
	c.subtree(w.Key("AP"), 0, 0, nil)
	if id := idOf(w, "MK", 0); id != 0 {
		c.newOnly(id)
	}
}

// pages walks the page tree: a Pages node may not change at all (that is
// for its own comparison); a page may change only by /Annots gaining
// signature widgets.
func (c *changeCheck) pages(node pdfreader.Value, depth int) {
	kids := node.Key("Kids")
	if depth > maxTreeDepth || c.walked > maxExplainWalk {
		return
	}
	for i := 0; i < kids.Len() && i < maxObjects; i++ {
		c.walked++
		k, id := kids.Index(i), idOf(kids, "", i)
		if k.Key("Type").Name() == "Pages" {
			c.pages(k, depth+1)
			continue
		}
		if id == 0 {
			continue
		}
		old := c.obj(c.old, id)
		if old.IsNull() {
			continue // a new page: its Pages node changed, which is reported
		}
		pageChanged := !c.equal(old, k)
		if pageChanged {
			why := c.sameExcept(old, k, fmt.Sprintf("page %d", i+1), "Annots")
			c.mark(id, why)
			if why != "" {
				continue
			}
		}
		aid := idOf(k, "Annots", 0)
		if !pageChanged && (aid == 0 || c.equal(c.obj(c.old, aid), c.obj(c.new, aid))) {
			continue
		}
		c.mark(aid, "")
		page := k
		c.grows(old.Key("Annots"), k.Key("Annots"), "a page's annotations", func(v pdfreader.Value, id uint32) bool {
			if v.Key("Subtype").Name() != "Widget" || !c.sigField(v, id) {
				return false
			}
			if share := coverage(v.Key("Rect"), page); share > maxWidgetShare {
				c.problems = append(c.problems, fmt.Sprintf("the signature widget (object %d) covers %.0f%% of its page: an appearance that large can hide the signed text", id, 100*share))
			}
			return true
		})
	}
}

// maxSignatures bounds the signatures Verify checks: each one hashes up to
// the whole file, and a state document carries a handful.
const maxSignatures = 50

// duplicateSignatures finds signature dictionaries that repeat an earlier
// one's byte range or share its /Contents object: one signature value
// counted as many, and the whole file hashed again for each. It returns
// the problem for each repeat, by index.
func duplicateSignatures(fields []pdfreader.Value) map[int]string {
	out := map[int]string{}
	ranges := map[string]int{}
	contents := map[uint32]int{}
	for i, v := range fields {
		br := v.Key("ByteRange").String()
		if j, ok := ranges[br]; ok && v.Key("ByteRange").Len() > 0 {
			out[i] = fmt.Sprintf("Tanda tangan %d memakai rentang bita yang sama dengan tanda tangan %d — signature %d repeats the byte range of signature %d", i+1, j+1, i+1, j+1)
			continue
		}
		ranges[br] = i
		if id := idOf(v, "Contents", 0); id != 0 {
			if j, ok := contents[id]; ok {
				out[i] = fmt.Sprintf("Tanda tangan %d memakai nilai tanda tangan yang sama dengan tanda tangan %d — signature %d shares the signature value of signature %d", i+1, j+1, i+1, j+1)
				continue
			}
			contents[id] = i
		}
	}
	return out
}

// checkChanges compares, for every signature that does not cover the
// whole file, the revision it signed with the whole file, and adds a
// problem to the signature when something other than a later signature's
// additions changed. Bytes after the last signature that are such an
// update (a PAdES DSS) set laterUpdateOK.
func (r *Report) checkChanges(ctx context.Context, data []byte, rdr *pdfreader.Reader) error {
	for i := range r.Signatures {
		s := &r.Signatures[i]
		if len(s.ByteRange) != 4 || s.CoversWholeFile {
			continue
		}
		if err := ctx.Err(); err != nil {
			return canceled(err)
		}
		end := s.ByteRange[2] + s.ByteRange[3]
		var details []string
		changed := false
		if err := recovered("verify: changes", func() error {
			details, changed = changesAfter(ctx, data, end, rdr)
			return nil
		}); err != nil {
			details = []string{"the revisions after it cannot be compared"}
		}
		if len(details) > 0 {
			d := strings.Join(details, "; ")
			s.Problems = append(s.Problems, fmt.Sprintf("isi dokumen diubah setelah tanda tangan %d (%s) — the document was changed after signature %d (%s)", i+1, d, i+1, d))
		} else if i == len(r.Signatures)-1 && changed {
			r.laterUpdateOK = true
		}
	}
	return nil
}

// maxWidgetShare is the largest share of a page a signature widget added
// after a signature may cover: a later signer's appearance is drawn over
// the signed page, and a page-sized one replaces what the page shows.
const maxWidgetShare = 1.0 / 3

// coverage is the share of the page's MediaBox (inherited boxes aside:
// an A4 page when absent) that rect covers, clipped to the box.
func coverage(rect, page pdfreader.Value) float64 {
	box := [4]float64{0, 0, 595, 842}
	if mb := page.Key("MediaBox"); mb.Len() == 4 {
		for i := range box {
			box[i] = mb.Index(i).Float64()
		}
	}
	if rect.Len() != 4 {
		return 0
	}
	var r [4]float64
	for i := range r {
		r[i] = rect.Index(i).Float64()
	}
	w := min(max(r[0], r[2]), max(box[0], box[2])) - max(min(r[0], r[2]), min(box[0], box[2]))
	h := min(max(r[1], r[3]), max(box[1], box[3])) - max(min(r[1], r[3]), min(box[1], box[3]))
	area := (box[2] - box[0]) * (box[3] - box[1])
	if w <= 0 || h <= 0 || area <= 0 {
		return 0
	}
	return w * h / abs(area)
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

// isDSSDict reports whether v is a document security store dictionary:
// only the PAdES keys, which nothing on a page can draw.
func isDSSDict(v pdfreader.Value) bool {
	if v.Kind() != pdfreader.Dict || (v.Key("Type").Name() != "DSS" && !v.Key("Type").IsNull()) {
		return false
	}
	keys := v.Keys()
	if len(keys) == 0 {
		return false
	}
	for _, k := range keys {
		switch k {
		case "Type", "Certs", "OCSPs", "CRLs", "VRI":
		default:
			return false
		}
	}
	return true
}
