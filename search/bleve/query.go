package bleve

import (
	"cmp"
	"context"
	"html"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	bv "github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/mapping"
	bsearch "github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
	index "github.com/blevesearch/bleve_index_api"

	"github.com/bpom/naskah/search"
)

// Expansion bounds: a query word stands for at most this many indexed
// terms, so a short prefix or a fuzzy word in a large vocabulary costs a
// bounded number of posting-list walks. The most frequent terms are kept.
const (
	maxFuzzyTerms  = 16
	maxPrefixTerms = 16
	minPrefixRunes = 3 // shorter last words match whole words only: "pe" would expand to half the dictionary

	boostExact  = 1.0
	boostPrefix = 0.7
	boostTypo1  = 0.5
	boostTypo2  = 0.3

	// Boosts on the small per-field indexes, added on top of the match in
	// fieldAll. (Not on number: a number is matched in fieldAll like any
	// other word, and a title or partner boost per expanded term is already
	// most of a query's clauses.)
	boostTitle   = 3.0
	boostPartner = 2.0

	maxFacetValues = 100 // Meilisearch's default maxValuesPerFacet
)

// word is one analyzed query word.
type word struct {
	term   string
	prefix bool // the last word, typed without a trailing space: also matches completions
}

func (i *Index) analyzer() analysis.Analyzer {
	return i.idx.Mapping().AnalyzerNamed(analyzerName)
}

func parseWords(a analysis.Analyzer, text string) []word {
	var ws []word
	for _, tok := range a.Analyze([]byte(text)) {
		ws = append(ws, word{term: string(tok.Term)})
	}
	if n := len(ws); n > 0 && !strings.HasSuffix(text, " ") && utf8.RuneCountInString(ws[n-1].term) >= minPrefixRunes {
		ws[n-1].prefix = true
	}
	return ws
}

// slot is one position of the query: the words typed (matched with typos
// and prefix) or any synonym of them (matched exactly).
type slot struct {
	words    []word
	synonyms [][]string
}

func slots(ws []word) []slot {
	var out []slot
	for k := 0; k < len(ws); {
		n := min(search.MaxSynonymWords, len(ws)-k)
		for ; n > 0; n-- {
			terms := make([]string, n)
			for j := range n {
				terms[j] = ws[k+j].term
			}
			if syn := search.SynonymsOf(terms); syn != nil {
				out = append(out, slot{words: ws[k : k+n], synonyms: syn})
				break
			}
		}
		if n == 0 {
			n = 1
			out = append(out, slot{words: ws[k : k+1]})
		}
		k += n
	}
	return out
}

// expTerm is one indexed term a query word stands for.
type expTerm struct {
	term  string
	count uint64
	boost float64
	// inTitle, inPartner: the term is in that field's dictionary, so a
	// boost clause on the field can match. Clauses that cannot are left
	// out: each costs a term searcher, and a disjunction scales its score
	// by the fraction of its clauses that match.
	inTitle, inPartner bool
}

// matcher knows the indexed terms a query matched, for snippets.
type matcher struct {
	a     analysis.Analyzer
	terms map[string]bool
	// lens[b] has bit n set when a term of n bytes (63: 63 or more)
	// starts with byte b; filled on first use, after terms is complete.
	lens      [256]uint64
	lensReady bool
}

