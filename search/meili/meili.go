// Package meili is the Meilisearch search.Index (production). Every write
// waits for its task and checks the task's status: meilisearch-go's
// WaitForTask returns no error for a failed task.
package meili

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	ms "github.com/meilisearch/meilisearch-go"

	"github.com/bpom/naskah"
	"github.com/bpom/naskah/search"
)

var _ search.Index = (*Index)(nil)

// Config says where the index lives.
type Config struct {
	URL   string // e.g. http://127.0.0.1:7700
	Key   string // master or admin API key; "" for a server without keys
	Index string // index uid; DefaultIndex when empty
	// TaskPoll is how often a task's status is polled (default 50ms).
	TaskPoll time.Duration
	// HTTPClient overrides the HTTP client (tests).
	HTTPClient *http.Client
}

// DefaultIndex is the index uid when Config.Index is empty.
const DefaultIndex = "naskah"

// Highlight markers sent to Meilisearch: private-use runes that cannot be
// in a document, so the text can be HTML-escaped before they become <mark>.
const (
	preTag  = "\ue000"
	postTag = "\ue001"
)

// Settings returns the index settings the adapter applies. Searchable
// attributes are in ranking order: a match in the title beats one in the text.
func Settings() *ms.Settings {
	filterable := append([]string{}, search.FilterFields...)
	filterable = append(filterable, fieldExpiresAt)
	return &ms.Settings{
		SearchableAttributes: []string{search.FieldTitle, search.FieldNumber, search.FieldPartnerName, search.FieldPartnerCountry, search.FieldText},
		FilterableAttributes: filterable,
		SortableAttributes:   []string{fieldSignedAt, fieldUpdatedAt, fieldTitleSort, fieldID},
		Synonyms:             search.SynonymMap(),
		TypoTolerance: &ms.TypoTolerance{
			Enabled:             true,
			MinWordSizeForTypos: ms.MinWordSizeForTypos{OneTypo: 5, TwoTypos: 9},
			DisableOnWords:      []string{},
			DisableOnAttributes: []string{},
		},
		Pagination: &ms.Pagination{MaxTotalHits: 100000}, // exact totals for the whole archive
	}
}

const (
	fieldID        = "id"
	fieldSignedAt  = "signed_at"
	fieldExpiresAt = "expires_at"
	fieldUpdatedAt = "updated_at"
	fieldTitleSort = "title_sort"
)

// retrieve is every attribute but text, which is large and only needed as a crop.
var retrieve = []string{fieldID, search.FieldType, search.FieldAgreementID, search.FieldNumber, search.FieldTitle,
	search.FieldKind, search.FieldScope, search.FieldPartnerName, search.FieldPartnerKind, search.FieldPartnerCountry,
	search.FieldUnit, search.FieldStep, search.FieldStatus, search.FieldDocumentKind, "version", search.FieldYearSigned,
	fieldSignedAt, fieldExpiresAt, fieldUpdatedAt}

// mdoc is the JSON document stored in Meilisearch; times are Unix seconds
// so that they sort and filter as numbers.
type mdoc struct {
	ID             string `json:"id"`
	Type           string `json:"type"`
	AgreementID    string `json:"agreement_id,omitempty"`
	Number         string `json:"number,omitempty"`
	Title          string `json:"title,omitempty"`
	TitleSort      string `json:"title_sort,omitempty"`
	Kind           string `json:"kind,omitempty"`
	Scope          string `json:"scope,omitempty"`
	PartnerName    string `json:"partner_name,omitempty"`
	PartnerKind    string `json:"partner_kind,omitempty"`
	PartnerCountry string `json:"partner_country,omitempty"`
	Unit           string `json:"unit,omitempty"`
	Step           string `json:"step,omitempty"`
	Status         string `json:"status,omitempty"`
	DocumentKind   string `json:"document_kind,omitempty"`
	Version        int    `json:"version,omitempty"`
	Text           string `json:"text,omitempty"`
	YearSigned     int    `json:"year_signed,omitempty"`
	SignedAt       int64  `json:"signed_at,omitempty"`
	ExpiresAt      int64  `json:"expires_at,omitempty"`
	UpdatedAt      int64  `json:"updated_at,omitempty"`
}

