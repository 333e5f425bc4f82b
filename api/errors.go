package api

import (
	"errors"
	"fmt"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

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

// rateLimited is a refused login attempt; it is EUNAVAILABLE for callers
// that only know codes, and 429 with Retry-After on the wire.
type rateLimited struct {
	retryAfter time.Duration
}

func (e *rateLimited) Error() string { return "too many login attempts" }

func (e *rateLimited) Unwrap() error {
	return naskah.Errorf(naskah.EUNAVAILABLE, "too many login attempts for this user from your address: wait %d seconds and try again", int(e.retryAfter.Seconds()+0.5))
}

// StatusOf is the one place where error codes become HTTP statuses; the
// web UI uses it too.
func StatusOf(err error) int {
	var rl *rateLimited
	if errors.As(err, &rl) {
		return fiber.StatusTooManyRequests
	}
	switch naskah.ErrorCode(err) {
	case naskah.EINVALID:
		return fiber.StatusBadRequest
	case naskah.EUNAUTHORIZED:
		return fiber.StatusUnauthorized
	case naskah.EFORBIDDEN:
		return fiber.StatusForbidden
	case naskah.ENOTFOUND:
		return fiber.StatusNotFound
	case naskah.ECONFLICT:
		return fiber.StatusConflict
	case naskah.ERETAINED:
		return fiber.StatusLocked
	case naskah.ETOOLARGE:
		return fiber.StatusRequestEntityTooLarge
	case naskah.EUNAVAILABLE:
		return fiber.StatusServiceUnavailable
	}
	return fiber.StatusInternalServerError
}

// fromFiber turns Fiber's own errors (unknown method, unreadable request)
// into our codes, so that StatusOf stays the only mapping.
func fromFiber(err error) error {
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
// "internal error" and their detail goes only to the log.
func (s *Server) errorHandler(c *fiber.Ctx, err error) error {
	err = fromFiber(err)
	status := StatusOf(err)
	code := naskah.ErrorCode(err)
	if status == fiber.StatusTooManyRequests {
		var rl *rateLimited
		errors.As(err, &rl)
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int(rl.retryAfter.Seconds()+0.999)))
		code = naskah.EUNAVAILABLE
	}
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
		Title:  titleOf(code),
		Status: status,
		Detail: detail,
		Code:   code,
	}, "application/problem+json")
}

func titleOf(code string) string {
	switch code {
	case naskah.EINVALID:
		return "Invalid request"
	case naskah.EUNAUTHORIZED:
		return "Not signed in"
	case naskah.EFORBIDDEN:
		return "Not allowed"
	case naskah.ENOTFOUND:
		return "Not found"
	case naskah.ECONFLICT:
		return "Conflict"
	case naskah.ERETAINED:
		return "Under retention"
	case naskah.ETOOLARGE:
		return "Too large"
	case naskah.EUNAVAILABLE:
		return "Temporarily unavailable"
	}
	return "Internal error"
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
