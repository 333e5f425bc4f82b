// Package searchtest is the conformance suite for search.Index: every
// adapter runs Run with a constructor for an empty index, and must give the
// same answers on the relevance set (Docs).
package searchtest

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/bpom/naskah"
	"github.com/bpom/naskah/search"
)

// Run runs the conformance suite. newIndex returns an empty index and
// registers its own cleanup; Run closes indexes it is done with.
func Run(t *testing.T, newIndex func(t *testing.T) search.Index) {
	ctx := context.Background()
	docs := Docs()

	t.Run("Relevance", func(t *testing.T) {
		idx := newIndex(t)
		MustUpsert(t, idx, docs...)
		t.Run("Count", func(t *testing.T) {
			n, err := idx.Count(ctx)
			if err != nil || n != len(docs) {
				t.Fatalf("Count: got %d, %v; want %d, nil", n, err, len(docs))
			}
		})
		for _, tt := range cases {
			t.Run(tt.name, func(t *testing.T) {
				q := tt.q
				if q.Type == "" {
					q.Type = search.TypeAgreement
				}
				res := MustSearch(t, idx, q)
				checkTop(t, res, tt.top, tt.order)
				if tt.total >= 0 && res.Total != tt.total {
					t.Errorf("Total: got %d (%v), want %d", res.Total, ids(res), tt.total)
				}
			})
		}
		t.Run("HitFields", func(t *testing.T) {
			res := MustSearch(t, idx, search.Query{Text: "vaccine reliance"})
			if len(res.Hits) == 0 {
				t.Fatal("got no hits, want a04")
			}
			h, want := res.Hits[0], docs[3]
			if h.ID != want.ID || h.Type != want.Type || h.AgreementID != want.AgreementID || h.Title != want.Title || h.Number != want.Number {
				t.Errorf("hit: got %q %q %q %q %q, want %q %q %q %q %q", h.ID, h.Type, h.AgreementID, h.Title, h.Number,
					want.ID, want.Type, want.AgreementID, want.Title, want.Number)
			}
			want.Text = ""
			if !sameDoc(h.Doc, want) {
				t.Errorf("Doc: got %+v, want %+v", h.Doc, want)
			}
			if h.Snippets != nil {
				t.Errorf("Snippets without Highlight: got %v, want nil", h.Snippets)
			}
		})
		t.Run("Facets", func(t *testing.T) { testFacets(t, idx, docs) })
		t.Run("Filters", func(t *testing.T) { testFilters(t, idx, docs) })
		t.Run("Sort", func(t *testing.T) { testSort(t, idx, docs) })
		t.Run("Highlight", func(t *testing.T) { testHighlight(t, idx) })
		t.Run("Invalid", func(t *testing.T) { testInvalid(t, idx) })
	})

	t.Run("UpsertReplaces", func(t *testing.T) {
		idx := newIndex(t)
		d := docs[0]
		d.Title, d.Text = "Zebra original title", "first text"
		MustUpsert(t, idx, d)
		d.Title, d.Text = "Quokka replacement title", "second text"
		MustUpsert(t, idx, d)
		if n := MustCount(t, idx); n != 1 {
			t.Errorf("Count: got %d, want 1", n)
		}
		if res := MustSearch(t, idx, search.Query{Text: "zebra "}); res.Total != 0 {
			t.Errorf("old title: got %v, want no hits", ids(res))
		}
		res := MustSearch(t, idx, search.Query{Text: "quokka"})
		if res.Total != 1 || res.Hits[0].Title != d.Title {
			t.Errorf("new title: got %v, want [%s] titled %q", ids(res), d.ID, d.Title)
		}
	})

	t.Run("Delete", func(t *testing.T) {
		idx := newIndex(t)
		MustUpsert(t, idx, docs...)
		if err := idx.Delete(ctx, "a04", "a15", "no-such-doc"); err != nil {
			t.Fatalf("Delete: %v", err)
		}
		if n := MustCount(t, idx); n != len(docs)-2 {
			t.Errorf("Count: got %d, want %d", n, len(docs)-2)
		}
		if res := MustSearch(t, idx, search.Query{Text: "letter of intent"}); res.Total != 0 {
			t.Errorf("deleted docs: got %v, want none", ids(res))
		}
		if err := idx.Delete(ctx); err != nil {
			t.Errorf("Delete of nothing: got %v, want nil", err)
		}
		if err := idx.DeleteAll(ctx); err != nil {
			t.Fatalf("DeleteAll: %v", err)
		}
		if n := MustCount(t, idx); n != 0 {
			t.Errorf("Count after DeleteAll: got %d, want 0", n)
		}
		if res := MustSearch(t, idx, search.Query{}); res.Total != 0 || len(res.Hits) != 0 {
			t.Errorf("Search after DeleteAll: got %d hits, want 0", res.Total)
		}
		MustUpsert(t, idx, docs[0])
		if n := MustCount(t, idx); n != 1 {
			t.Errorf("Count after DeleteAll and Upsert: got %d, want 1", n)
		}
	})

	t.Run("InvalidDoc", func(t *testing.T) {
		idx := newIndex(t)
		for _, d := range []search.Doc{{ID: "", Type: search.TypeAgreement}, {ID: "a/1", Type: search.TypeAgreement}, {ID: "a1", Type: "memo"}} {
			if err := idx.Upsert(ctx, d); naskah.ErrorCode(err) != naskah.EINVALID {
				t.Errorf("Upsert(id %q type %q): got %v, want code %s", d.ID, d.Type, err, naskah.EINVALID)
			}
		}
	})

	t.Run("Closed", func(t *testing.T) {
		idx := newIndex(t)
		if err := idx.Health(ctx); err != nil {
			t.Fatalf("Health: %v", err)
		}
		if err := idx.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		if err := idx.Close(); err != nil {
			t.Errorf("second Close: got %v, want nil", err)
		}
		for name, err := range map[string]error{
			"Health":    idx.Health(ctx),
			"Upsert":    idx.Upsert(ctx, docs[0]),
			"Delete":    idx.Delete(ctx, "a01"),
			"DeleteAll": idx.DeleteAll(ctx),
			"Search":    func() error { _, err := idx.Search(ctx, search.Query{Text: "obat"}); return err }(),
			"Count":     func() error { _, err := idx.Count(ctx); return err }(),
		} {
			if naskah.ErrorCode(err) != naskah.EUNAVAILABLE {
				t.Errorf("%s after Close: got %v, want code %s", name, err, naskah.EUNAVAILABLE)
			}
		}
	})
}

