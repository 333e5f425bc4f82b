package api

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/bpom/naskah"
	"github.com/bpom/naskah/search"
)

func (s *Server) healthz(c *fiber.Ctx) error {
	return c.JSON(fiber.Map{"status": "ok"})
}

// ReadyCheck is one condition of readiness: Check returns nil when it
// holds, else an error whose message says why and what to do.
type ReadyCheck struct {
	Name  string
	Check func(ctx context.Context) error
}

// readyz answers 200 when storage answers, the search index can write, and
// every configured check holds (free disk, a store write probe); otherwise
// 503 naming every reason. A rebuild of the index in progress is ready
// (records commit; searches answer 503 until it is done).
func (s *Server) readyz(c *fiber.Ctx) error {
	ctx, cancel := context.WithTimeout(c.UserContext(), 5*time.Second)
	defer cancel()
	var reasons []string
	status := fiber.Map{"status": "ready", "store": "ok", "index": "ok"}
	fail := func(name string, err error) {
		status[name] = naskah.ErrorMessage(err)
		reasons = append(reasons, name+": "+naskah.ErrorMessage(err))
	}
	if _, _, err := s.engine.Load(ctx, "readyz-probe"); err != nil && naskah.ErrorCode(err) != naskah.ENOTFOUND {
		fail("store", naskah.WrapError(naskah.EUNAVAILABLE, err, "penyimpanan tidak terjangkau: periksa MinIO (atau direktori data) — storage is not reachable: check that MinIO (or the data directory) is up"))
	}
	if s.engine.Index == nil {
		fail("index", naskah.Errorf(naskah.EUNAVAILABLE, "no search index is configured"))
	} else if err := s.engine.Index.Health(ctx); err != nil {
		fail("index", naskah.WrapError(naskah.EUNAVAILABLE, err, "indeks pencarian tidak dapat ditulisi: periksa indeks dan disk — the search index cannot write: check the index (bleve directory or Meilisearch) and the disk"))
	} else if r, ok := s.engine.Index.(interface{ Rebuilding() bool }); ok && r.Rebuilding() {
		status["index"] = "rebuilding"
	}
	for _, rc := range s.cfg.ReadyChecks {
		if err := rc.Check(ctx); err != nil {
			fail(rc.Name, err)
		} else {
			status[rc.Name] = "ok"
		}
	}
	if len(reasons) > 0 {
		s.log.Warn("not ready", "reasons", strings.Join(reasons, "; "))
		return naskah.Errorf(naskah.EUNAVAILABLE, "layanan belum siap — not ready: %s", strings.Join(reasons, "; "))
	}
	status["pending_index_updates"], _ = s.engine.Pending(ctx)
	if err := s.engine.OutboxErr(); err != nil {
		status["outbox_last_error"] = naskah.ErrorMessage(err)
	}
	return c.JSON(status)
}

type loginRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

type loginResponse struct {
	Token     string       `json:"token"`
	ExpiresAt time.Time    `json:"expires_at"`
	CSRFToken string       `json:"csrf_token"`
	Actor     naskah.Actor `json:"actor"`
}

func (s *Server) login(c *fiber.Ctx) error {
	var r loginRequest
	if err := s.decodeJSON(c, &r); err != nil {
		return err
	}
	if r.Username == "" || r.Password == "" {
		return naskah.Errorf(naskah.EINVALID, "send username and password")
	}
	ip := s.ClientIP(c)
	a, token, err := s.Login(c.UserContext(), ip, r.Username, r.Password)
	if err != nil {
		s.log.Info("login refused", "user", r.Username, "ip", ip, "err", naskah.ErrorMessage(err))
		return err
	}
	s.SetSessionCookie(c, token)
	return c.JSON(loginResponse{Token: token, ExpiresAt: s.auth.now().Add(s.auth.ttl), CSRFToken: s.CSRFToken(token), Actor: a})
}

func (s *Server) logout(c *fiber.Ctx) error {
	if t, _ := c.Locals(localSession).(string); t != "" {
		if err := s.Logout(c.UserContext(), t); err != nil {
			return err
		}
	}
	s.ClearSessionCookie(c)
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) me(c *fiber.Ctx) error {
	res := fiber.Map{"actor": actor(c), "role_title": actor(c).Role.Title()}
	if t, _ := c.Locals(localSession).(string); t != "" {
		res["csrf_token"] = s.CSRFToken(t)
	}
	return c.JSON(res)
}

// searchFilterParams are the query parameters that become search filters.
func searchFilterParams() []string {
	var out []string
	for _, f := range search.FilterFields {
		if f != search.FieldType {
			out = append(out, f)
		}
	}
	return out
}

