package bleve

import (
	"encoding/json"
	"strings"
	"time"

	bv "github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/custom"
	"github.com/blevesearch/bleve/v2/analysis/token/lowercase"
	"github.com/blevesearch/bleve/v2/analysis/tokenizer/unicode"
	"github.com/blevesearch/bleve/v2/mapping"

	"github.com/bpom/naskah/search"
)

// schemaVersion is stored in the index; a mismatch on Open means the
// mapping changed and the index must be rebuilt with `naskah reindex`.
const schemaVersion = "naskah-search-1"

const (
	analyzerName = "naskah"
	// fieldAll holds title, number, partner name and country and text: the
	// only field matched by Query.Text, so a query word expands against one
	// term dictionary and walks one set of posting lists per segment.
	fieldAll = "all"
	// Stored only: the document without Text (for Hit.Doc), and Text (for
	// snippets; loaded only when highlighting).
	fieldSrc       = "src"
	fieldTextStore = "text"
	fieldTitleSort = "title_sort"
	fieldYear      = "year"
	fieldSignedAt  = "signed_at"
	fieldExpiresAt = "expires_at"
	fieldUpdatedAt = "updated_at"
)

// facetable are the keyword fields that need doc values (facets, sort).
var facetable = func() map[string]bool {
	m := map[string]bool{}
	for _, f := range search.FacetFields {
		m[f] = true
	}
	return m
}()

// toBleve returns what bleve indexes for d: a map, so unset fields are
// absent rather than indexed as "" or 0 (bleve ignores omitempty).
func toBleve(d search.Doc) map[string]any {
	src := d
	src.Text = ""
	b, _ := json.Marshal(src) // a struct of strings, ints and times always marshals
	m := map[string]any{fieldSrc: string(b)}
	for _, f := range search.FilterFields {
		if v := d.Keyword(f); v != "" {
			m[f] = v
		}
	}
	set := func(field, v string) {
		if v != "" {
			m[field] = v
		}
	}
	set(fieldTitleSort, strings.ToLower(d.Title))
	set(search.FieldTitle, d.Title)
	set(search.FieldNumber, d.Number)
	set(search.FieldPartnerName, d.PartnerName)
	set(fieldTextStore, d.Text)
	set(fieldAll, strings.Join([]string{d.Title, d.Number, d.PartnerName, d.PartnerCountry, d.Text}, "\n"))
	if d.YearSigned != 0 {
		m[fieldYear] = float64(d.YearSigned)
	}
	for field, t := range map[string]time.Time{fieldSignedAt: d.SignedAt, fieldExpiresAt: d.ExpiresAt, fieldUpdatedAt: d.UpdatedAt} {
		if !t.IsZero() {
			m[field] = float64(t.Unix())
		}
	}
	return m
}

func newMapping() (mapping.IndexMapping, error) {
	im := bv.NewIndexMapping()
	// Unicode word boundaries and lower case: no stemming, so Indonesian
	// affixes are left alone and typo tolerance covers English plurals, as
	// Meilisearch does.
	if err := im.AddCustomAnalyzer(analyzerName, map[string]any{
		"type":          custom.Name,
		"tokenizer":     unicode.Name,
		"token_filters": []string{lowercase.Name},
	}); err != nil {
		return nil, err
	}
	im.DefaultAnalyzer = analyzerName
	im.IndexDynamic = false
	im.StoreDynamic = false
	im.DocValuesDynamic = false
	im.ScoringModel = "bm25"

	keyword := func(docValues bool) *mapping.FieldMapping {
		fm := bv.NewKeywordFieldMapping()
		fm.Store, fm.IncludeInAll, fm.IncludeTermVectors, fm.DocValues = false, false, false, docValues
		return fm
	}
	text := func() *mapping.FieldMapping {
		fm := bv.NewTextFieldMapping()
		fm.Analyzer = analyzerName
		fm.Store, fm.IncludeInAll, fm.IncludeTermVectors, fm.DocValues = false, false, false, false
		return fm
	}
	numeric := func() *mapping.FieldMapping {
		fm := bv.NewNumericFieldMapping()
		fm.Store, fm.IncludeInAll, fm.DocValues = false, false, true
		return fm
	}
	stored := func() *mapping.FieldMapping {
		fm := bv.NewTextFieldMapping()
		fm.Index, fm.Store, fm.IncludeInAll, fm.IncludeTermVectors, fm.DocValues = false, true, false, false, false
		return fm
	}

	dm := bv.NewDocumentStaticMapping()
	for _, f := range search.FilterFields {
		dm.AddFieldMappingsAt(f, keyword(facetable[f]))
	}
	dm.AddFieldMappingsAt(fieldTitleSort, keyword(true))
	for _, f := range []string{fieldYear, fieldSignedAt, fieldExpiresAt, fieldUpdatedAt} {
		dm.AddFieldMappingsAt(f, numeric())
	}
	for _, f := range []string{search.FieldTitle, search.FieldNumber, search.FieldPartnerName, fieldAll} {
		dm.AddFieldMappingsAt(f, text())
	}
	dm.AddFieldMappingsAt(fieldTextStore, stored())
	dm.AddFieldMappingsAt(fieldSrc, stored())
	im.AddDocumentMapping("doc", dm)
	im.DefaultMapping = dm
	return im, nil
}