// A relevance case: the first len(top) hits are exactly top (in any order
// unless order), and Total is total (-1: not checked). Type defaults to
// agreement.
type relevanceCase struct {
	name  string
	q     search.Query
	top   []string
	order bool
	total int
}

var cases = []relevanceCase{
	{name: "TypoKesepahaman", q: search.Query{Text: "kesepahamn"}, top: []string{"a01", "a08", "a12", "a20"}, total: 4},
	{name: "TypoPerjanjian", q: search.Query{Text: "perjanjan"}, top: []string{"a02", "a07", "a09", "a13", "a16", "a18"}, total: 6},
	{name: "TypoEnglish", q: search.Query{Text: "pharmaceutcal inspection"}, top: []string{"a10"}, total: 1},
	{name: "SynonymMoU", q: search.Query{Text: "MoU"}, top: []string{"a01", "a03", "a08", "a12", "a14", "a17", "a20"}, total: 7},
	{name: "SynonymNotaKesepahaman", q: search.Query{Text: "nota kesepahaman"}, top: []string{"a01", "a03", "a08", "a12", "a14", "a17", "a20"}, total: 7},
	{name: "SynonymPKS", q: search.Query{Text: "PKS"}, top: []string{"a02", "a07", "a09", "a13", "a16", "a18"}, total: 6},
	{name: "LetterOfIntent", q: search.Query{Text: "letter of intent"}, top: []string{"a04", "a15"}, total: 2},
	{name: "SynonymLoI", q: search.Query{Text: "LoI"}, top: []string{"a04", "a15"}, total: 2},
	{name: "SynonymRoD", q: search.Query{Text: "RoD"}, top: []string{"a05"}, total: 1},
	{name: "MinutesOfMeeting", q: search.Query{Text: "minutes of meeting"}, top: []string{"a06"}, total: 1},
	{name: "SynonymMoM", q: search.Query{Text: "MoM"}, top: []string{"a06"}, total: 1},
	{name: "SynonymCTC", q: search.Query{Text: "CTC", Type: search.TypeVersion}, top: []string{"v03-1"}, total: 1},
	{name: "SynonymVaksin", q: search.Query{Text: "vaksin"}, top: []string{"a04"}, total: 1},
	{name: "SynonymKosmetik", q: search.Query{Text: "kosmetik"}, top: []string{"a05", "a12"}, total: 2},
	{name: "English", q: search.Query{Text: "vaccine reliance"}, top: []string{"a04"}, total: 1},
	{name: "Halal", q: search.Query{Text: "halal"}, top: []string{"a05", "a15"}, total: 2},
	{name: "Indonesian", q: search.Query{Text: "keamanan pangan jajanan"}, top: []string{"a07"}, total: 1},
	{name: "TitleFirst", q: search.Query{Text: "obat ilegal"}, top: []string{"a08", "a18"}, order: true, total: 2},
	{name: "Partner", q: search.Query{Text: "Universitas Airlangga"}, top: []string{"a02"}, total: 1},
	{name: "PartnerKeyword", q: search.Query{Text: "bea cukai"}, top: []string{"a18"}, total: 1},
	{name: "PrefixLastWord", q: search.Query{Text: "Therapeutic Goo"}, top: []string{"a03"}, total: 1},
	{name: "Units", q: search.Query{Text: "kesepahaman", Units: []string{"dit-obat", "bkh"}}, top: []string{"a08"}, total: 1},
	{name: "TextAndFilter", q: search.Query{Text: "memorandum", Filters: map[string][]string{search.FieldScope: {"foreign"}}}, top: []string{"a03", "a14", "a17"}, total: 3},
	{name: "Versions", q: search.Query{Text: "draft", Filters: map[string][]string{search.FieldAgreementID: {"a01"}}, Type: search.TypeVersion}, top: []string{"v01-1", "v01-2"}, total: 2},
	{name: "NoMatch", q: search.Query{Text: "xylofonzebrawq"}, top: nil, total: 0},
}

