package api

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/bpom/naskah"
)

// apiCSP is the policy of API answers: JSON and PDFs run nothing, load
// nothing and are framed by no one. The web UI sets its own policy.
const apiCSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

// hstsValue is sent when the public base URL is https: a year, so a
// downgraded link on a hostile network cannot strip TLS.
const hstsValue = "max-age=31536000; includeSubDomains"

// securityHeaders sets the headers every answer carries before the handler
// runs, so a handler may loosen one (static assets are cacheable) and an
// error answer keeps them. no-store is the default: answers carry tokens,
// records and documents that no shared cache or back button may keep.
func (s *Server) securityHeaders(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	c.Set(fiber.HeaderXFrameOptions, "DENY")
	c.Set(fiber.HeaderReferrerPolicy, "same-origin")
	c.Set(fiber.HeaderContentSecurityPolicy, apiCSP)
	if strings.HasPrefix(s.cfg.PublicBaseURL, "https://") {
		c.Set(fiber.HeaderStrictTransportSecurity, hstsValue)
	}
	return c.Next()
}

// MetricsHandler serves the Prometheus metrics without any check, for a
// separate listener (metrics_listen) that only the monitoring network reaches.
func (s *Server) MetricsHandler() http.Handler {
	return promhttp.HandlerFor(s.metrics.reg, promhttp.HandlerOpts{})
}

// guardMetrics serves /metrics on the main listener only to a bearer of
// Config.MetricsToken; without a token the route refuses everyone, since
// the counters name routes, users' activity and error rates.
func (s *Server) guardMetrics(next fiber.Handler) fiber.Handler {
	want := sha256.Sum256([]byte(s.cfg.MetricsToken))
	return func(c *fiber.Ctx) error {
		if s.cfg.MetricsToken == "" {
			return naskah.Errorf(naskah.ENOTFOUND, "Metrik tidak disajikan di sini: atur metrics_token (NASKAH_METRICS_TOKEN) atau metrics_listen — Metrics are not served here: set metrics_token (NASKAH_METRICS_TOKEN) or metrics_listen")
		}
		scheme, tok, _ := strings.Cut(c.Get(fiber.HeaderAuthorization), " ")
		got := sha256.Sum256([]byte(strings.TrimSpace(tok)))
		if !strings.EqualFold(scheme, "Bearer") || subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
			c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="naskah-metrics"`)
			return naskah.Errorf(naskah.EUNAUTHORIZED, "Token metrik salah atau tidak ada: kirim \"Authorization: Bearer <metrics_token>\" — The metrics token is missing or wrong: send \"Authorization: Bearer <metrics_token>\"")
		}
		return next(c)
	}
}
