package pdf

import (
	"bytes"
	"compress/zlib"
	"context"
	"errors"
	"io"
	"slices"
	"strconv"

	"github.com/bpom/naskah"
	"github.com/pdfcpu/pdfcpu/pkg/filter"
)

// The guard's bounds. pdfcpu, pdfsign and digitorus/pdf recurse on nesting,
// loop on circular trees and inflate streams without a budget, and pdfsign
// and digitorus cannot be cancelled: Check refuses what could make them
// run away before they see the file.
const (
	maxNesting        = 256            // arrays and dictionaries in an object
	maxContentNesting = 4096           // arrays and dictionaries in a content stream
	maxObjects        = 40_000         // object definitions, in the file and in object streams (pdfcpu needs about 3 KB each)
	maxXrefSize       = 4 * maxObjects // a cross-reference section's /Size (readers allocate by it)
	maxRevisions      = 1000           // cross-reference sections in the /Prev chain
	maxTreeDepth      = 256            // levels of a /Kids tree
	maxStoredElems    = 1 << 16        // array elements kept by the parser (more are parsed, not kept)
	maxStreamInflated = 128 << 20      // what one stream may inflate to
)

// InflateBudget is what all the streams of a file of size bytes may inflate
// to together: 20 times the file, at least 200 MB and at most 1 GB.
func InflateBudget(size int) int64 {
	return min(max(200<<20, 20*int64(size)), 1<<30)
}

// Structure is what Check found in a PDF.
type Structure struct {
	Objects  int   // object definitions
	Inflated int64 // bytes all streams inflate to
	// Content is what the compressed streams pdfcpu decodes when it stamps
	// (every stream but images, object and cross-reference streams) inflate to,
	// streams under minCountedContent aside; LargestContent is the
	// largest of them.
	Content, LargestContent int64
	// ActiveContent names what could act when the file is opened (JavaScript,
	// launch and submit actions, embedded files, RichMedia, XFA), sorted.
	ActiveContent []string
}

// Check scans data without trusting its structure and refuses, with
// EINVALID or ETOOLARGE, a file whose page or field tree loops or is shared,
// whose objects refer in a circle, whose cross-reference chain loops, whose
// nesting is too deep, that has too many objects, or whose streams inflate
// beyond InflateBudget. Time and memory are linear in len(data) plus the
// budget. Every entry point of this package calls it first.
func Check(ctx context.Context, data []byte) (st *Structure, err error) {
	if err := checkHeader(data); err != nil {
		return nil, err
	}
	g := &guard{ctx: ctx, data: data, budget: InflateBudget(len(data)), found: map[string]bool{},
		graph: map[string]map[int][]int{}, parsedAt: map[int]bool{}, xref2: map[int]int{}}
	err = recovered("check", func() error {
		if err := g.scanObjects(); err != nil {
			return err
		}
		if err := g.scanXref(); err != nil {
			return err
		}
		return g.checkGraphs()
	})
	if err != nil {
		return nil, err
	}
	// Values that refer to other objects (/S 16 0 R, /URI 13 0 R) are
	// resolved now that every object has been read.
	if err := g.resolveIndirect(); err != nil {
		return nil, err
	}
	st = &Structure{Objects: g.objects, Inflated: g.inflated, Content: g.content, LargestContent: g.largestContent}
	for k := range g.found {
		st.ActiveContent = append(st.ActiveContent, k)
	}
	slices.Sort(st.ActiveContent)
	return st, nil
}

func errHostile(format string, args ...any) error {
	return naskah.Errorf(naskah.EINVALID, "Berkas PDF ini tidak aman untuk diproses ("+format+"): simpan ulang atau cetak ke PDF baru, lalu unggah — This PDF is unsafe to process ("+format+"): save or print it to a new PDF and upload that", append(args, args...)...)
}

func errBomb(limit int64, what string) error {
	id := map[string]string{"one stream": "satu aliran data", "all streams together": "seluruh aliran data"}[what]
	return naskah.Errorf(naskah.ETOOLARGE, "PDF ini adalah bom kompresi: %s mengembang melebihi %s saat dibuka; kecilkan atau ekspor ulang berkasnya — This PDF is a compression bomb: %s inflates to more than %s; reduce or re-export the file",
		id, humanBytes(limit), what, humanBytes(limit))
}