func testFacets(t *testing.T, idx search.Index, docs []search.Doc) {
	facets := []string{search.FieldKind, search.FieldScope, search.FieldPartnerKind, search.FieldPartnerCountry,
		search.FieldUnit, search.FieldStep, search.FieldStatus, search.FieldYearSigned}
	res := MustSearch(t, idx, search.Query{Type: search.TypeAgreement, Facets: facets, Limit: 1})
	agreements := filter(docs, func(d search.Doc) bool { return d.Type == search.TypeAgreement })
	if res.Total != len(agreements) {
		t.Errorf("Total: got %d, want %d", res.Total, len(agreements))
	}
	for _, f := range facets {
		checkFacet(t, res, f, agreements)
	}
	// Counts are over all matches, not the page.
	res = MustSearch(t, idx, search.Query{Text: "mou", Type: search.TypeAgreement, Facets: []string{search.FieldScope}, Limit: 1})
	if got, want := fmt.Sprint(res.Facets[search.FieldScope]), "[{domestic 4} {foreign 3}]"; got != want {
		t.Errorf("scope facet of \"mou\": got %s, want %s", got, want)
	}
	res = MustSearch(t, idx, search.Query{Type: search.TypeVersion, Facets: []string{search.FieldDocumentKind, search.FieldStep}})
	versions := filter(docs, func(d search.Doc) bool { return d.Type == search.TypeVersion })
	checkFacet(t, res, search.FieldDocumentKind, versions)
	checkFacet(t, res, search.FieldStep, versions)
}