func unix(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

func fromUnix(s int64) time.Time {
	if s == 0 {
		return time.Time{}
	}
	return time.Unix(s, 0).UTC()
}

func toMeili(d search.Doc) mdoc {
	return mdoc{ID: d.ID, Type: d.Type, AgreementID: d.AgreementID, Number: d.Number, Title: d.Title,
		TitleSort: strings.ToLower(d.Title), Kind: d.Kind, Scope: d.Scope, PartnerName: d.PartnerName,
		PartnerKind: d.PartnerKind, PartnerCountry: d.PartnerCountry, Unit: d.Unit, Step: d.Step, Status: d.Status,
		DocumentKind: d.DocumentKind, Version: d.Version, Text: d.Text, YearSigned: d.YearSigned,
		SignedAt: unix(d.SignedAt), ExpiresAt: unix(d.ExpiresAt), UpdatedAt: unix(d.UpdatedAt)}
}

func (m mdoc) doc() search.Doc {
	return search.Doc{ID: m.ID, Type: m.Type, AgreementID: m.AgreementID, Number: m.Number, Title: m.Title,
		Kind: m.Kind, Scope: m.Scope, PartnerName: m.PartnerName, PartnerKind: m.PartnerKind,
		PartnerCountry: m.PartnerCountry, Unit: m.Unit, Step: m.Step, Status: m.Status, DocumentKind: m.DocumentKind,
		Version: m.Version, YearSigned: m.YearSigned,
		SignedAt: fromUnix(m.SignedAt), ExpiresAt: fromUnix(m.ExpiresAt), UpdatedAt: fromUnix(m.UpdatedAt)}
}

// Index is a Meilisearch-backed search.Index. Safe for concurrent use.
type Index struct {
	cfg    Config
	client ms.ServiceManager
	index  ms.IndexManager

	mu     sync.RWMutex
	closed bool
}

// Open connects to Meilisearch, creates the index when missing and applies
// Settings, waiting for each task. A server that cannot be reached is
// EUNAVAILABLE.
func Open(ctx context.Context, cfg Config) (*Index, error) {
	if cfg.URL == "" {
		return nil, naskah.Errorf(naskah.EINVALID, "meili: no URL: set the Meilisearch URL, e.g. http://127.0.0.1:7700")
	}
	if cfg.Index == "" {
		cfg.Index = DefaultIndex
	}
	if cfg.TaskPoll <= 0 {
		cfg.TaskPoll = 50 * time.Millisecond
	}
	// No client retries: the outbox retries with its own backoff, and a
	// search should fail fast rather than hang on a down server.
	opts := []ms.Option{ms.DisableRetries()}
	if cfg.Key != "" {
		opts = append(opts, ms.WithAPIKey(cfg.Key))
	}
	if cfg.HTTPClient != nil {
		opts = append(opts, ms.WithCustomClient(cfg.HTTPClient))
	}
	client := ms.New(cfg.URL, opts...)
	i := &Index{cfg: cfg, client: client, index: client.Index(cfg.Index)}

	task, err := client.CreateIndex(ctx, &ms.IndexConfig{Uid: cfg.Index, PrimaryKey: fieldID})
	if err != nil {
		return nil, translate(err, "create index")
	}
	if err := i.wait(ctx, task, "create index"); err != nil && !isCode(err, ms.APIErrCodeIndexAlreadyExists) {
		return nil, err
	}
	task, err = i.index.UpdateSettings(ctx, Settings())
	if err != nil {
		return nil, translate(err, "settings")
	}
	if err := i.wait(ctx, task, "settings"); err != nil {
		return nil, err
	}
	return i, nil
}

// taskError keeps a failed task's error code for isCode.
type taskError struct{ ms.APIErrorDetails }

func (e *taskError) Error() string { return fmt.Sprintf("%s (%s)", e.Message, e.Code) }

func isCode(err error, code ms.APIErrCode) bool {
	var te *taskError
	return errors.As(err, &te) && te.Code == code
}

// wait waits for task and turns a failed or cancelled task into an error.
func (i *Index) wait(ctx context.Context, info *ms.TaskInfo, op string) error {
	t, err := i.client.WaitForTask(ctx, info.TaskUID, i.cfg.TaskPoll)
	if err != nil {
		return translate(err, op)
	}
	switch t.Status {
	case ms.TaskStatusSucceeded:
		return nil
	case ms.TaskStatusFailed:
		te := &taskError{t.Error}
		code := naskah.EINTERNAL
		if t.Error.Type == "invalid_request" {
			code = naskah.EINVALID
		}
		return naskah.WrapError(code, te, "meili: %s: task %d failed: %s", op, t.UID, t.Error.Message)
	}
	return naskah.Errorf(naskah.EUNAVAILABLE, "meili: %s: task %d ended %s; try again", op, t.UID, t.Status)
}

// translate turns a meilisearch-go error into ours.
func translate(err error, op string) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return naskah.WrapError(naskah.EUNAVAILABLE, err, "meili: %s cancelled or timed out; try again", op)
	}
	var me *ms.Error
	if errors.As(err, &me) {
		switch {
		case me.ErrCode == ms.CommunicationError || me.ErrCode == ms.TimeoutError || me.ErrCode == ms.MaxRetriesExceeded:
			return naskah.WrapError(naskah.EUNAVAILABLE, err, "meili: %s: Meilisearch cannot be reached; check that it runs and the URL is right", op)
		case me.StatusCode == http.StatusUnauthorized || me.StatusCode == http.StatusForbidden:
			return naskah.WrapError(naskah.EUNAVAILABLE, err, "meili: %s: Meilisearch refused the API key; check the configured key", op)
		case me.APIError.Code == ms.APIErrCodeIndexNotFound:
			return naskah.WrapError(naskah.EUNAVAILABLE, err, "meili: %s: the index is missing; restart naskah and run `naskah reindex`", op)
		case me.StatusCode >= 500:
			return naskah.WrapError(naskah.EUNAVAILABLE, err, "meili: %s: Meilisearch failed; try again later", op)
		case me.StatusCode >= 400:
			return naskah.WrapError(naskah.EINVALID, err, "meili: %s: Meilisearch rejected the request: %s", op, me.APIError.Message)
		}
	}
	return naskah.WrapError(naskah.EINTERNAL, err, "meili: %s", op)
}