// expand returns the indexed terms w matches in fieldAll: itself, words
// within its typo budget (same first letter, as a first-letter typo costs
// two in Meilisearch) and, for a prefix word, completions.
func expand(r index.IndexReader, w word, synonym bool) ([]expTerm, error) {
	best := map[string]expTerm{}
	add := func(t string, count uint64, boost float64) {
		if e, ok := best[t]; !ok || e.boost < boost {
			best[t] = expTerm{term: t, count: count, boost: boost}
		}
	}
	budget := search.TypoBudget(utf8.RuneCountInString(w.term))
	if synonym {
		budget = 0
	}
	var fuzzy []expTerm
	if budget == 0 {
		d, err := r.FieldDictRange(fieldAll, []byte(w.term), []byte(w.term))
		if err != nil {
			return nil, err
		}
		// scorch's range is inclusive of every term that has the end as
		// a prefix: take the first entry only, and only if it is the word.
		if e, err := d.Next(); err == nil && e != nil && e.Term == w.term {
			add(e.Term, e.Count, boostExact)
		}
		d.Close()
	} else if fr, ok := r.(index.IndexReaderFuzzy); ok {
		_, size := utf8.DecodeRuneInString(w.term)
		d, err := fr.FieldDictFuzzy(fieldAll, w.term, budget, w.term[:size])
		if err != nil {
			return nil, err
		}
		for e, err := d.Next(); e != nil && err == nil; e, err = d.Next() {
			b := boostExact
			switch {
			case e.Term == w.term:
			case e.EditDistance <= 1:
				b = boostTypo1
			default:
				b = boostTypo2
			}
			fuzzy = append(fuzzy, expTerm{term: e.Term, count: e.Count, boost: b})
		}
		d.Close()
		slices.SortFunc(fuzzy, func(x, y expTerm) int {
			return cmp.Or(cmp.Compare(y.boost, x.boost), cmp.Compare(y.count, x.count), strings.Compare(x.term, y.term))
		})
		for _, e := range fuzzy[:min(len(fuzzy), maxFuzzyTerms)] {
			add(e.term, e.count, e.boost)
		}
	}
	if w.prefix && !synonym {
		d, err := r.FieldDictPrefix(fieldAll, []byte(w.term))
		if err != nil {
			return nil, err
		}
		var pre []expTerm
		for e, err := d.Next(); e != nil && err == nil; e, err = d.Next() {
			pre = append(pre, expTerm{term: e.Term, count: e.Count, boost: boostPrefix})
		}
		d.Close()
		slices.SortFunc(pre, func(x, y expTerm) int {
			return cmp.Or(cmp.Compare(y.count, x.count), strings.Compare(x.term, y.term))
		})
		for _, e := range pre[:min(len(pre), maxPrefixTerms)] {
			add(e.term, e.count, e.boost)
		}
	}
	out := make([]expTerm, 0, len(best))
	for _, e := range best {
		out = append(out, e)
	}
	slices.SortFunc(out, func(x, y expTerm) int { return strings.Compare(x.term, y.term) })
	return out, nil
}

func termQuery(field, term string, boost float64) query.Query {
	q := query.NewTermQuery(term)
	q.SetField(field)
	q.SetBoost(boost)
	return q
}

func disjunction(qs []query.Query) query.Query {
	if len(qs) == 1 {
		return qs[0]
	}
	return query.NewDisjunctionQuery(qs)
}

func conjunction(qs []query.Query) query.Query {
	if len(qs) == 1 {
		return qs[0]
	}
	return query.NewConjunctionQuery(qs)
}

// expander expands query words against the index, through the cache.
type expander struct {
	i   *Index
	gen uint64            // read before the reader is opened
	r   index.IndexReader // opened on the first cache miss
}

func (x *expander) expand(w word, synonym bool) ([]expTerm, error) {
	if synonym {
		w.prefix = false
	}
	k := expKey{w.term, w.prefix, synonym}
	if ex, ok := x.i.cache.get(x.gen, k); ok {
		return ex, nil
	}
	if x.r == nil {
		adv, err := x.i.idx.Advanced()
		if err != nil {
			return nil, err
		}
		if x.r, err = adv.Reader(); err != nil {
			return nil, err
		}
	}
	ex, err := expand(x.r, w, synonym)
	if err != nil {
		return nil, err
	}
	if len(ex) > 0 {
		if err := inFields(x.r, ex); err != nil {
			return nil, err
		}
	}
	x.i.cache.put(x.gen, k, ex)
	return ex, nil
}

func (x *expander) close() {
	if x.r != nil {
		x.r.Close()
	}
}