func checkFacet(t *testing.T, res *search.Result, field string, docs []search.Doc) {
	t.Helper()
	counts := map[string]int{}
	for _, d := range docs {
		if v := d.Keyword(field); v != "" {
			counts[v]++
		}
	}
	want := []search.FacetCount{}
	for v, n := range counts {
		want = append(want, search.FacetCount{Value: v, Count: n})
	}
	search.SortFacetCounts(want)
	if got := res.Facets[field]; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("facet %s: got %v, want %v", field, got, want)
	}
}

func testFilters(t *testing.T, idx search.Index, docs []search.Doc) {
	cutoff := time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		q    search.Query
		keep func(d search.Doc) bool
	}{
		{"OrWithinAndAcross", search.Query{Filters: map[string][]string{
			search.FieldScope:       {"foreign"},
			search.FieldPartnerKind: {PartnerGovernment, PartnerAcademia}}},
			func(d search.Doc) bool {
				return d.Scope == "foreign" && (d.PartnerKind == PartnerGovernment || d.PartnerKind == PartnerAcademia)
			}},
		{"YearSigned", search.Query{Filters: map[string][]string{search.FieldYearSigned: {"2021", "2022"}}},
			func(d search.Doc) bool { return d.YearSigned == 2021 || d.YearSigned == 2022 }},
		{"YearRange", search.Query{YearFrom: 2019, YearTo: 2020},
			func(d search.Doc) bool { return d.YearSigned >= 2019 && d.YearSigned <= 2020 }},
		{"YearFrom", search.Query{YearFrom: 2023},
			func(d search.Doc) bool { return d.YearSigned >= 2023 }},
		{"ExpiresBefore", search.Query{ExpiresBefore: cutoff},
			func(d search.Doc) bool { return !d.ExpiresAt.IsZero() && d.ExpiresAt.Before(cutoff) }},
		{"Units", search.Query{Units: []string{"bbpom-surabaya", "bbpom-medan"}},
			func(d search.Doc) bool { return d.Unit == "bbpom-surabaya" || d.Unit == "bbpom-medan" }},
		{"UnitsAndFilter", search.Query{Units: []string{"dit-obat"}, Filters: map[string][]string{search.FieldUnit: {"dit-obat", "bkh"}, search.FieldKind: {"mou"}}},
			func(d search.Doc) bool { return d.Unit == "dit-obat" && d.Kind == "mou" }},
		{"EmptyValues", search.Query{Filters: map[string][]string{search.FieldKind: {}}},
			func(d search.Doc) bool { return false }},
		{"Status", search.Query{Filters: map[string][]string{search.FieldStatus: {"draft"}}},
			func(d search.Doc) bool { return d.Status == "draft" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := tt.q
			q.Type, q.Limit, q.Sort = search.TypeAgreement, search.MaxLimit, search.SortTitle
			res := MustSearch(t, idx, q)
			want := filter(docs, func(d search.Doc) bool { return d.Type == search.TypeAgreement && tt.keep(d) })
			sortByTitle(want)
			if got, w := ids(res), docIDs(want); !slices.Equal(got, w) {
				t.Errorf("got %v, want %v", got, w)
			}
			if res.Total != len(want) {
				t.Errorf("Total: got %d, want %d", res.Total, len(want))
			}
		})
	}
}