// errSyntax ends the parse of one object; the guard leaves syntax to the
// real parsers and only refuses hazards.
var errSyntax = errors.New("syntax")

type guard struct {
	ctx      context.Context
	data     []byte
	budget   int64 // inflation left
	inflated int64
	// content and largestContent: see Structure.
	content, largestContent int64
	objects                 int
	found                   map[string]bool
	// graph holds, per key (Kids, Parent, Next, alias, Extends), the edges
	// of every definition of every object.
	graph    map[string]map[int][]int
	parsedAt map[int]bool // offsets already parsed as objects
	xref2    map[int]int  // object → its object stream, newest section wins
	xref2Set map[int]bool
	dupKid   [2]int // a node listing a kid twice
	// scalars holds every definition of the objects that are a name, a
	// string or a reference: the targets of an indirect /S, /Subtype or /URI.
	scalars map[int][]pval
	later   map[laterKey]bool // checks of indirect values, run when the scan is done
	// tooManyIndirect: more than maxIndirectChecks were asked for.
	tooManyIndirect bool
}

// scanObjects parses every "N G obj" in the file, including ones that a
// linear reading would skip: a reader that follows the cross-reference
// offsets, or repairs a broken file, may find those.
func (g *guard) scanObjects() error {
	b := g.data
	for i := 0; ; {
		k := bytes.Index(b[i:], []byte("obj"))
		if k < 0 {
			return nil
		}
		at := i + k
		i = at + 3
		num, ok := objHeader(b, at)
		if !ok || (at+3 < len(b) && isRegular(b[at+3])) {
			continue
		}
		end, err := g.parseObject(num, at+3)
		if err != nil {
			return err
		}
		i = max(i, end)
	}
}

// objHeader reads "num gen" backwards from the "obj" at at.
func objHeader(b []byte, at int) (int, bool) {
	j := at - 1
	sp := j
	for j >= 0 && isWS(b[j]) {
		j--
	}
	if j == sp {
		return 0, false
	}
	e := j
	for j >= 0 && isDigit(b[j]) {
		j--
	}
	if j == e {
		return 0, false
	}
	sp = j
	for j >= 0 && isWS(b[j]) {
		j--
	}
	if j == sp {
		return 0, false
	}
	e = j
	for j >= 0 && isDigit(b[j]) && e-j < 10 {
		j--
	}
	if j == e || (j >= 0 && isRegular(b[j])) {
		return 0, false
	}
	n, err := strconv.Atoi(string(b[j+1 : e+1]))
	return n, err == nil
}

// parseObject parses the object whose value starts at pos and returns
// where it ends. Syntax errors end the object quietly.
func (g *guard) parseObject(num, pos int) (int, error) {
	if g.parsedAt[pos] {
		return pos, nil
	}
	g.parsedAt[pos] = true
	g.objects++
	if g.objects > maxObjects {
		return 0, naskah.Errorf(naskah.ETOOLARGE, "PDF ini berisi lebih dari %d objek — This PDF has more than %d objects: re-export it", maxObjects, maxObjects)
	}
	if g.objects%4096 == 0 {
		if err := g.ctx.Err(); err != nil {
			return 0, canceled(err)
		}
	}
	l := &lexer{b: g.data, pos: pos, g: g}
	v, err := l.value(0)
	if err != nil {
		return g.syntaxOK(l.pos, err)
	}
	g.note(num, v)
	l.skipWS()
	if !l.keyword("stream") {
		return l.pos, nil
	}
	start := l.pos
	if start < len(g.data) && g.data[start] == '\r' {
		start++
	}
	if start < len(g.data) && g.data[start] == '\n' {
		start++
	}
	end := -1
	if n, ok := v.get("Length"); ok && n.k == pInt && n.n >= 0 && n.n <= int64(len(g.data)-start) {
		e := start + int(n.n)
		rest := g.data[e:min(len(g.data), e+32)]
		if i := bytes.Index(rest, []byte("endstream")); i >= 0 && len(bytes.TrimSpace(rest[:i])) == 0 {
			end = e
		}
	}
	if end < 0 {
		i := bytes.Index(g.data[start:], []byte("endstream"))
		if i < 0 {
			return len(g.data), nil
		}
		end = start + i
	}
	if err := g.stream(v, g.data[start:end], g.data[start:]); err != nil {
		return 0, err
	}
	return end + len("endstream"), nil
}