// inFields sets inTitle and inPartner of the terms.
func inFields(r index.IndexReader, ex []expTerm) error {
	cr, ok := r.(index.IndexReaderContains)
	if !ok {
		for k := range ex {
			ex[k].inTitle, ex[k].inPartner = true, true
		}
		return nil
	}
	title, err := cr.FieldDictContains(search.FieldTitle)
	if err != nil {
		return err
	}
	partner, err := cr.FieldDictContains(search.FieldPartnerName)
	if err != nil {
		return err
	}
	for k := range ex {
		t := []byte(ex[k].term)
		if ex[k].inTitle, err = title.Contains(t); err != nil {
			return err
		}
		if ex[k].inPartner, err = partner.Contains(t); err != nil {
			return err
		}
	}
	return nil
}

// unscored runs a filter without scoring: bleve then ORs and ANDs its
// posting lists as bitmaps, and as a conjunct of the text query it lets
// the conjunction skip documents the filter excludes instead of scoring
// every text match and checking the filter afterwards. Its documents score
// 0, so it does not change the text query's ranking.
type unscored struct{ q query.Query }

func (u unscored) Searcher(ctx context.Context, r index.IndexReader, m mapping.IndexMapping, _ bsearch.SearcherOptions) (bsearch.Searcher, error) {
	return u.q.Searcher(ctx, r, m, bsearch.SearcherOptions{Score: "none"})
}

