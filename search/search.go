// Package search defines the archive search contract: the indexed document
// schema (one document per agreement, one per stored document version), the
// query, the result, the synonyms both adapters share, and text extraction.
//
// Adapters live in subpackages (search/meili, search/bleve) and never import
// each other; search/searchtest checks that they behave alike.
package search

import (
	"context"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/bpom/naskah"
)

// Document types.
const (
	TypeAgreement = "agreement" // one per agreement: metadata, facets, text of its latest final/signed version
	TypeVersion   = "version"   // one per stored document version: its text, kind and step
)

// Field names used in Query.Filters, Query.Facets and Result.Facets. They
// are the snake_case names of Doc's fields:
//
//	type            Doc.Type
//	agreement_id    Doc.AgreementID
//	kind            Doc.Kind            ("mou","pks","agreement","arrangement","loi","rod","mom","other")
//	scope           Doc.Scope           ("domestic","foreign")
//	partner_kind    Doc.PartnerKind
//	partner_country Doc.PartnerCountry
//	unit            Doc.Unit
//	step            Doc.Step
//	status          Doc.Status
//	document_kind   Doc.DocumentKind
//	year_signed     Doc.YearSigned      (decimal string, e.g. "2021")
const (
	FieldType           = "type"
	FieldAgreementID    = "agreement_id"
	FieldKind           = "kind"
	FieldScope          = "scope"
	FieldPartnerKind    = "partner_kind"
	FieldPartnerCountry = "partner_country"
	FieldUnit           = "unit"
	FieldStep           = "step"
	FieldStatus         = "status"
	FieldDocumentKind   = "document_kind"
	FieldYearSigned     = "year_signed"
)

// Text fields: searched by Query.Text and the keys of Hit.Snippets.
const (
	FieldTitle       = "title"
	FieldNumber      = "number"
	FieldPartnerName = "partner_name"
	FieldText        = "text"
)

// FilterFields are the fields Query.Filters may name.
var FilterFields = []string{FieldType, FieldAgreementID, FieldKind, FieldScope, FieldPartnerKind,
	FieldPartnerCountry, FieldUnit, FieldStep, FieldStatus, FieldDocumentKind, FieldYearSigned}

// FacetFields are the fields Query.Facets may name.
var FacetFields = []string{FieldKind, FieldScope, FieldPartnerKind, FieldPartnerCountry, FieldUnit,
	FieldStep, FieldStatus, FieldYearSigned, FieldDocumentKind, FieldType}

// Sort orders.
const (
	SortRelevance  = "relevance"   // best match first; without Text, same as SortUpdated
	SortSigned     = "-signed_at"  // most recently signed first; unsigned last
	SortTitle      = "title"       // title A→Z, case-insensitive
	SortUpdated    = "-updated_at" // most recently changed first
	DefaultLimit   = 20
	MaxLimit       = 100
	HighlightStart = "<mark>"
	HighlightEnd   = "</mark>"
)

// Doc is one indexed document. Type "agreement" (one per agreement:
// metadata, facets, text of its latest final/signed version) or "version"
// (one per stored document version: its text, kind, step).
//
// ID must be 1–511 characters of A–Z a–z 0–9 - _ (Meilisearch's rule for
// document identifiers, so that both adapters accept the same IDs).
type Doc struct {
	ID          string `json:"id"`
	Type        string `json:"type"`
	AgreementID string `json:"agreement_id,omitempty"`

	Number string `json:"number,omitempty"`
	Title  string `json:"title,omitempty"`
	Kind   string `json:"kind,omitempty"`  // "mou","pks","agreement","arrangement","loi","rod","mom","other"
	Scope  string `json:"scope,omitempty"` // "domestic","foreign"

	PartnerName    string `json:"partner_name,omitempty"`
	PartnerKind    string `json:"partner_kind,omitempty"`
	PartnerCountry string `json:"partner_country,omitempty"`
	Unit           string `json:"unit,omitempty"`
	Step           string `json:"step,omitempty"`
	Status         string `json:"status,omitempty"`

	DocumentKind string `json:"document_kind,omitempty"`
	Version      int    `json:"version,omitempty"`

	Text string `json:"text,omitempty"`

	YearSigned int       `json:"year_signed,omitempty"`
	SignedAt   time.Time `json:"signed_at,omitzero"`
	ExpiresAt  time.Time `json:"expires_at,omitzero"`
	UpdatedAt  time.Time `json:"updated_at,omitzero"`
}