// syntaxOK turns a parse error into a refusal when it is a hazard, and
// into "carry on after it" when it is only bad syntax.
func (g *guard) syntaxOK(pos int, err error) (int, error) {
	if errors.Is(err, errSyntax) {
		return pos, nil
	}
	return 0, err
}

// note records an object's edges and its active content.
func (g *guard) note(num int, v pval) {
	if v.k == pString || v.k == pName || v.k == pRef {
		if g.scalars == nil {
			g.scalars = map[int][]pval{}
		}
		g.scalars[num] = append(g.scalars[num], v)
	}
	if v.k == pRef {
		g.edge("alias", num, int(v.n))
	}
	// Every entry, not the first of a key: readers differ on which of two
	// equal keys wins.
	for _, kv := range v.d {
		key, e := kv.key, kv.v
		if !slices.Contains([]string{"Kids", "Parent", "First", "Next", "Extends"}, key) {
			continue
		}
		graph := key
		if key == "First" || key == "Next" {
			graph = "First/Next"
		}
		if e.k == pRef {
			g.edge(graph, num, int(e.n))
		}
		if e.k == pArray && key != "Next" {
			for i, x := range e.a {
				if x.k != pRef {
					continue
				}
				// The same kid twice in one node is walked twice; a chain of
				// such nodes doubles the walk at every level.
				if key == "Kids" && slices.ContainsFunc(e.a[:i], func(y pval) bool { return y.k == pRef && y.n == x.n }) {
					g.dupKid = [2]int{num, int(x.n)}
				}
				g.edge(graph, num, int(x.n))
			}
		}
	}
}

func (g *guard) edge(graph string, from, to int) {
	m := g.graph[graph]
	if m == nil {
		m = map[int][]int{}
		g.graph[graph] = m
	}
	if !slices.Contains(m[from], to) {
		m[from] = append(m[from], to)
	}
}

// stream counts what a stream inflates to against the budget, and reads
// object streams and content streams for what they hide. raw ends where
// the guard found the stream's end; rest runs to the end of the file: a
// reader that takes an indirect /Length may read past an "endstream"
// inside the data, so a Flate stream is inflated from rest as far as it
// goes (deflate data ends itself).
func (g *guard) stream(dict pval, raw, rest []byte) error {
	filters, parms := streamFilters(dict)
	typ, _ := dict.get("Type")
	sub, _ := dict.get("Subtype")
	isObjStm := typ.k == pName && typ.s == "ObjStm"
	if n, _ := dict.get("N"); typ.k == pRef && n.k == pInt {
		if f, _ := dict.get("First"); f.k == pInt {
			isObjStm = true // /Type 9 0 R may well be /ObjStm: its objects are read too
		}
	}
	isXref := typ.k == pName && typ.s == "XRef"
	// Readers parse a stream as content by where it is referenced, not by
	// its dictionary, so every stream but an image is scanned for nesting:
	// binary data (fonts, profiles) wanders a few hundred levels at most,
	// far below maxContentNesting.
	isContent := !(sub.k == pName && sub.s == "Image") && !isObjStm && !isXref

	limit := min(g.budget, maxStreamInflated)
	bomb := func() error {
		if g.budget <= maxStreamInflated {
			return errBomb(InflateBudget(len(g.data)), "all streams together")
		}
		return errBomb(maxStreamInflated, "one stream")
	}
	in := raw
	if len(filters) > 0 && (filters[0] == "FlateDecode" || filters[0] == "Fl") {
		in = rest
	}
	r, err := decoder(bytes.NewReader(in), filters, parms, limit)
	if errors.Is(err, errDecodeLimit) {
		return bomb()
	}
	if r == nil && len(filters) == 0 && isContent {
		r = bytes.NewReader(raw) // an uncompressed content stream is still scanned for nesting
	}
	if r == nil {
		return nil
	}
	var sink io.Writer = io.Discard
	var keep bytes.Buffer
	var depth *depthScanner
	switch {
	case isObjStm || isXref:
		sink = &keep
	case isContent:
		depth = &depthScanner{}
		sink = depth
	}
	n, err := io.CopyN(sink, r, limit+1)
	if errors.Is(err, filter.ErrDecodeLimitExceeded) {
		return bomb()
	}
	g.inflated += n
	g.budget -= n
	if isContent && len(filters) > 0 { // an unfiltered stream costs its size, which the upload limit bounds
		g.largestContent = max(g.largestContent, n)
		if n >= minCountedContent {
			g.content += n
		}
	}
	if n > limit {
		return bomb()
	}
	if depth != nil && depth.tooDeep {
		return errHostile("nesting deeper than %d levels in a content stream", maxContentNesting)
	}
	if err != nil && !errors.Is(err, io.EOF) {
		return nil // a damaged stream: the real parser says so
	}
	if isObjStm {
		return g.objectStream(dict, keep.Bytes())
	}
	return nil
}