// buildRequest turns q into a bleve request. It returns a nil request when
// a query word matches no indexed term: with every word required, nothing
// can match, and bleve need not run.
func (i *Index) buildRequest(q search.Query) (*bv.SearchRequest, *matcher, error) {
	a := i.analyzer()
	m := &matcher{a: a, terms: map[string]bool{}}
	var must, should []query.Query
	if ss := slots(parseWords(a, q.Text)); len(ss) > 0 {
		x := &expander{i: i, gen: i.gen.Load()}
		defer x.close()
		for _, s := range ss {
			var alts [][]query.Query // each: clauses that must all match
			// the words as typed
			var conj []query.Query
			for _, w := range s.words {
				ex, err := x.expand(w, false)
				if err != nil {
					return nil, nil, err
				}
				if len(ex) == 0 {
					conj = nil
					break
				}
				ors := make([]query.Query, 0, len(ex))
				for _, e := range ex {
					m.terms[e.term] = true
					ors = append(ors, termQuery(fieldAll, e.term, e.boost))
					if e.inTitle {
						should = append(should, termQuery(search.FieldTitle, e.term, boostTitle*e.boost))
					}
					if e.inPartner {
						should = append(should, termQuery(search.FieldPartnerName, e.term, boostPartner*e.boost))
					}
				}
				conj = append(conj, disjunction(ors))
			}
			if conj != nil {
				alts = append(alts, conj)
			}
			// synonyms, exactly
		syn:
			for _, ph := range s.synonyms {
				var conj, titles []query.Query
				for _, t := range ph {
					ex, err := x.expand(word{term: t}, true)
					if err != nil {
						return nil, nil, err
					}
					if len(ex) == 0 {
						continue syn
					}
					conj = append(conj, termQuery(fieldAll, t, boostExact))
					if ex[0].inTitle {
						titles = append(titles, termQuery(search.FieldTitle, t, boostTitle))
					}
				}
				for _, t := range ph {
					if len(ph) == 1 || utf8.RuneCountInString(t) > 3 { // don't mark "of" or "dan" everywhere
						m.terms[t] = true
					}
				}
				should = append(should, titles...)
				alts = append(alts, conj)
			}
			if len(alts) == 0 {
				return nil, m, nil
			}
			if len(alts) == 1 {
				// flat: one conjunction over all slots leapfrogs on the
				// rarest clause; nested conjunctions each add a layer of
				// Advance calls per candidate
				must = append(must, alts[0]...)
				continue
			}
			ors := make([]query.Query, len(alts))
			for k, conj := range alts {
				ors[k] = conjunction(conj)
			}
			must = append(must, disjunction(ors))
		}
	}

	var filters []query.Query
	for _, f := range search.FilterFields { // fixed order: same query, same plan
		vs := q.Filters[f]
		if vs == nil {
			continue
		}
		var ors []query.Query
		for _, v := range vs {
			ors = append(ors, termQuery(f, v, 1))
		}
		if len(ors) == 0 {
			return nil, m, nil // a field that must be one of no values
		}
		filters = append(filters, disjunction(ors))
	}
	if q.Type != "" {
		filters = append(filters, termQuery(search.FieldType, q.Type, 1))
	}
	if len(q.Units) > 0 {
		var ors []query.Query
		for _, u := range q.Units {
			ors = append(ors, termQuery(search.FieldUnit, u, 1))
		}
		filters = append(filters, disjunction(ors))
	}
	if q.YearFrom != 0 || q.YearTo != 0 {
		var lo, hi *float64
		t := true
		if q.YearFrom != 0 {
			v := float64(q.YearFrom)
			lo = &v
		}
		if q.YearTo != 0 {
			v := float64(q.YearTo)
			hi = &v
		}
		r := query.NewNumericRangeInclusiveQuery(lo, hi, &t, &t)
		r.SetField(fieldYear)
		filters = append(filters, r)
	}
	if !q.ExpiresBefore.IsZero() {
		v := float64(q.ExpiresBefore.Unix())
		f := false
		r := query.NewNumericRangeInclusiveQuery(nil, &v, nil, &f)
		r.SetField(fieldExpiresAt)
		filters = append(filters, r)
	}

	var bq query.Query
	switch {
	case len(must) > 0:
		if len(filters) > 0 {
			must = append(must, unscored{conjunction(filters)})
		}
		bq = conjunction(must)
		if len(should) > 0 {
			bq = query.NewBooleanQuery([]query.Query{bq}, should, nil)
		}
	case len(filters) > 0:
		bq = unscored{conjunction(filters)}
	default:
		bq = query.NewMatchAllQuery()
	}

	req := bv.NewSearchRequestOptions(bq, q.Limit, q.Offset, false)
	// No req.Fields: Search reads the stored fields of the page's hits
	// itself (see loadHits).
	switch q.Sort {
	case search.SortRelevance:
		// No "_id" tie-break: it makes bleve load the external ID of every
		// match and leaves its collector's fast path (15% of a typical
		// query). Equal scores keep index order, which is fixed for a
		// snapshot, so pages of one snapshot neither overlap nor skip;
		// Search orders ties within a page by ID.
		req.SortBy([]string{"-_score"})
	case search.SortSigned:
		req.SortByCustom(numericSort(fieldSignedAt, true))
	case search.SortUpdated:
		req.SortByCustom(numericSort(fieldUpdatedAt, true))
	case search.SortTitle:
		req.SortBy([]string{fieldTitleSort, "_id"})
	}
	if q.Sort != search.SortRelevance {
		req.Score = "none" // scores would be computed and thrown away
	}
	return req, m, nil
}

func numericSort(field string, desc bool) bsearch.SortOrder {
	return bsearch.SortOrder{
		&bsearch.SortField{Field: field, Type: bsearch.SortFieldAsNumber, Desc: desc, Missing: bsearch.SortFieldMissingLast},
		&bsearch.SortDocID{},
	}
}

// Snippet shape: up to maxFragments fragments of the text, each about
// fragmentWords words either side of a match.
const (
	maxFragments  = 3
	fragmentWords = 12
)