func (i *Index) acquire() error {
	i.mu.RLock()
	if i.closed {
		i.mu.RUnlock()
		return search.ErrClosed("meili")
	}
	return nil
}

// Upsert implements search.Index: documents are replaced whole (POST /documents).
func (i *Index) Upsert(ctx context.Context, docs ...search.Doc) error {
	for k := range docs {
		if err := docs[k].Validate(); err != nil {
			return err
		}
	}
	if err := i.acquire(); err != nil {
		return err
	}
	defer i.mu.RUnlock()
	if len(docs) == 0 {
		return nil
	}
	md := make([]mdoc, len(docs))
	for k, d := range docs {
		md[k] = toMeili(d)
	}
	pk := fieldID
	task, err := i.index.AddDocuments(ctx, md, &ms.DocumentOptions{PrimaryKey: &pk})
	if err != nil {
		return translate(err, "add documents")
	}
	return i.wait(ctx, task, "add documents")
}

// Delete implements search.Index.
func (i *Index) Delete(ctx context.Context, ids ...string) error {
	if err := i.acquire(); err != nil {
		return err
	}
	defer i.mu.RUnlock()
	if len(ids) == 0 {
		return nil
	}
	task, err := i.index.DeleteDocuments(ctx, ids, nil)
	if err != nil {
		return translate(err, "delete documents")
	}
	return i.wait(ctx, task, "delete documents")
}

// DeleteAll implements search.Index.
func (i *Index) DeleteAll(ctx context.Context) error {
	if err := i.acquire(); err != nil {
		return err
	}
	defer i.mu.RUnlock()
	task, err := i.index.DeleteAllDocuments(ctx, nil)
	if err != nil {
		return translate(err, "delete all documents")
	}
	return i.wait(ctx, task, "delete all documents")
}