// streamFilters returns a stream's filter names and their parameters.
func streamFilters(d pval) ([]string, []pval) {
	f, _ := d.get("Filter")
	p, _ := d.get("DecodeParms")
	var names []string
	var parms []pval
	switch f.k {
	case pName:
		names, parms = []string{f.s}, []pval{p}
	case pArray:
		for i, x := range f.a {
			names = append(names, x.s)
			if p.k == pArray && i < len(p.a) {
				parms = append(parms, p.a[i])
			} else {
				parms = append(parms, pval{})
			}
		}
	}
	return names, parms
}

// errDecodeLimit is a filter's output passing the limit.
var errDecodeLimit = errors.New("decode limit")

// decoder chains the stream's filters. Flate streams through zlib (its
// output is what is counted); the other text filters decode with pdfcpu
// up to limit. Image filters end the chain: what they decode is pixels,
// which only image code reads. A nil reader means nothing to count.
func decoder(r io.Reader, names []string, parms []pval, limit int64) (io.Reader, error) {
	for i, name := range names {
		switch name {
		case "FlateDecode", "Fl":
			zr, err := zlib.NewReader(r)
			if err != nil {
				return nil, nil
			}
			r = zr
		case "LZWDecode", "LZW", "ASCIIHexDecode", "AHx", "ASCII85Decode", "A85", "RunLengthDecode", "RL":
			f, err := filter.NewFilter(longFilter(name), intParms(parms, i), limit)
			if err != nil {
				return nil, nil
			}
			out, err := f.DecodeLength(r, -1)
			if errors.Is(err, filter.ErrDecodeLimitExceeded) {
				return nil, errDecodeLimit
			}
			if err != nil || out == nil {
				return nil, nil
			}
			r = out
		default:
			if i == 0 {
				return nil, nil
			}
			return r, nil
		}
	}
	if len(names) == 0 {
		return nil, nil
	}
	return r, nil
}

// longFilter expands the abbreviated filter names of inline images.
func longFilter(name string) string {
	if l, ok := map[string]string{"Fl": filter.Flate, "LZW": filter.LZW, "AHx": filter.ASCIIHex, "A85": filter.ASCII85, "RL": filter.RunLength}[name]; ok {
		return l
	}
	return name
}

// intParms are the integer (and boolean) decode parameters of filter i.
func intParms(parms []pval, i int) map[string]int {
	pm := map[string]int{}
	if i < len(parms) {
		for _, kv := range parms[i].d {
			if kv.v.k == pInt || kv.v.k == pBool {
				pm[kv.key] = int(kv.v.n)
			}
		}
	}
	return pm
}

// objectStream parses the objects an object stream holds.
func (g *guard) objectStream(dict pval, data []byte) error {
	n, _ := dict.get("N")
	first, _ := dict.get("First")
	if n.k != pInt || first.k != pInt || n.n < 0 || first.n < 0 || first.n > int64(len(data)) {
		return nil
	}
	if n.n > maxObjects {
		return naskah.Errorf(naskah.ETOOLARGE, "PDF ini berisi lebih dari %d objek — This PDF has more than %d objects: re-export it", maxObjects, maxObjects)
	}
	hdr := &lexer{b: data[:first.n], g: g}
	for i := int64(0); i < n.n; i++ {
		num, err1 := hdr.value(0)
		off, err2 := hdr.value(0)
		if err1 != nil || err2 != nil || num.k != pInt || off.k != pInt || off.n < 0 || first.n+off.n >= int64(len(data)) {
			return nil
		}
		g.objects++
		if g.objects > maxObjects {
			return naskah.Errorf(naskah.ETOOLARGE, "PDF ini berisi lebih dari %d objek — This PDF has more than %d objects: re-export it", maxObjects, maxObjects)
		}
		l := &lexer{b: data, pos: int(first.n + off.n), g: g}
		v, err := l.value(0)
		if err != nil {
			if _, err := g.syntaxOK(0, err); err != nil {
				return err
			}
			continue
		}
		g.note(int(num.n), v)
	}
	return nil
}