// snippets returns the snippets of d, given the fragments of its text.
func (m *matcher) snippets(d *search.Doc, text []string) map[string][]string {
	out := map[string][]string{}
	for _, f := range []struct{ name, value string }{
		{search.FieldTitle, d.Title}, {search.FieldNumber, d.Number}, {search.FieldPartnerName, d.PartnerName},
	} {
		if s, ok := m.markAll(f.value); ok {
			out[f.name] = []string{s}
		}
	}
	if len(text) > 0 {
		out[search.FieldText] = text
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

type span struct{ start, end int }

func (m *matcher) matches(s string, base int, toks analysis.TokenStream) (all []span, hits []int) {
	for _, t := range toks {
		if m.terms[string(t.Term)] {
			hits = append(hits, len(all))
		}
		all = append(all, span{base + t.Start, base + t.End})
	}
	return all, hits
}

func (m *matcher) markAll(s string) (string, bool) {
	if s == "" || len(m.terms) == 0 {
		return "", false
	}
	var toks []span
	var hits []int
	if simpleASCII(s) {
		m.prepareLens()
		words(s, &m.lens, func(start, end int, lower []byte) bool {
			if lower != nil && m.terms[string(lower)] {
				hits = append(hits, len(toks))
				toks = append(toks, span{start, end})
			}
			return true
		})
	} else {
		toks, hits = m.matches(s, 0, m.a.Analyze([]byte(s)))
	}
	if len(hits) == 0 {
		return "", false
	}
	return render(s, toks, hits, 0, len(s)), true
}

// simpleASCII reports whether s is ASCII without the characters that can
// join letters or digits into one token under Unicode word segmentation
// (UAX #29: . , : ; ' _): in such a string the analyzer's tokens are
// exactly the runs of letters and digits that words finds, much faster.
func simpleASCII(s string) bool {
	for k := 0; k < len(s); k++ {
		switch c := s[k]; {
		case c >= utf8.RuneSelf, c == '.', c == ',', c == ':', c == ';', c == '\'', c == '_':
			return false
		}
	}
	return true
}

func (m *matcher) prepareLens() {
	if m.lensReady {
		return
	}
	for t := range m.terms {
		if t != "" {
			m.lens[t[0]] |= 1 << min(len(t), 63)
		}
	}
	m.lensReady = true
}

// render escapes s[from:to] and wraps the hit tokens in <mark>.
func render(s string, toks []span, hits []int, from, to int) string {
	var b strings.Builder
	at := from
	for _, h := range hits {
		t := toks[h]
		if t.start < from || t.end > to {
			continue
		}
		b.WriteString(html.EscapeString(s[at:t.start]))
		b.WriteString(search.HighlightStart)
		b.WriteString(html.EscapeString(s[t.start:t.end]))
		b.WriteString(search.HighlightEnd)
		at = t.end
	}
	b.WriteString(html.EscapeString(s[at:to]))
	return b.String()
}

// words splits s into runs of letters and digits, calling fn with each
// word's byte span and, when the word may be a matched term, its lowercase
// form; lower is nil otherwise. An ASCII word may be a term when lens (nil:
// any word may) has bit n (63: 63 or more) set for its lowercase first
// byte, n its length: a bit test that spares most words of a long text the
// lowercase copy and the map lookup. It stands in
// for the analyzer on long text: the unicode tokenizer costs ~50× more and
// snippets only need word spans. (It splits "07.01" where the analyzer
// keeps one token; numbers are highlighted in the number field, which uses
// the analyzer.)
func words(s string, lens *[256]uint64, fn func(start, end int, lower []byte) bool) {
	buf := make([]byte, 0, 64)
	for k := 0; k < len(s); {
		switch byteClass[s[k]] {
		case classOther:
			k++
			continue
		case classMulti:
			if r, size := utf8.DecodeRuneInString(s[k:]); !wordRune(r) {
				k += size
				continue
			}
		}
		start, ascii := k, true
		for k < len(s) {
			switch byteClass[s[k]] {
			case classWord:
				k++
				continue
			case classMulti:
				if r, size := utf8.DecodeRuneInString(s[k:]); wordRune(r) {
					ascii = false
					k += size
					continue
				}
			}
			break
		}
		var lower []byte
		if !ascii || lens == nil || lens[lowerASCII(s[start])]&(1<<min(k-start, 63)) != 0 {
			buf = buf[:0]
			for _, r := range s[start:k] {
				if r < utf8.RuneSelf {
					buf = append(buf, lowerASCII(byte(r)))
				} else {
					buf = utf8.AppendRune(buf, unicode.ToLower(r))
				}
			}
			lower = buf
		}
		if !fn(start, k, lower) {
			return
		}
	}
}

const (
	classOther = iota // ASCII, not a letter or digit
	classWord         // ASCII letter or digit
	classMulti        // part of a multi-byte rune
)

var byteClass = func() (t [256]uint8) {
	for c := range 256 {
		switch {
		case c >= utf8.RuneSelf:
			t[c] = classMulti
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9':
			t[c] = classWord
		}
	}
	return t
}()

func wordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r)
}

