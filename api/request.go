package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/bpom/naskah"
)

// actor returns the actor requireActor put on the request.
func actor(c *fiber.Ctx) naskah.Actor {
	a, _ := c.Locals(localActor).(naskah.Actor)
	return a
}

// requestID is the Idempotency-Key: a retried request with the same key
// has the effect of one.
func requestID(c *fiber.Ctx) (string, error) {
	k := strings.TrimSpace(c.Get("Idempotency-Key"))
	if len(k) > 200 {
		return "", naskah.Errorf(naskah.EINVALID, "the Idempotency-Key header is %d characters long: use at most 200 (a UUID is fine)", len(k))
	}
	return k, nil
}

// body returns the request body as a stream; fasthttp streams bodies
// larger than its 8 KiB prefetch and hands small ones as bytes.
func body(c *fiber.Ctx) io.Reader {
	if c.Request().IsBodyStream() {
		return c.Context().RequestBodyStream()
	}
	return bytes.NewReader(c.Request().Body())
}

// limitedReader fails with ETOOLARGE once more than n bytes were read, so
// that a body is refused while it streams, never after it was buffered.
type limitedReader struct {
	r    io.Reader
	n    int64 // bytes still allowed
	what string
	max  int64
}

func newLimitedReader(r io.Reader, max int64, what string) *limitedReader {
	return &limitedReader{r: r, n: max, max: max, what: what}
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.n < 0 {
		return 0, l.err()
	}
	if int64(len(p)) > l.n+1 {
		p = p[:l.n+1]
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	if l.n < 0 {
		return n, l.err()
	}
	return n, err
}

func (l *limitedReader) err() error {
	return naskah.Errorf(naskah.ETOOLARGE, "the %s is larger than the limit of %s: make it smaller and send it again", l.what, humanBytes(l.max))
}

func humanBytes(n int64) string {
	if n >= 1<<20 {
		return fmt.Sprintf("%d MB", n>>20)
	}
	return fmt.Sprintf("%d KB", n>>10)
}

// mediaType returns the request's media type, lowercased, without parameters.
func mediaType(c *fiber.Ctx) (string, map[string]string) {
	mt, params, err := mime.ParseMediaType(c.Get(fiber.HeaderContentType))
	if err != nil {
		return "", nil
	}
	return strings.ToLower(mt), params
}

// decodeJSON reads a bounded JSON body into v. An empty body leaves v as
// it is; unknown fields are refused by name, so a typo is not ignored.
func (s *Server) decodeJSON(c *fiber.Ctx, v any) error {
	if len(c.Request().Header.ContentType()) == 0 && c.Request().Header.ContentLength() == 0 {
		return nil
	}
	if mt, _ := mediaType(c); mt != fiber.MIMEApplicationJSON {
		return naskah.Errorf(naskah.EINVALID, "the body has Content-Type %q: send JSON with Content-Type: application/json", c.Get(fiber.HeaderContentType))
	}
	data, err := io.ReadAll(newLimitedReader(body(c), s.cfg.MaxJSONBytes, "JSON body"))
	if err != nil {
		if naskah.ErrorCode(err) != naskah.EINTERNAL {
			return err
		}
		return naskah.WrapError(naskah.EINVALID, err, "the request body was cut off: send it again")
	}
	return decodeJSONBytes(data, v)
}

func decodeJSONBytes(data []byte, v any) error {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			return naskah.Errorf(naskah.EINVALID, "the JSON body is malformed at byte %d (%v): fix it and send it again", se.Offset, se)
		case errors.As(err, &te):
			return naskah.Errorf(naskah.EINVALID, "the JSON field %q must be a %s, not a %s", te.Field, te.Type, te.Value)
		case strings.HasPrefix(err.Error(), "json: unknown field"):
			return naskah.Errorf(naskah.EINVALID, "the JSON body has an %s: remove it or check its spelling", strings.TrimPrefix(err.Error(), "json: "))
		case errors.Is(err, io.ErrUnexpectedEOF):
			return naskah.Errorf(naskah.EINVALID, "the JSON body ends too early: send the complete object")
		}
		return naskah.Errorf(naskah.EINVALID, "the JSON body cannot be read (%v): send one JSON object", err)
	}
	if dec.More() {
		return naskah.Errorf(naskah.EINVALID, "the JSON body has more than one value: send one JSON object")
	}
	return nil
}

// intParam parses an optional integer query or form value.
func intParam(name, v string, def int) (int, error) {
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, naskah.Errorf(naskah.EINVALID, "%s %q is not a number: use a whole number such as 3", name, v)
	}
	return n, nil
}

// boolParam parses an optional flag: 1/true/yes, 0/false/no.
func boolParam(name, v string) (bool, error) {
	switch strings.ToLower(v) {
	case "", "0", "false", "no", "off":
		return false, nil
	case "1", "true", "yes", "on":
		return true, nil
	}
	return false, naskah.Errorf(naskah.EINVALID, "%s %q: use 1 or 0", name, v)
}

// BufferBody reads the request body into memory, refusing with ETOOLARGE
// one that declares or streams more than max bytes before more than max+1
// were read. fasthttp ignores BodyLimit for streamed bodies and its form
// parsers read a stream to its end, so the web UI calls this before any
// FormValue or FormFile.
func BufferBody(c *fiber.Ctx, max int64, what string) error {
	req := c.Request()
	if cl := req.Header.ContentLength(); cl > 0 && int64(cl) > max {
		return newLimitedReader(nil, max, what).err()
	}
	if !req.IsBodyStream() {
		if int64(len(req.Body())) > max {
			return newLimitedReader(nil, max, what).err()
		}
		return nil
	}
	data, err := io.ReadAll(newLimitedReader(c.Context().RequestBodyStream(), max, what))
	if err != nil {
		if naskah.ErrorCode(err) == naskah.ETOOLARGE {
			return err
		}
		return naskah.WrapError(naskah.EINVALID, err, "the request body was cut off: send it again")
	}
	req.SetBody(data)
	return nil
}

// LimitReader is r failing with ETOOLARGE ("the <what> is larger than the
// limit …") once more than max bytes were read: the web UI bounds the
// multipart stream it parses with it.
func LimitReader(r io.Reader, max int64, what string) io.Reader {
	return newLimitedReader(r, max, what)
}