// Count implements search.Index.
func (i *Index) Count(ctx context.Context) (int, error) {
	if err := i.acquire(); err != nil {
		return 0, err
	}
	defer i.mu.RUnlock()
	st, err := i.index.GetStats(ctx, nil)
	if err != nil {
		return 0, translate(err, "stats")
	}
	return int(st.NumberOfDocuments), nil
}

// Health implements search.Index.
func (i *Index) Health(ctx context.Context) error {
	if err := i.acquire(); err != nil {
		return err
	}
	defer i.mu.RUnlock()
	h, err := i.client.Health(ctx)
	if err != nil {
		return translate(err, "health")
	}
	if h.Status != "available" {
		return naskah.Errorf(naskah.EUNAVAILABLE, "meili: Meilisearch reports %q; try again later", h.Status)
	}
	return nil
}

// Close implements search.Index.
func (i *Index) Close() error {
	i.mu.Lock()
	defer i.mu.Unlock()
	if !i.closed {
		i.closed = true
		i.client.Close()
	}
	return nil
}

// TenantToken returns a search-only token, signed with the API key whose
// uid is apiKeyUID and value apiKey, that sees only documents of units
// (searchRules filter on unit) until expiresAt. Give it to a client that
// queries Meilisearch directly for one unit.
func (i *Index) TenantToken(apiKeyUID, apiKey string, units []string, expiresAt time.Time) (string, error) {
	if len(units) == 0 {
		return "", naskah.Errorf(naskah.EINVALID, "meili: a tenant token needs at least one unit")
	}
	rules := map[string]any{i.cfg.Index: map[string]any{"filter": inFilter(search.FieldUnit, units)}}
	tok, err := i.client.GenerateTenantToken(apiKeyUID, rules, &ms.TenantTokenOptions{APIKey: apiKey, ExpiresAt: expiresAt})
	if err != nil {
		return "", naskah.WrapError(naskah.EINVALID, err, "meili: tenant token: check the API key uid and value and that the expiry is in the future")
	}
	return tok, nil
}

func quote(v string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(v) + `"`
}

func inFilter(field string, values []string) string {
	q := make([]string, len(values))
	for k, v := range values {
		if field == search.FieldYearSigned {
			q[k] = v // validated as a number by Query.Normalize
		} else {
			q[k] = quote(v)
		}
	}
	return field + " IN [" + strings.Join(q, ", ") + "]"
}

// Filter returns the Meilisearch filter expression for q's restrictions,
// and false when q can match nothing (a filter field with no values).
func Filter(q search.Query) (string, bool) {
	var and []string
	for _, f := range search.FilterFields {
		vs, ok := q.Filters[f]
		if !ok {
			continue
		}
		if len(vs) == 0 {
			return "", false
		}
		and = append(and, inFilter(f, vs))
	}
	if q.Type != "" {
		and = append(and, search.FieldType+" = "+quote(q.Type))
	}
	if len(q.Units) > 0 {
		and = append(and, inFilter(search.FieldUnit, q.Units))
	}
	if q.YearFrom != 0 {
		and = append(and, search.FieldYearSigned+" >= "+strconv.Itoa(q.YearFrom))
	}
	if q.YearTo != 0 {
		and = append(and, search.FieldYearSigned+" <= "+strconv.Itoa(q.YearTo))
	}
	if !q.ExpiresBefore.IsZero() {
		and = append(and, fieldExpiresAt+" < "+strconv.FormatInt(q.ExpiresBefore.Unix(), 10))
	}
	return strings.Join(and, " AND "), true
}