// splitList splits comma-separated and repeated query values.
func splitList(vals [][]byte) []string {
	var out []string
	for _, v := range vals {
		for _, p := range strings.Split(string(v), ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

func (s *Server) search(c *fiber.Ctx) error {
	args := c.Context().QueryArgs()
	q := search.Query{Text: c.Query("q"), Type: c.Query("type"), Sort: c.Query("sort"), Facets: splitList(args.PeekMulti("facets")),
		Filters: map[string][]string{}}
	var err error
	if q.Highlight, err = boolParam("highlight", c.Query("highlight")); err != nil {
		return err
	}
	for name, dst := range map[string]*int{"offset": &q.Offset, "limit": &q.Limit, "year_from": &q.YearFrom, "year_to": &q.YearTo} {
		if *dst, err = intParam(name, c.Query(name), 0); err != nil {
			return err
		}
	}
	if v := c.Query("expires_before"); v != "" {
		t, err := time.Parse(time.DateOnly, v)
		if err != nil {
			return naskah.Errorf(naskah.EINVALID, "expires_before %q: use a date such as 2027-12-31", v)
		}
		q.ExpiresBefore = t
	}
	for _, f := range searchFilterParams() {
		if vs := splitList(args.PeekMulti(f)); len(vs) > 0 {
			q.Filters[f] = vs
		}
	}
	var unknown []string
	args.VisitAll(func(k, _ []byte) {
		switch name := string(k); name {
		case "q", "type", "sort", "facets", "highlight", "offset", "limit", "year_from", "year_to", "expires_before":
		default:
			if _, ok := q.Filters[name]; !ok {
				unknown = append(unknown, name)
			}
		}
	})
	if len(unknown) > 0 {
		return naskah.Errorf(naskah.EINVALID, "unknown search parameter %s: use q, type, sort, facets, highlight, offset, limit, year_from, year_to, expires_before or a filter (%s)",
			strings.Join(unknown, ", "), strings.Join(searchFilterParams(), ", "))
	}
	if q, err = q.Normalize(); err != nil {
		return err
	}
	res, err := s.engine.Search(c.UserContext(), actor(c), q)
	if err != nil {
		return err
	}
	return c.JSON(searchView(res, q))
}

type hitView struct {
	ID          string              `json:"id"`
	Type        string              `json:"type"`
	AgreementID string              `json:"agreement_id"`
	Title       string              `json:"title"`
	Number      string              `json:"number,omitempty"`
	Score       float64             `json:"score"`
	Snippets    map[string][]string `json:"snippets,omitempty"`
	Doc         search.Doc          `json:"doc"`
}

type facetView struct {
	Value string `json:"value"`
	Count int    `json:"count"`
}

func searchView(res *search.Result, q search.Query) fiber.Map {
	hits := make([]hitView, 0, len(res.Hits))
	for _, h := range res.Hits {
		hits = append(hits, hitView{h.ID, h.Type, h.AgreementID, h.Title, h.Number, h.Score, h.Snippets, h.Doc})
	}
	facets := map[string][]facetView{}
	for f, counts := range res.Facets {
		fv := make([]facetView, 0, len(counts))
		for _, fc := range counts {
			fv = append(fv, facetView{fc.Value, fc.Count})
		}
		facets[f] = fv
	}
	return fiber.Map{"total": res.Total, "offset": q.Offset, "limit": q.Limit, "took_ms": res.Took.Milliseconds(), "hits": hits, "facets": facets}
}

// metrics are the server's Prometheus collectors, on their own registry
// (no global default registry).
type metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	actions  *prometheus.CounterVec
}

func newMetrics() *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "naskah_http_requests_total",
			Help: "HTTP requests by route, method and status."}, []string{"route", "method", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "naskah_http_request_duration_seconds",
			Help: "HTTP request latency by route and method.", Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}},
			[]string{"route", "method"}),
		actions: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "naskah_actions_total",
			Help: "SOP actions by kind and outcome (ok or the error code)."}, []string{"action", "outcome"}),
	}
	m.reg.MustRegister(m.requests, m.latency, m.actions,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

func (m *metrics) action(kind string, err error) {
	outcome := "ok"
	if err != nil {
		outcome = naskah.ErrorCode(err)
	}
	m.actions.WithLabelValues(kind, outcome).Inc()
}

func (s *Server) metricsHandler() fiber.Handler {
	return adaptor.HTTPHandler(promhttp.HandlerFor(s.metrics.reg, promhttp.HandlerOpts{}))
}

// observe writes errors through the error handler (so the status is known
// here), then logs and counts the request. It logs no bodies, headers or
// query strings: a passphrase or token never reaches the log.
func (s *Server) observe(c *fiber.Ctx) error {
	start := time.Now()
	err := c.Next()
	if err != nil {
		if herr := s.errorHandler(c, err); herr != nil {
			s.log.Error("write error response", "err", herr)
			c.Status(fiber.StatusInternalServerError)
		}
	}
	status := c.Response().StatusCode()
	route := "unmatched"
	if r := c.Route(); r != nil && r.Path != "/" && r.Path != "" {
		route = r.Path
	}
	d := time.Since(start)
	s.metrics.requests.WithLabelValues(route, c.Method(), strconv.Itoa(status)).Inc()
	s.metrics.latency.WithLabelValues(route, c.Method()).Observe(d.Seconds())
	user := ""
	if a, ok := c.Locals(localActor).(naskah.Actor); ok {
		user = a.User
	}
	s.log.Info("http", "method", c.Method(), "route", route, "path", c.Path(), "status", status, "ms", d.Milliseconds(), "user", user, "ip", s.ClientIP(c))
	return nil
}
