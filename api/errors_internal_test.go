package api

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/bpom/naskah"
)

// TestPanicAndInternalErrors: a panic, an unknown error and an EINTERNAL
// *naskah.Error are 500 with the generic message for the user, with the
// detail only in the log.
func TestPanicAndInternalErrors(t *testing.T) {
	var logBuf bytes.Buffer
	s := &Server{log: slog.New(slog.NewTextHandler(&logBuf, nil)), metrics: newMetrics()}
	app := fiber.New(fiber.Config{ErrorHandler: s.errorHandler})
	app.Use(s.observe, s.recoverPanic)
	app.Get("/panic", func(c *fiber.Ctx) error { panic("secret detail 42") })
	app.Get("/err", func(c *fiber.Ctx) error { return bytes.ErrTooLarge })
	app.Get("/internal", func(c *fiber.Ctx) error {
		return naskah.Errorf(naskah.EINTERNAL, "MinIO refused access; check the secret key of bucket naskah")
	})
	app.Get("/retained", func(c *fiber.Ctx) error { return naskah.Errorf(naskah.ERETAINED, "kept until 2036") })
	for _, tc := range []struct {
		path   string
		status int
		detail string
	}{{"/panic", 500, naskah.InternalMessage}, {"/err", 500, naskah.InternalMessage}, {"/internal", 500, naskah.InternalMessage},
		{"/retained", 423, "kept until 2036"}} {
		resp, err := app.Test(httptest.NewRequest("GET", tc.path, nil))
		if err != nil {
			t.Fatal(err)
		}
		var p problem
		json.NewDecoder(resp.Body).Decode(&p)
		if resp.StatusCode != tc.status || p.Detail != tc.detail || p.Status != tc.status {
			t.Errorf("%s: got %d %+v, want %d %q", tc.path, resp.StatusCode, p, tc.status, tc.detail)
		}
		if strings.Contains(p.Detail, "secret") || strings.Contains(p.Title, "secret") {
			t.Errorf("%s: the detail leaked to the user", tc.path)
		}
	}
	if !strings.Contains(logBuf.String(), "secret detail 42") || !strings.Contains(logBuf.String(), "secret key of bucket") {
		t.Errorf("the panic is not in the log:\n%s", logBuf.String())
	}
}

// TestCodeTableComplete: every code has its status, title and (for the
// codes a client should retry) Retry-After, in the one table.
func TestCodeTableComplete(t *testing.T) {
	want := map[string]int{"invalid": 400, "unauthorized": 401, "forbidden": 403, "not_found": 404, "conflict": 409,
		"retained": 423, "too_large": 413, "unavailable": 503, "rate_limited": 429, "internal": 500}
	if len(codeTable) != len(naskah.Codes) {
		t.Errorf("the table has %d codes, naskah.Codes %d", len(codeTable), len(naskah.Codes))
	}
	for _, code := range naskah.Codes {
		info, ok := codeTable[code]
		if !ok {
			t.Errorf("%s: not in codeTable", code)
			continue
		}
		if info.title == "" || !strings.Contains(info.title, " — ") {
			t.Errorf("%s: title %q, want Indonesian — English", code, info.title)
		}
		if got := StatusOf(naskah.Errorf(code, "x")); got != want[code] {
			t.Errorf("%s: status %d, want %d", code, got, want[code])
		}
		retry := RetryAfterOf(naskah.Errorf(code, "x")) > 0
		if wantRetry := code == naskah.EUNAVAILABLE || code == naskah.ERATELIMITED; retry != wantRetry {
			t.Errorf("%s: Retry-After %v, want %v", code, retry, wantRetry)
		}
	}
}

// TestRetryAfterHeader: a rate-limited or unavailable answer carries
// Retry-After, the error's own hint first.
func TestRetryAfterHeader(t *testing.T) {
	s := &Server{log: slog.New(slog.DiscardHandler), metrics: newMetrics()}
	app := fiber.New(fiber.Config{ErrorHandler: s.errorHandler})
	app.Get("/limited", func(c *fiber.Ctx) error { return rateLimitedError(2500 * time.Millisecond) })
	app.Get("/down", func(c *fiber.Ctx) error { return naskah.Errorf(naskah.EUNAVAILABLE, "MinIO has no write quorum") })
	for path, want := range map[string]struct {
		status int
		retry  string
		code   string
	}{"/limited": {429, "3", naskah.ERATELIMITED}, "/down": {503, "5", naskah.EUNAVAILABLE}} {
		resp, err := app.Test(httptest.NewRequest("GET", path, nil))
		if err != nil {
			t.Fatal(err)
		}
		var p problem
		json.NewDecoder(resp.Body).Decode(&p)
		if resp.StatusCode != want.status || resp.Header.Get("Retry-After") != want.retry || p.Code != want.code {
			t.Errorf("%s: got %d Retry-After %q code %q, want %d %q %q", path, resp.StatusCode, resp.Header.Get("Retry-After"), p.Code, want.status, want.retry, want.code)
		}
	}
}