// scanXref follows the cross-reference chain from startxref through /Prev
// and /XRefStm, refusing loops and sizes readers would allocate for, and
// parses the object at every offset it lists.
func (g *guard) scanXref() error {
	b := g.data
	k := bytes.LastIndex(b, []byte("startxref"))
	if k < 0 {
		return nil
	}
	l := &lexer{b: b, pos: k + len("startxref"), g: g}
	off, err := l.value(0)
	if err != nil || off.k != pInt {
		return nil
	}
	seen := map[int64]bool{}
	queue := []int64{off.n}
	for len(queue) > 0 {
		o := queue[0]
		queue = queue[1:]
		if o <= 0 || o >= int64(len(b)) {
			continue
		}
		if seen[o] {
			return errHostile("the cross-reference chain (/Prev) loops back to offset %d", o)
		}
		seen[o] = true
		if len(seen) > maxRevisions {
			return errHostile("more than %d cross-reference sections", maxRevisions)
		}
		trailer, err := g.xrefSection(int(o))
		if err != nil {
			return err
		}
		if sz, ok := trailer.get("Size"); ok && sz.k == pInt && (sz.n < 0 || sz.n > maxXrefSize) {
			return naskah.Errorf(naskah.ETOOLARGE, "Tabel rujukan silang PDF ini menyatakan %d objek — This PDF's cross-reference table claims %d objects: re-export it", sz.n, sz.n)
		}
		for _, key := range []string{"XRefStm", "Prev"} {
			if p, ok := trailer.get(key); ok && p.k == pInt {
				queue = append(queue, p.n)
			}
		}
	}
	// An object in an object stream that is itself in an object stream, or
	// in itself, sends readers in a circle.
	for obj, stm := range g.xref2 {
		if _, nested := g.xref2[stm]; nested || stm == obj {
			return errHostile("object %d is in object stream %d, which is itself compressed", obj, stm)
		}
	}
	return nil
}

// xrefSection reads the cross-reference section at o (a table and its
// trailer, or a stream) and returns its trailer dictionary.
func (g *guard) xrefSection(o int) (pval, error) {
	l := &lexer{b: g.data, pos: o, g: g}
	l.skipWS()
	if l.keyword("xref") {
		for {
			l.skipWS()
			if l.keyword("trailer") {
				t, err := l.value(0)
				if err != nil {
					_, err = g.syntaxOK(0, err)
				}
				return t, err
			}
			start, err1 := l.value(0)
			count, err2 := l.value(0)
			if err1 != nil || err2 != nil || start.k != pInt || count.k != pInt || count.n < 0 || count.n > maxXrefSize {
				return pval{}, nil
			}
			for i := int64(0); i < count.n; i++ {
				off, e1 := l.value(0)
				_, e2 := l.value(0)
				l.skipWS()
				used := l.keyword("n")
				if !used && !l.keyword("f") || e1 != nil || e2 != nil || off.k != pInt {
					return pval{}, nil
				}
				if used {
					if err := g.objectAt(off.n); err != nil {
						return pval{}, err
					}
				}
			}
		}
	}
	// An xref stream: "N G obj << /Type /XRef ... >> stream".
	if err := g.objectAt(int64(o)); err != nil {
		return pval{}, err
	}
	v, err := l.object()
	if err != nil || v.k != pDict {
		return pval{}, nil
	}
	return v, g.xrefStream(v, l)
}