func lowerASCII(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func (m *matcher) fragments(text string) []string {
	if text == "" || len(m.terms) == 0 {
		return nil
	}
	m.prepareLens()
	// One pass, stopping when maxFragments are complete. A fragment runs
	// from fragmentWords words before its first hit (but not into the
	// previous fragment) to fragmentWords words after its last hit, hits
	// closer than that joining one fragment. Only the starts of the last
	// ringSize words are kept, for where a fragment begins.
	const ringSize = 16 // > fragmentWords, a power of 2
	var (
		frags   []string
		ring    [ringSize]int
		hits    []span // of the fragment being built
		first   = -1   // word index of its first hit; -1: none open
		last    = -1   // word index of its last hit
		from    int    // byte offset where it begins
		prevEnd = -1   // word index where the previous fragment ended
		n       = -1   // current word index
		lastEnd int    // end of the current word
	)
	flush := func(to int) {
		var b strings.Builder
		if from > 0 {
			b.WriteString("…")
		}
		at := from
		for _, h := range hits {
			b.WriteString(html.EscapeString(text[at:h.start]))
			b.WriteString(search.HighlightStart)
			b.WriteString(html.EscapeString(text[h.start:h.end]))
			b.WriteString(search.HighlightEnd)
			at = h.end
		}
		b.WriteString(html.EscapeString(text[at:to]))
		if to < len(text) {
			b.WriteString("…")
		}
		frags = append(frags, b.String())
		hits, first, prevEnd = hits[:0], -1, n
	}
	// The word scan of words, inlined: this loop runs over every byte of
	// every hit's text, and a call per word costs more than the scan.
	buf := make([]byte, 0, 64)
	for k := 0; k < len(text) && len(frags) < maxFragments; {
		ascii := true
		switch byteClass[text[k]] {
		case classOther:
			k++
			continue
		case classMulti:
			r, size := utf8.DecodeRuneInString(text[k:])
			if !wordRune(r) {
				k += size
				continue
			}
			ascii = false
		}
		start := k
		for k < len(text) {
			c := byteClass[text[k]]
			if c == classWord {
				k++
				continue
			}
			if c == classMulti {
				if r, size := utf8.DecodeRuneInString(text[k:]); wordRune(r) {
					ascii = false
					k += size
					continue
				}
			}
			break
		}
		n++
		ring[n&(ringSize-1)] = start
		lastEnd = k
		hit := false
		if !ascii || m.lens[lowerASCII(text[start])]&(1<<min(k-start, 63)) != 0 {
			buf = buf[:0]
			for _, r := range text[start:k] {
				if r < utf8.RuneSelf {
					buf = append(buf, lowerASCII(byte(r)))
				} else {
					buf = utf8.AppendRune(buf, unicode.ToLower(r))
				}
			}
			hit = m.terms[string(buf)]
		}
		if hit {
			if first < 0 {
				first = n
				from = ring[max(prevEnd+1, n-fragmentWords, 0)&(ringSize-1)]
			}
			last = n
			hits = append(hits, span{start, k})
		} else if first >= 0 && n-last >= fragmentWords {
			flush(k)
		}
	}
	if first >= 0 && len(frags) < maxFragments {
		flush(lastEnd)
	}
	return frags
}
