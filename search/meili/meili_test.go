package meili_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bpom/naskah"
	"github.com/bpom/naskah/search"
	"github.com/bpom/naskah/search/meili"
	"github.com/bpom/naskah/search/searchtest"
)

// TestConformance runs the suite against a real Meilisearch when MEILI_URL
// is set (and MEILI_KEY when it has a master key).
func TestConformance(t *testing.T) {
	url := os.Getenv("MEILI_URL")
	if url == "" {
		t.Skip("MEILI_URL is not set: the conformance suite did not run against a real Meilisearch (set MEILI_URL=http://127.0.0.1:7700 and MEILI_KEY to run it)")
	}
	n := 0
	searchtest.Run(t, func(t *testing.T) search.Index {
		n++
		uid := fmt.Sprintf("naskah_test_%d_%d", time.Now().UnixNano(), n)
		idx, err := meili.Open(context.Background(), meili.Config{URL: url, Key: os.Getenv("MEILI_KEY"), Index: uid})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { idx.Close() })
		return idx
	})
}

// request is one request the fake server received.
type request struct {
	Method, Path string
	Body         any
}

// fake is a Meilisearch stand-in that records requests and answers as the
// API reference documents: writes return 202 with a task, tasks are polled
// at GET /tasks/{uid}.
type fake struct {
	mu       sync.Mutex
	reqs     []request
	next     int
	failTask map[int]string // task uid → error type of a failed task
	search   string         // body of the search response
}

func (f *fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, _ := io.ReadAll(r.Body)
	var body any
	if len(b) > 0 {
		if err := json.Unmarshal(b, &body); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
	}
	path := r.URL.Path
	if r.URL.RawQuery != "" {
		path += "?" + r.URL.RawQuery
	}
	w.Header().Set("Content-Type", "application/json")
	if strings.HasPrefix(r.URL.Path, "/tasks/") {
		var uid int
		fmt.Sscanf(strings.TrimPrefix(r.URL.Path, "/tasks/"), "%d", &uid)
		if typ, ok := f.failTask[uid]; ok {
			fmt.Fprintf(w, `{"uid":%d,"indexUid":"naskah","status":"failed","type":"documentAdditionOrUpdate",
				"error":{"message":"Document identifier is invalid","code":"invalid_document_id","type":%q,"link":"https://docs.meilisearch.com/errors#invalid_document_id"}}`, uid, typ)
			return
		}
		fmt.Fprintf(w, `{"uid":%d,"indexUid":"naskah","status":"succeeded","type":"documentAdditionOrUpdate"}`, uid)
		return
	}
	f.reqs = append(f.reqs, request{r.Method, path, body})
	switch {
	case r.URL.Path == "/indexes/naskah/search":
		io.WriteString(w, f.search)
	case r.URL.Path == "/indexes/naskah/stats":
		io.WriteString(w, `{"numberOfDocuments":3,"isIndexing":false,"fieldDistribution":{}}`)
	case r.URL.Path == "/health":
		io.WriteString(w, `{"status":"available"}`)
	default:
		f.next++
		w.WriteHeader(http.StatusAccepted)
		fmt.Fprintf(w, `{"taskUid":%d,"indexUid":"naskah","status":"enqueued","type":"x","enqueuedAt":"2024-01-01T00:00:00Z"}`, f.next)
	}
}

func (f *fake) take() []request {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := f.reqs
	f.reqs = nil
	return r
}

func mustJSON(tb testing.TB, s string) any {
	tb.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		tb.Fatalf("bad JSON in test: %v", err)
	}
	return v
}

func checkRequests(t *testing.T, got []request, want ...request) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("requests: got %d %+v, want %d %+v", len(got), got, len(want), want)
	}
	for k := range want {
		if got[k].Method != want[k].Method || got[k].Path != want[k].Path {
			t.Errorf("request %d: got %s %s, want %s %s", k, got[k].Method, got[k].Path, want[k].Method, want[k].Path)
		}
		if !reflect.DeepEqual(got[k].Body, want[k].Body) {
			g, _ := json.Marshal(got[k].Body)
			w, _ := json.Marshal(want[k].Body)
			t.Errorf("request %d %s %s body:\ngot  %s\nwant %s", k, want[k].Method, want[k].Path, g, w)
		}
	}
}