// objectAt parses the object an xref entry points at.
func (g *guard) objectAt(off int64) error {
	if off <= 0 || off >= int64(len(g.data)) {
		return nil
	}
	l := &lexer{b: g.data, pos: int(off), g: g}
	num, e1 := l.value(0)
	_, e2 := l.value(0)
	l.skipWS()
	if e1 != nil || e2 != nil || num.k != pInt || !l.keyword("obj") {
		return nil
	}
	_, err := g.parseObject(int(num.n), l.pos)
	return err
}

// xrefStream decodes an xref stream (already counted by parseObject) and
// reads its entries.
func (g *guard) xrefStream(dict pval, l *lexer) error {
	l.skipWS()
	if !l.keyword("stream") {
		return nil
	}
	start := l.pos
	for start < len(g.data) && (g.data[start] == '\r' || g.data[start] == '\n') {
		start++
	}
	end := bytes.Index(g.data[start:], []byte("endstream"))
	if end < 0 {
		return nil
	}
	w, _ := dict.get("W")
	if w.k != pArray || len(w.a) != 3 {
		return nil
	}
	var ws [3]int
	for i, x := range w.a {
		if x.k != pInt || x.n < 0 || x.n > 8 {
			return errHostile("cross-reference stream field width %v", x.n)
		}
		ws[i] = int(x.n)
	}
	entry := ws[0] + ws[1] + ws[2]
	if entry == 0 {
		return nil
	}
	data, err := decodeAll(g.data[start:start+end], dict, maxStreamInflated)
	if err != nil {
		return nil
	}
	size, _ := dict.get("Size")
	idx, _ := dict.get("Index")
	var ranges []int64
	if idx.k == pArray {
		for _, x := range idx.a {
			ranges = append(ranges, x.n)
		}
	} else {
		ranges = []int64{0, size.n}
	}
	pos := 0
	for r := 0; r+1 < len(ranges); r += 2 {
		first, count := ranges[r], ranges[r+1]
		if count < 0 || count > maxXrefSize || first < 0 || first > maxXrefSize {
			return naskah.Errorf(naskah.ETOOLARGE, "Tabel rujukan silang PDF ini menyatakan %d objek — This PDF's cross-reference table claims %d objects: re-export it", count, count)
		}
		for i := int64(0); i < count && pos+entry <= len(data); i++ {
			f := func(k, w int) int64 {
				var v int64
				for _, c := range data[pos+k : pos+k+w] {
					v = v<<8 | int64(c)
				}
				return v
			}
			typ := int64(1)
			if ws[0] > 0 {
				typ = f(0, ws[0])
			}
			a, b := f(ws[0], ws[1]), f(ws[0]+ws[1], ws[2])
			_ = b
			pos += entry
			switch typ {
			case 1:
				if err := g.objectAt(a); err != nil {
					return err
				}
			case 2:
				obj := int(first + i)
				if g.xref2Set == nil {
					g.xref2Set = map[int]bool{}
				}
				if !g.xref2Set[obj] { // the newest section wins
					g.xref2Set[obj] = true
					g.xref2[obj] = int(a)
				}
			}
		}
	}
	return nil
}

// decodeAll decodes a small stream (an xref stream) with pdfcpu, which
// applies predictors, up to limit bytes.
func decodeAll(raw []byte, dict pval, limit int64) ([]byte, error) {
	names, parms := streamFilters(dict)
	var r io.Reader = bytes.NewReader(raw)
	for i, name := range names {
		f, err := filter.NewFilter(longFilter(name), intParms(parms, i), limit)
		if err != nil {
			return nil, err
		}
		if r, err = f.DecodeLength(r, -1); err != nil {
			return nil, err
		}
	}
	return io.ReadAll(io.LimitReader(r, limit))
}

// checkGraphs refuses circles in any tree a reader walks (pages, fields,
// outlines, parents, object streams, references to references), a /Kids
// node with two parents (a reader would walk it twice, and a chain of such
// nodes doubles the walk at every level) and /Kids trees deeper than
// maxTreeDepth.
func (g *guard) checkGraphs() error {
	if g.dupKid[0] != 0 {
		return errHostile("object %d lists object %d twice in /Kids", g.dupKid[0], g.dupKid[1])
	}
	for _, name := range []string{"Kids", "Parent", "First/Next", "Extends", "alias"} {
		m := g.graph[name]
		if from, to, ok := findCycle(m); ok {
			return errHostile("a circular reference: /%s of object %d leads back to object %d", name, from, to)
		}
		if name != "Kids" {
			continue
		}
		parents := map[int]int{}
		for from, tos := range m {
			for _, to := range tos {
				if p, ok := parents[to]; ok && p != from {
					return errHostile("object %d is listed in /%s of both object %d and object %d", to, name, p, from)
				}
				parents[to] = from
			}
		}
		if name == "Kids" {
			if d := treeDepth(m, parents); d > maxTreeDepth {
				return errHostile("a page or field tree %d levels deep, more than %d", d, maxTreeDepth)
			}
		}
	}
	return nil
}