func testSort(t *testing.T, idx search.Index, docs []search.Doc) {
	agreements := filter(docs, func(d search.Doc) bool { return d.Type == search.TypeAgreement })
	bySigned := slices.Clone(agreements)
	sort.SliceStable(bySigned, func(i, j int) bool { return bySigned[i].SignedAt.After(bySigned[j].SignedAt) })
	byUpdated := slices.Clone(agreements)
	sort.SliceStable(byUpdated, func(i, j int) bool { return byUpdated[i].UpdatedAt.After(byUpdated[j].UpdatedAt) })
	byTitle := slices.Clone(agreements)
	sortByTitle(byTitle)
	tests := []struct {
		name string
		q    search.Query
		want []search.Doc
	}{
		{"SignedDesc", search.Query{Sort: search.SortSigned, Limit: 100}, bySigned},
		{"UpdatedDesc", search.Query{Sort: search.SortUpdated, Limit: 100}, byUpdated},
		{"NoTextIsUpdated", search.Query{Limit: 100}, byUpdated},
		{"Title", search.Query{Sort: search.SortTitle, Limit: 100}, byTitle},
		{"Page2", search.Query{Sort: search.SortTitle, Offset: 5, Limit: 5}, byTitle[5:10]},
		{"LastPage", search.Query{Sort: search.SortTitle, Offset: 18, Limit: 5}, byTitle[18:]},
		{"PastEnd", search.Query{Sort: search.SortTitle, Offset: 40, Limit: 5}, nil},
		{"DefaultLimit", search.Query{Sort: search.SortTitle}, byTitle[:search.DefaultLimit]},
		{"TextSortedBySigned", search.Query{Text: "perjanjian", Sort: search.SortSigned},
			filter(bySigned, func(d search.Doc) bool { return d.Kind == "pks" })},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := tt.q
			q.Type = search.TypeAgreement
			res := MustSearch(t, idx, q)
			if got, want := ids(res), docIDs(tt.want); !slices.Equal(got, want) {
				t.Errorf("got %v, want %v", got, want)
			}
			if strings.HasPrefix(tt.name, "Page") || tt.name == "PastEnd" || tt.name == "DefaultLimit" {
				if res.Total != len(agreements) {
					t.Errorf("Total: got %d, want %d", res.Total, len(agreements))
				}
			}
		})
	}
}

func testHighlight(t *testing.T, idx search.Index) {
	tests := []struct {
		text, id string
		want     map[string]string // field → lowercased marked word that some fragment must contain
	}{
		{"vaccine", "a04", map[string]string{search.FieldTitle: "<mark>vaccine</mark>", search.FieldText: "<mark>vaccine</mark>"}},
		{"kesepahamn", "a08", map[string]string{search.FieldTitle: "<mark>kesepahaman</mark>"}},
		{"airlangga", "a02", map[string]string{search.FieldPartnerName: "<mark>airlangga</mark>"}},
		{"pengujian sampel", "a02", map[string]string{search.FieldText: "<mark>sampel</mark>", search.FieldTitle: "<mark>pengujian</mark>"}},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			res := MustSearch(t, idx, search.Query{Text: tt.text, Highlight: true, Type: search.TypeAgreement})
			h := findHit(res, tt.id)
			if h == nil {
				t.Fatalf("got %v, want %s among hits", ids(res), tt.id)
			}
			for field, want := range tt.want {
				frags := h.Snippets[field]
				if !slices.ContainsFunc(frags, func(f string) bool { return strings.Contains(strings.ToLower(f), want) }) {
					t.Errorf("Snippets[%s]: got %q, want a fragment containing %q", field, frags, want)
				}
			}
		})
	}
	t.Run("Escaped", func(t *testing.T) {
		res := MustSearch(t, idx, search.Query{Text: "obat", Highlight: true, Filters: map[string][]string{search.FieldAgreementID: {"a01"}}, Type: search.TypeAgreement})
		h := findHit(res, "a01")
		if h == nil {
			t.Fatalf("got %v, want a01", ids(res))
		}
		for field, frags := range h.Snippets {
			for _, f := range frags {
				rest := strings.NewReplacer(search.HighlightStart, "", search.HighlightEnd, "").Replace(f)
				if strings.ContainsAny(rest, "<>") {
					t.Errorf("Snippets[%s] %q: got markup other than <mark>, want escaped text", field, f)
				}
			}
		}
	})
}

