package api

import (
	"errors"
	"fmt"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"

	"github.com/bpom/naskah"
)

// problem is an RFC 9457 problem+json body; Code is our closed-set code.
type problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
	Code   string `json:"code"`
}

// codeInfo is what one error code means on the wire.
type codeInfo struct {
	status int
	title  string
	// retry is the Retry-After sent when the error carries none; 0 sends
	// no header.
	retry time.Duration
}

// codeTable is the one place where error codes become HTTP statuses and
// problem titles; the web UI uses it too, and a test checks that it covers
// naskah.Codes.
var codeTable = map[string]codeInfo{
	naskah.EINVALID:      {fiber.StatusBadRequest, "Permintaan tidak valid — Invalid request", 0},
	naskah.EUNAUTHORIZED: {fiber.StatusUnauthorized, "Belum masuk — Not signed in", 0},
	naskah.EFORBIDDEN:    {fiber.StatusForbidden, "Tidak diizinkan — Not allowed", 0},
	naskah.ENOTFOUND:     {fiber.StatusNotFound, "Tidak ditemukan — Not found", 0},
	naskah.ECONFLICT:     {fiber.StatusConflict, "Konflik — Conflict", 0},
	naskah.ERETAINED:     {fiber.StatusLocked, "Dalam masa retensi — Under retention", 0},
	naskah.ETOOLARGE:     {fiber.StatusRequestEntityTooLarge, "Terlalu besar — Too large", 0},
	naskah.EUNAVAILABLE:  {fiber.StatusServiceUnavailable, "Sementara tidak tersedia — Temporarily unavailable", 5 * time.Second},
	naskah.ERATELIMITED:  {fiber.StatusTooManyRequests, "Terlalu banyak percobaan — Too many requests", 60 * time.Second},
	naskah.EINTERNAL:     {fiber.StatusInternalServerError, "Kesalahan internal — Internal error", 0},
}

func infoOf(code string) codeInfo {
	if i, ok := codeTable[code]; ok {
		return i
	}
	return codeTable[naskah.EINTERNAL]
}

// StatusOf returns the HTTP status of err's code, from codeTable.
func StatusOf(err error) int { return infoOf(naskah.ErrorCode(err)).status }

// RetryAfterOf returns the Retry-After for err in whole seconds (rounded
// up), or 0 when its code sends none.
func RetryAfterOf(err error) int {
	d := naskah.RetryAfter(err)
	if d <= 0 {
		d = infoOf(naskah.ErrorCode(err)).retry
	}
	if d <= 0 {
		return 0
	}
	return int((d + time.Second - 1) / time.Second)
}

// SetRetryAfter sets the Retry-After header when err's code asks for one.
func SetRetryAfter(c *fiber.Ctx, err error) {
	if n := RetryAfterOf(err); n > 0 {
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(n))
	}
}

// fromFiber turns Fiber's own errors (unknown method, unreadable request)
// into our codes, so that StatusOf stays the only mapping.
func fromFiber(err error) error {
	if errors.Is(err, fasthttp.ErrBodyTooLarge) || strings.Contains(err.Error(), "body size exceeds") {
		return naskah.Errorf(naskah.ETOOLARGE, "Isi permintaan terlalu besar: kirim berkas yang lebih kecil — the request body is too large: send a smaller file")
	}
	var fe *fiber.Error
	if !errors.As(err, &fe) {
		return err
	}
	switch fe.Code {
	case fiber.StatusNotFound:
		return naskah.Errorf(naskah.ENOTFOUND, "%s: see %s/openapi.json for the routes", fe.Message, Prefix)
	case fiber.StatusMethodNotAllowed:
		return naskah.Errorf(naskah.EINVALID, "this method is not allowed on this path: see %s/openapi.json", Prefix)
	case fiber.StatusRequestEntityTooLarge:
		return naskah.Errorf(naskah.ETOOLARGE, "the request body is too large: send a smaller file")
	case fiber.StatusRequestTimeout:
		return naskah.Errorf(naskah.EUNAVAILABLE, "the request took too long to arrive: try again on a faster connection")
	}
	if fe.Code >= 400 && fe.Code < 500 {
		return naskah.Errorf(naskah.EINVALID, "the request could not be read (%s): check its format", fe.Message)
	}
	return fmt.Errorf("fiber: %w", err)
}

// errorHandler writes every error as problem+json; internal errors show
// naskah.InternalMessage and their detail goes only to the log.
func (s *Server) errorHandler(c *fiber.Ctx, err error) error {
	err = fromFiber(err)
	code := naskah.ErrorCode(err)
	info := infoOf(code)
	status := info.status
	SetRetryAfter(c, err)
	detail := naskah.ErrorMessage(err)
	if code == naskah.EINTERNAL {
		s.log.Error("internal error", "method", c.Method(), "path", c.Path(), "err", err)
	} else if status >= 500 {
		s.log.Warn("unavailable", "method", c.Method(), "path", c.Path(), "err", err)
	}
	if c.Context().Request.IsBodyStream() && status >= 400 {
		// An unread request body would be parsed as the next request:
		// refuse it and end the connection instead of draining it.
		c.Context().SetConnectionClose()
	}
	c.Status(status)
	c.Set(fiber.HeaderContentType, "application/problem+json")
	return c.JSON(problem{
		Type:   "https://naskah.pom.go.id/problems/" + code,
		Title:  info.title,
		Status: status,
		Detail: detail,
		Code:   code,
	}, "application/problem+json")
}

// recoverPanic turns a panic in a handler into a 500 whose detail is
// logged, never shown.
func (s *Server) recoverPanic(c *fiber.Ctx) (err error) {
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("panic", "method", c.Method(), "path", c.Path(), "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	return c.Next()
}