// Request returns the search request for a normalized q.
func Request(q search.Query) *ms.SearchRequest {
	filter, _ := Filter(q)
	req := &ms.SearchRequest{
		Query:                q.Text,
		MatchingStrategy:     ms.All, // every word must match, as in the bleve adapter
		AttributesToRetrieve: retrieve,
		Facets:               q.Facets,
		ShowRankingScore:     true,
	}
	if filter != "" {
		req.Filter = filter
	}
	// Page mode gives exact totals; an offset that is not a whole number
	// of pages asks for everything up to the end of the page and skips.
	if q.Offset%q.Limit == 0 {
		hpp := int64(q.Limit)
		req.HitsPerPage, req.Page = &hpp, int64(q.Offset/q.Limit+1)
	} else {
		hpp := int64(q.Offset + q.Limit)
		req.HitsPerPage, req.Page = &hpp, 1
	}
	switch q.Sort {
	case search.SortSigned:
		req.Sort = []string{fieldSignedAt + ":desc", fieldID + ":asc"}
	case search.SortUpdated:
		req.Sort = []string{fieldUpdatedAt + ":desc", fieldID + ":asc"}
	case search.SortTitle:
		req.Sort = []string{fieldTitleSort + ":asc", fieldID + ":asc"}
	}
	if q.Highlight {
		req.AttributesToHighlight = []string{search.FieldTitle, search.FieldNumber, search.FieldPartnerName}
		req.AttributesToCrop = []string{search.FieldText}
		req.CropLength = 24
		req.CropMarker = "…"
		req.HighlightPreTag, req.HighlightPostTag = preTag, postTag
	}
	return req
}

type rawHit struct {
	mdoc
	Formatted map[string]json.RawMessage `json:"_formatted"`
	Score     float64                    `json:"_rankingScore"`
}

type rawResponse struct {
	Hits              []rawHit                  `json:"hits"`
	TotalHits         int                       `json:"totalHits"`
	FacetDistribution map[string]map[string]int `json:"facetDistribution"`
}

// Search implements search.Index.
func (i *Index) Search(ctx context.Context, q search.Query) (*search.Result, error) {
	start := time.Now()
	q, err := q.Normalize()
	if err != nil {
		return nil, err
	}
	if err := i.acquire(); err != nil {
		return nil, err
	}
	defer i.mu.RUnlock()
	res := &search.Result{}
	if len(q.Facets) > 0 {
		res.Facets = map[string][]search.FacetCount{}
		for _, f := range q.Facets {
			res.Facets[f] = []search.FacetCount{}
		}
	}
	if _, ok := Filter(q); !ok {
		res.Took = time.Since(start)
		return res, nil
	}
	raw, err := i.index.SearchRaw(ctx, q.Text, Request(q))
	if err != nil {
		return nil, translate(err, "search")
	}
	var r rawResponse
	if err := json.Unmarshal(*raw, &r); err != nil {
		return nil, naskah.WrapError(naskah.EINTERNAL, err, "meili: decode search response")
	}
	res.Total = r.TotalHits
	hits := r.Hits
	if skip := q.Offset % q.Limit; skip != 0 {
		hits = hits[min(q.Offset, len(hits)):]
	}
	for _, h := range hits {
		d := h.doc()
		hit := search.Hit{ID: d.ID, Type: d.Type, AgreementID: d.AgreementID, Title: d.Title, Number: d.Number, Score: h.Score, Doc: d}
		if q.Highlight {
			hit.Snippets = snippets(h.Formatted)
		}
		res.Hits = append(res.Hits, hit)
	}
	for f, dist := range r.FacetDistribution {
		fc := []search.FacetCount{}
		for v, n := range dist {
			if v != "" && n > 0 {
				fc = append(fc, search.FacetCount{Value: v, Count: n})
			}
		}
		search.SortFacetCounts(fc)
		res.Facets[f] = fc
	}
	res.Took = time.Since(start)
	return res, nil
}

// snippets keeps the formatted fields that contain a match, HTML-escaped
// with the markers turned into <mark>.
func snippets(formatted map[string]json.RawMessage) map[string][]string {
	out := map[string][]string{}
	for _, f := range []string{search.FieldTitle, search.FieldNumber, search.FieldPartnerName, search.FieldText} {
		var s string
		if json.Unmarshal(formatted[f], &s) != nil || !strings.Contains(s, preTag) {
			continue
		}
		s = html.EscapeString(s)
		s = strings.NewReplacer(preTag, search.HighlightStart, postTag, search.HighlightEnd).Replace(s)
		out[f] = []string{s}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}