func testInvalid(t *testing.T, idx search.Index) {
	for name, q := range map[string]search.Query{
		"FilterField": {Filters: map[string][]string{"partner_name": {"x"}}},
		"FacetField":  {Facets: []string{"title"}},
		"Sort":        {Sort: "-title"},
		"Limit":       {Limit: search.MaxLimit + 1},
		"Offset":      {Offset: -1},
		"Type":        {Type: "memo"},
		"Year":        {Filters: map[string][]string{search.FieldYearSigned: {"dua ribu"}}},
		"YearRange":   {YearFrom: 2022, YearTo: 2020},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := idx.Search(context.Background(), q); naskah.ErrorCode(err) != naskah.EINVALID {
				t.Errorf("got %v, want code %s", err, naskah.EINVALID)
			}
		})
	}
}

// MustUpsert upserts docs or fails tb.
func MustUpsert(tb testing.TB, idx search.Index, docs ...search.Doc) {
	tb.Helper()
	if err := idx.Upsert(context.Background(), docs...); err != nil {
		tb.Fatalf("Upsert: %v", err)
	}
}

// MustSearch runs q or fails tb.
func MustSearch(tb testing.TB, idx search.Index, q search.Query) *search.Result {
	tb.Helper()
	res, err := idx.Search(context.Background(), q)
	if err != nil {
		tb.Fatalf("Search(%+v): %v", q, err)
	}
	return res
}

// MustCount counts documents or fails tb.
func MustCount(tb testing.TB, idx search.Index) int {
	tb.Helper()
	n, err := idx.Count(context.Background())
	if err != nil {
		tb.Fatalf("Count: %v", err)
	}
	return n
}

func checkTop(t *testing.T, res *search.Result, top []string, order bool) {
	t.Helper()
	got := ids(res)
	if len(got) < len(top) {
		t.Errorf("hits: got %v, want %v on top", got, top)
		return
	}
	head := slices.Clone(got[:len(top)])
	want := slices.Clone(top)
	if !order {
		slices.Sort(head)
		slices.Sort(want)
	}
	if !slices.Equal(head, want) {
		t.Errorf("top hits: got %v, want %v on top", got, top)
	}
}

func ids(res *search.Result) []string {
	out := []string{}
	for _, h := range res.Hits {
		out = append(out, h.ID)
	}
	return out
}

func docIDs(docs []search.Doc) []string {
	out := []string{}
	for _, d := range docs {
		out = append(out, d.ID)
	}
	return out
}

func filter(docs []search.Doc, keep func(search.Doc) bool) []search.Doc {
	var out []search.Doc
	for _, d := range docs {
		if keep(d) {
			out = append(out, d)
		}
	}
	return out
}

func sortByTitle(docs []search.Doc) {
	sort.SliceStable(docs, func(i, j int) bool {
		a, b := strings.ToLower(docs[i].Title), strings.ToLower(docs[j].Title)
		if a != b {
			return a < b
		}
		return docs[i].ID < docs[j].ID
	})
}

func findHit(res *search.Result, id string) *search.Hit {
	for k := range res.Hits {
		if res.Hits[k].ID == id {
			return &res.Hits[k]
		}
	}
	return nil
}

// sameDoc compares documents, times by instant (adapters may return another location).
func sameDoc(a, b search.Doc) bool {
	if !a.SignedAt.Equal(b.SignedAt) || !a.ExpiresAt.Equal(b.ExpiresAt) || !a.UpdatedAt.Equal(b.UpdatedAt) {
		return false
	}
	a.SignedAt, a.ExpiresAt, a.UpdatedAt = b.SignedAt, b.ExpiresAt, b.UpdatedAt
	return a == b
}