// findCycle returns an edge that closes a circle in m, iteratively (a
// recursive walk would itself overflow on a deep chain).
func findCycle(m map[int][]int) (int, int, bool) {
	const (
		white = iota
		grey
		black
	)
	color := map[int]int{}
	type frame struct{ node, next int }
	nodes := make([]int, 0, len(m))
	for n := range m {
		nodes = append(nodes, n)
	}
	slices.Sort(nodes)
	for _, root := range nodes {
		if color[root] != white {
			continue
		}
		stack := []frame{{root, 0}}
		color[root] = grey
		for len(stack) > 0 {
			top := &stack[len(stack)-1]
			kids := m[top.node]
			if top.next >= len(kids) {
				color[top.node] = black
				stack = stack[:len(stack)-1]
				continue
			}
			k := kids[top.next]
			top.next++
			switch color[k] {
			case grey:
				return top.node, k, true
			case white:
				color[k] = grey
				stack = append(stack, frame{k, 0})
			}
		}
	}
	return 0, 0, false
}

// treeDepth is the longest root-to-leaf path in an acyclic forest m.
func treeDepth(m map[int][]int, parents map[int]int) int {
	deepest := 0
	depth := map[int]int{}
	for n := range m {
		if _, ok := parents[n]; ok {
			continue
		}
		depth[n] = 1
		stack := []int{n}
		for len(stack) > 0 {
			x := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			deepest = max(deepest, depth[x])
			for _, k := range m[x] {
				depth[k] = depth[x] + 1
				stack = append(stack, k)
			}
		}
	}
	return deepest
}

// depthScanner follows the nesting of arrays and dictionaries in a
// content stream, skipping strings and inline image data. It looks at
// bytes one by one only where they matter: a bomb's megabytes of filler
// pass at memory speed.
type depthScanner struct {
	depth, paren int
	inHex, lt    bool // in a hex string; after a '<' that may open "<<"
	escape       bool
	inImage      bool
	tooDeep      bool
	p1, p2       byte // the two bytes before the current one
}

// special marks the bytes that can change the scanner's state.
var special = func() (t [256]bool) {
	for _, c := range []byte("[]<>()\\DI") {
		t[c] = true
	}
	return t
}()

func (d *depthScanner) Write(p []byte) (int, error) {
	for i := 0; i < len(p); i++ {
		c := p[i]
		if !special[c] && !d.lt && !d.escape {
			d.p2, d.p1 = d.p1, c
			continue
		}
		p2, p1 := d.p2, d.p1
		d.p2, d.p1 = p1, c
		if d.lt {
			d.lt = false
			if c == '<' {
				d.depth++
				d.p1 = 0
				continue
			}
			d.inHex = true
		}
		switch {
		case d.inImage:
			// Inline image data runs to "EI" after whitespace.
			if c == 'I' && p1 == 'E' && isWS(p2) {
				d.inImage = false
			}
		case d.paren > 0:
			switch {
			case d.escape:
				d.escape = false
			case c == '\\':
				d.escape = true
			case c == '(':
				d.paren++
			case c == ')':
				d.paren--
			}
		case d.inHex:
			d.inHex = c != '>'
		case c == '(':
			d.paren = 1
		case c == '[':
			d.depth++
		case c == ']':
			d.depth = max(0, d.depth-1)
		case c == '>' && p1 == '>':
			d.depth = max(0, d.depth-1)
			d.p1 = 0
		case c == '<':
			d.lt = true
		case c == 'D' && p1 == 'I' && isWS(p2):
			d.inImage = true
		}
		if d.depth > maxContentNesting {
			d.tooDeep = true
		}
	}
	return len(p), nil
}
