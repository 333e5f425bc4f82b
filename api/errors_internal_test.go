package api

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"

	"github.com/bpom/naskah"
)

// TestPanicAndInternalErrors: a panic and an unknown error are 500
// "internal error" for the user, with the detail only in the log.
func TestPanicAndInternalErrors(t *testing.T) {
	var logBuf bytes.Buffer
	s := &Server{log: slog.New(slog.NewTextHandler(&logBuf, nil)), metrics: newMetrics()}
	app := fiber.New(fiber.Config{ErrorHandler: s.errorHandler})
	app.Use(s.observe, s.recoverPanic)
	app.Get("/panic", func(c *fiber.Ctx) error { panic("secret detail 42") })
	app.Get("/err", func(c *fiber.Ctx) error { return bytes.ErrTooLarge })
	app.Get("/retained", func(c *fiber.Ctx) error { return naskah.Errorf(naskah.ERETAINED, "kept until 2036") })
	for _, tc := range []struct {
		path   string
		status int
		detail string
	}{{"/panic", 500, "internal error"}, {"/err", 500, "internal error"}, {"/retained", 423, "kept until 2036"}} {
		resp, err := app.Test(httptest.NewRequest("GET", tc.path, nil))
		if err != nil {
			t.Fatal(err)
		}
		var p problem
		json.NewDecoder(resp.Body).Decode(&p)
		if resp.StatusCode != tc.status || p.Detail != tc.detail || p.Status != tc.status {
			t.Errorf("%s: got %d %+v, want %d %q", tc.path, resp.StatusCode, p, tc.status, tc.detail)
		}
		if strings.Contains(p.Detail, "secret") {
			t.Errorf("%s: the detail leaked to the user", tc.path)
		}
	}
	if !strings.Contains(logBuf.String(), "secret detail 42") {
		t.Errorf("the panic is not in the log:\n%s", logBuf.String())
	}
}

// TestStatusOfEveryCode: every code has its status, in one place.
func TestStatusOfEveryCode(t *testing.T) {
	want := map[string]int{"invalid": 400, "unauthorized": 401, "forbidden": 403, "not_found": 404, "conflict": 409,
		"retained": 423, "too_large": 413, "unavailable": 503, "internal": 500}
	for _, code := range naskah.Codes {
		if got := StatusOf(naskah.Errorf(code, "x")); got != want[code] {
			t.Errorf("%s: status %d, want %d", code, got, want[code])
		}
	}
}