// MustOpenFake opens the adapter against a fake server.
func MustOpenFake(tb testing.TB, f *fake) (*meili.Index, *httptest.Server) {
	tb.Helper()
	srv := httptest.NewServer(f)
	tb.Cleanup(srv.Close)
	idx, err := meili.Open(context.Background(), meili.Config{URL: srv.URL, Key: "masterKey", TaskPoll: time.Millisecond})
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() { idx.Close() })
	return idx, srv
}

func TestRequests(t *testing.T) {
	ctx := context.Background()
	f := &fake{}
	idx, _ := MustOpenFake(t, f)

	synonyms, _ := json.Marshal(search.SynonymMap())
	checkRequests(t, f.take(),
		request{"POST", "/indexes", mustJSON(t, `{"uid":"naskah","primaryKey":"id"}`)},
		request{"PATCH", "/indexes/naskah/settings", mustJSON(t, `{
			"searchableAttributes":["title","number","partner_name","partner_country","text"],
			"filterableAttributes":["type","agreement_id","kind","scope","partner_kind","partner_country","unit","step","status","document_kind","year_signed","expires_at"],
			"sortableAttributes":["signed_at","updated_at","title_sort","id"],
			"synonyms":`+string(synonyms)+`,
			"typoTolerance":{"enabled":true,"minWordSizeForTypos":{"oneTypo":5,"twoTypos":9},"disableOnWords":[],"disableOnAttributes":[],"disableOnNumbers":false},
			"pagination":{"maxTotalHits":100000}}`)},
	)

	signed := time.Date(2021, 3, 15, 0, 0, 0, 0, time.UTC)
	doc := search.Doc{ID: "a01", Type: search.TypeAgreement, AgreementID: "a01", Title: "Nota Kesepahaman", Kind: "mou",
		Scope: "domestic", Unit: "bbpom-surabaya", Text: "isi", YearSigned: 2021, SignedAt: signed}
	if err := idx.Upsert(ctx, doc); err != nil {
		t.Fatal(err)
	}
	if err := idx.Delete(ctx, "a01", "a02"); err != nil {
		t.Fatal(err)
	}
	if err := idx.DeleteAll(ctx); err != nil {
		t.Fatal(err)
	}
	checkRequests(t, f.take(),
		request{"POST", "/indexes/naskah/documents?primaryKey=id", mustJSON(t, `[{"id":"a01","type":"agreement","agreement_id":"a01",
			"title":"Nota Kesepahaman","title_sort":"nota kesepahaman","kind":"mou","scope":"domestic","unit":"bbpom-surabaya",
			"text":"isi","year_signed":2021,"signed_at":1615766400}]`)},
		request{"POST", "/indexes/naskah/documents/delete-batch", mustJSON(t, `["a01","a02"]`)},
		request{"DELETE", "/indexes/naskah/documents", nil},
	)

	f.search = `{"hits":[{"id":"a01","type":"agreement","agreement_id":"a01","title":"Nota <b>Kesepahaman</b>","year_signed":2021,"signed_at":1615766400,
		"_rankingScore":0.9,"_formatted":{"title":"Nota \ue000<b>Kesepahaman</b>\ue001","text":"…tentang \ue000kesepahaman\ue001 ini…","number":""}}],
		"totalHits":7,"hitsPerPage":1,"page":2,"totalPages":7,"processingTimeMs":1,"query":"kesepahamn",
		"facetDistribution":{"kind":{"mou":5,"pks":2},"scope":{"domestic":7}}}`
	res, err := idx.Search(ctx, search.Query{
		Text:    "kesepahamn",
		Filters: map[string][]string{search.FieldKind: {"mou", "pks"}, search.FieldYearSigned: {"2021"}},
		Type:    search.TypeAgreement, YearFrom: 2019, YearTo: 2022, ExpiresBefore: signed, Units: []string{"bbpom-surabaya", `a"b`},
		Facets: []string{search.FieldKind, search.FieldScope}, Sort: search.SortSigned, Offset: 1, Limit: 1, Highlight: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	checkRequests(t, f.take(),
		request{"POST", "/indexes/naskah/search", mustJSON(t, `{"q":"kesepahamn","matchingStrategy":"all",
			"filter":"kind IN [\"mou\", \"pks\"] AND year_signed IN [2021] AND type = \"agreement\" AND unit IN [\"bbpom-surabaya\", \"a\\\"b\"] AND year_signed >= 2019 AND year_signed <= 2022 AND expires_at < 1615766400",
			"attributesToRetrieve":["id","type","agreement_id","number","title","kind","scope","partner_name","partner_kind","partner_country","unit","step","status","document_kind","version","year_signed","signed_at","expires_at","updated_at"],
			"facets":["kind","scope"],"sort":["signed_at:desc","id:asc"],"hitsPerPage":1,"page":2,"showRankingScore":true,
			"attributesToHighlight":["title","number","partner_name"],"attributesToCrop":["text"],"cropLength":24,"cropMarker":"…",
			"highlightPreTag":"\ue000","highlightPostTag":"\ue001","hybrid":null}`)},
	)
	if res.Total != 7 || len(res.Hits) != 1 {
		t.Fatalf("got Total %d, %d hits; want 7, 1", res.Total, len(res.Hits))
	}
	h := res.Hits[0]
	if h.ID != "a01" || h.Score != 0.9 || !h.Doc.SignedAt.Equal(signed) || h.Doc.YearSigned != 2021 {
		t.Errorf("hit: got %+v", h)
	}
	wantSnippets := map[string][]string{
		search.FieldTitle: {"Nota <mark>&lt;b&gt;Kesepahaman&lt;/b&gt;</mark>"},
		search.FieldText:  {"…tentang <mark>kesepahaman</mark> ini…"},
	}
	if !reflect.DeepEqual(h.Snippets, wantSnippets) {
		t.Errorf("Snippets: got %q, want %q", h.Snippets, wantSnippets)
	}
	if got, want := fmt.Sprint(res.Facets), "map[kind:[{mou 5} {pks 2}] scope:[{domestic 7}]]"; got != want {
		t.Errorf("Facets: got %s, want %s", got, want)
	}

	// An offset inside a page asks for everything up to the page's end.
	f.search = `{"hits":[{"id":"a"},{"id":"b"},{"id":"c"}],"totalHits":3}`
	res, err = idx.Search(ctx, search.Query{Text: "x", Offset: 2, Limit: 5})
	if err != nil {
		t.Fatal(err)
	}
	checkRequests(t, f.take(), request{"POST", "/indexes/naskah/search", mustJSON(t, `{"q":"x","matchingStrategy":"all",
		"attributesToRetrieve":["id","type","agreement_id","number","title","kind","scope","partner_name","partner_kind","partner_country","unit","step","status","document_kind","version","year_signed","signed_at","expires_at","updated_at"],
		"hitsPerPage":7,"page":1,"showRankingScore":true,"hybrid":null}`)})
	if len(res.Hits) != 1 || res.Hits[0].ID != "c" || res.Total != 3 {
		t.Errorf("got %d hits (Total %d), want [c] of 3", len(res.Hits), res.Total)
	}

	// A filter field with no values matches nothing without asking.
	res, err = idx.Search(ctx, search.Query{Filters: map[string][]string{search.FieldKind: {}}, Facets: []string{search.FieldKind}})
	if err != nil || res.Total != 0 || len(res.Facets[search.FieldKind]) != 0 {
		t.Errorf("empty filter: got %+v, %v; want no hits", res, err)
	}
	if reqs := f.take(); len(reqs) != 0 {
		t.Errorf("empty filter: got requests %+v, want none", reqs)
	}

	if n, err := idx.Count(ctx); err != nil || n != 3 {
		t.Errorf("Count: got %d, %v; want 3, nil", n, err)
	}
	if err := idx.Health(ctx); err != nil {
		t.Errorf("Health: %v", err)
	}
}

func TestFailedTask(t *testing.T) {
	f := &fake{failTask: map[int]string{3: "invalid_request", 4: "internal"}}
	idx, _ := MustOpenFake(t, f)
	doc := search.Doc{ID: "a01", Type: search.TypeAgreement}
	err := idx.Upsert(context.Background(), doc)
	if naskah.ErrorCode(err) != naskah.EINVALID || !strings.Contains(err.Error(), "invalid_document_id") {
		t.Errorf("failed task (invalid_request): got %v, want code %s mentioning invalid_document_id", err, naskah.EINVALID)
	}
	err = idx.Delete(context.Background(), "a01")
	if naskah.ErrorCode(err) != naskah.EINTERNAL {
		t.Errorf("failed task (internal): got %v, want code %s", err, naskah.EINTERNAL)
	}
}

func TestDown(t *testing.T) {
	f := &fake{}
	idx, srv := MustOpenFake(t, f)
	srv.Close()
	ctx := context.Background()
	_, err := idx.Search(ctx, search.Query{Text: "obat"})
	if naskah.ErrorCode(err) != naskah.EUNAVAILABLE {
		t.Errorf("Search: got %v, want code %s", err, naskah.EUNAVAILABLE)
	}
	if err := idx.Upsert(ctx, search.Doc{ID: "a", Type: search.TypeAgreement}); naskah.ErrorCode(err) != naskah.EUNAVAILABLE {
		t.Errorf("Upsert: got %v, want code %s", err, naskah.EUNAVAILABLE)
	}
	if err := idx.Health(ctx); naskah.ErrorCode(err) != naskah.EUNAVAILABLE {
		t.Errorf("Health: got %v, want code %s", err, naskah.EUNAVAILABLE)
	}
	if _, err := meili.Open(ctx, meili.Config{URL: srv.URL}); naskah.ErrorCode(err) != naskah.EUNAVAILABLE {
		t.Errorf("Open: got %v, want code %s", err, naskah.EUNAVAILABLE)
	}
	idx.Close()
	if _, err := idx.Count(ctx); naskah.ErrorCode(err) != naskah.EUNAVAILABLE {
		t.Errorf("Count after Close: got %v, want code %s", err, naskah.EUNAVAILABLE)
	}
}

func TestTenantToken(t *testing.T) {
	idx, _ := MustOpenFake(t, &fake{})
	exp := time.Now().Add(time.Hour).Truncate(time.Second)
	tok, err := idx.TenantToken("85c3c2f9-bdd6-41f1-abd8-11fcf80e0f76", "a-search-key-of-at-least-16-bytes", []string{"dit-obat", "bkh"}, exp)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("token %q: got %d parts, want a JWT", tok, len(parts))
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var claims struct {
		APIKeyUID   string         `json:"apiKeyUid"`
		SearchRules map[string]any `json:"searchRules"`
		Exp         int64          `json:"exp"`
	}
	if err := json.Unmarshal(payload, &claims); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"naskah": map[string]any{"filter": `unit IN ["dit-obat", "bkh"]`}}
	if claims.APIKeyUID != "85c3c2f9-bdd6-41f1-abd8-11fcf80e0f76" || !reflect.DeepEqual(claims.SearchRules, want) || claims.Exp != exp.Unix() {
		t.Errorf("claims: got %+v, want uid, rules %v, exp %d", claims, want, exp.Unix())
	}
	if _, err := idx.TenantToken("uid", "key", nil, exp); naskah.ErrorCode(err) != naskah.EINVALID {
		t.Errorf("no units: got %v, want code %s", err, naskah.EINVALID)
	}
}