// Keyword returns the value of a filter/facet field of d ("" when unset).
func (d *Doc) Keyword(field string) string {
	switch field {
	case FieldType:
		return d.Type
	case FieldAgreementID:
		return d.AgreementID
	case FieldKind:
		return d.Kind
	case FieldScope:
		return d.Scope
	case FieldPartnerKind:
		return d.PartnerKind
	case FieldPartnerCountry:
		return d.PartnerCountry
	case FieldUnit:
		return d.Unit
	case FieldStep:
		return d.Step
	case FieldStatus:
		return d.Status
	case FieldDocumentKind:
		return d.DocumentKind
	case FieldYearSigned:
		if d.YearSigned == 0 {
			return ""
		}
		return strconv.Itoa(d.YearSigned)
	}
	return ""
}

// Validate reports an EINVALID error when d cannot be indexed.
func (d *Doc) Validate() error {
	if !ValidID(d.ID) {
		return naskah.Errorf(naskah.EINVALID, "search document id %q: use 1–511 letters, digits, '-' or '_'", d.ID)
	}
	if d.Type != TypeAgreement && d.Type != TypeVersion {
		return naskah.Errorf(naskah.EINVALID, "search document %s: type %q: use %q or %q", d.ID, d.Type, TypeAgreement, TypeVersion)
	}
	return nil
}

// ValidID reports whether id is a valid document ID.
func ValidID(id string) bool {
	if id == "" || len(id) > 511 {
		return false
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// Query is one search. The zero Query matches every document, newest change first.
type Query struct {
	Text          string              // words to find in title, number, partner name and text; typos and synonyms allowed; the last word may be a prefix
	Filters       map[string][]string // field → any of values (OR within a field, AND across fields); fields from FilterFields
	Type          string              // "" (both), TypeAgreement or TypeVersion
	YearFrom      int                 // year_signed ≥ YearFrom (0: no bound)
	YearTo        int                 // year_signed ≤ YearTo (0: no bound)
	ExpiresBefore time.Time           // expires_at set and before this instant (zero: no bound)
	Units         []string            // scope restriction: only these units (empty = all)
	Facets        []string            // fields from FacetFields to count over all matches
	Sort          string              // SortRelevance (default), SortSigned, SortTitle, SortUpdated
	Offset, Limit int                 // page; Limit 0 means DefaultLimit, at most MaxLimit
	Highlight     bool                // fill Hit.Snippets
}

// Normalize validates q and returns it with defaults filled in. Errors are
// EINVALID and say which value to change.
func (q Query) Normalize() (Query, error) {
	for f, vs := range q.Filters {
		if !contains(FilterFields, f) {
			return q, naskah.Errorf(naskah.EINVALID, "search filter %q: use one of %s", f, strings.Join(FilterFields, ", "))
		}
		if f == FieldYearSigned {
			for _, v := range vs {
				if _, err := strconv.Atoi(v); err != nil {
					return q, naskah.Errorf(naskah.EINVALID, "search filter year_signed %q: use a year such as 2021", v)
				}
			}
		}
	}
	for _, f := range q.Facets {
		if !contains(FacetFields, f) {
			return q, naskah.Errorf(naskah.EINVALID, "search facet %q: use one of %s", f, strings.Join(FacetFields, ", "))
		}
	}
	if q.Type != "" && q.Type != TypeAgreement && q.Type != TypeVersion {
		return q, naskah.Errorf(naskah.EINVALID, "search type %q: use %q, %q or leave it empty", q.Type, TypeAgreement, TypeVersion)
	}
	switch q.Sort {
	case "":
		q.Sort = SortRelevance
	case SortRelevance, SortSigned, SortTitle, SortUpdated:
	default:
		return q, naskah.Errorf(naskah.EINVALID, "search sort %q: use %s, %s, %s or %s", q.Sort, SortRelevance, SortSigned, SortTitle, SortUpdated)
	}
	if q.Sort == SortRelevance && strings.TrimSpace(q.Text) == "" {
		q.Sort = SortUpdated
	}
	if q.Offset < 0 {
		return q, naskah.Errorf(naskah.EINVALID, "search offset %d: use 0 or more", q.Offset)
	}
	if q.Limit < 0 || q.Limit > MaxLimit {
		return q, naskah.Errorf(naskah.EINVALID, "search limit %d: use 1 to %d (0 means %d)", q.Limit, MaxLimit, DefaultLimit)
	}
	if q.Limit == 0 {
		q.Limit = DefaultLimit
	}
	if q.YearFrom != 0 && q.YearTo != 0 && q.YearFrom > q.YearTo {
		return q, naskah.Errorf(naskah.EINVALID, "search years %d–%d: the first year must not be after the last", q.YearFrom, q.YearTo)
	}
	return q, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Hit is one matching document.
type Hit struct {
	ID, Type, AgreementID, Title, Number string
	Score                                float64             // adapter-specific; higher is better; only comparable within one Result
	Snippets                             map[string][]string // field → HTML-escaped fragments with <mark>…</mark> around matches (Query.Highlight only)
	Doc                                  Doc                 // every field except Text, which is large; Snippets carry the matched text
}

// Result is one page of hits.
type Result struct {
	Total  int                     // all matches, not just this page
	Hits   []Hit                   // at most Query.Limit, from Query.Offset
	Facets map[string][]FacetCount // requested facet → values by count, most first, then by value; empty values are not counted
	Took   time.Duration
}

// FacetCount is how many matches have Value in a facet field.
type FacetCount struct {
	Value string
	Count int
}

// SortFacetCounts orders counts as Result.Facets promises: count descending, then value.
func SortFacetCounts(fc []FacetCount) {
	sort.Slice(fc, func(i, j int) bool {
		if fc[i].Count != fc[j].Count {
			return fc[i].Count > fc[j].Count
		}
		return fc[i].Value < fc[j].Value
	})
}

// Index is a full-text index of agreements and document versions.
//
// All methods are safe for concurrent use. When the backend is down,
// unreachable or the Index is closed, every method except Close returns an
// EUNAVAILABLE error: the caller (the outbox) retries later. Invalid input is
// EINVALID. Writes are visible to Search once the call returns.
type Index interface {
	// Upsert adds docs, replacing any document with the same ID entirely.
	Upsert(ctx context.Context, docs ...Doc) error
	// Delete removes the documents; IDs that are not indexed are ignored.
	Delete(ctx context.Context, ids ...string) error
	// DeleteAll removes every document (for `naskah reindex`).
	DeleteAll(ctx context.Context) error
	// Search runs q; a query that matches nothing is an empty Result, not an error.
	Search(ctx context.Context, q Query) (*Result, error)
	// Count returns how many documents are indexed.
	Count(ctx context.Context) (int, error)
	// Health returns nil when the index can serve requests.
	Health(ctx context.Context) error
	// Close releases the index; further calls return EUNAVAILABLE. Close is idempotent.
	Close() error
}

// ErrClosed is returned by adapters once Close was called.
func ErrClosed(adapter string) error {
	return naskah.Errorf(naskah.EUNAVAILABLE, "%s: search index is closed; restart naskah to reopen it", adapter)
}
