package web

import (
	"bytes"
	"crypto/subtle"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"os"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"

	"github.com/bpom/naskah"
	"github.com/bpom/naskah/api"
)

// formLimit bounds a POST that takes no file.
const formLimit = 1 << 20

// csrfPeek is how much of a multipart body is read to find its first
// field, the CSRF token, before anything else of the body is read.
const csrfPeek = 4 << 10

// fileRoutes are the only POSTs that take a file (multipart); public ones
// need no session.
func fileRoute(path string) (files, public bool) {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	switch {
	case len(parts) == 1 && parts[0] == "verify", len(parts) == 2 && parts[0] == "verify":
		return true, true
	case len(parts) == 3 && parts[0] == "agreements" && (parts[2] == "upload" || parts[2] == "sign"):
		return true, false
	case len(parts) == 4 && parts[0] == "admin" && parts[1] == "users" && parts[3] == "certificates":
		return true, false
	}
	return false, false
}

// readForm checks a POST before its body is read, then reads it bounded:
// a form without files is at most formLimit bytes, urlencoded; a multipart
// one only goes to a route that takes files, needs the session first
// (except the public verify page) and the CSRF token as its first field
// (or the X-CSRF-Token header), and its files are parsed from the stream
// into temporary files, never held whole in memory. The error is what the
// client sees; a nil error means the CSRF token matched.
func (u *UI) readForm(c *fiber.Ctx, csrf string) error {
	mt, params, _ := mime.ParseMediaType(c.Get(fiber.HeaderContentType))
	files, public := fileRoute(c.Path())
	if mt != fiber.MIMEMultipartForm {
		if err := api.BufferBody(c, formLimit, "form"); err != nil {
			return err
		}
		return checkCSRF(c, csrf, c.FormValue(csrfField))
	}
	if !files {
		return naskah.Errorf(naskah.EINVALID, "Formulir ini tidak menerima berkas — This form takes no files")
	}
	if _, ok := c.Locals(localActor).(naskah.Actor); !ok && !public {
		return errSessionEnded
	}
	req := c.Request()
	if cl := req.Header.ContentLength(); cl > 0 && int64(cl) > u.maxForm {
		return api.BufferBody(c, u.maxForm, "upload") // refuses by the declared length
	}
	var stream io.Reader
	if req.IsBodyStream() {
		stream = c.Context().RequestBodyStream()
	} else {
		stream = bytes.NewReader(req.Body())
	}
	prefix := make([]byte, csrfPeek)
	n, err := io.ReadFull(stream, prefix)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return naskah.WrapError(naskah.EINVALID, err, "the request body was cut off: send it again")
	}
	prefix = prefix[:n]
	got := c.Get(csrfHeader)
	if got == "" {
		got = firstField(prefix, params["boundary"])
	}
	if err := checkCSRF(c, csrf, got); err != nil {
		return err
	}
	// The body is spooled to a temporary file before fasthttp's body is
	// replaced: SetBodyStream releases the request stream, so reading it
	// afterwards (as a wrapper of it would) reads freed memory.
	tmp, err := os.CreateTemp("", "naskah-form-*")
	if err != nil {
		return naskah.WrapError(naskah.EUNAVAILABLE, err, "Server tidak dapat menerima unggahan sekarang: coba lagi — the server cannot take the upload now: try again")
	}
	spool := &spooled{File: tmp}
	cr := &countReader{r: io.MultiReader(bytes.NewReader(prefix), stream)}
	size, err := io.Copy(tmp, api.LimitReader(cr, u.maxForm, "upload"))
	if err != nil {
		spool.Close()
		var ne *naskah.Error
		if errors.As(err, &ne) {
			return ne
		}
		if cr.n > u.maxForm || errors.Is(err, fasthttp.ErrBodyTooLarge) || strings.Contains(err.Error(), "body size exceeds") {
			return naskah.Errorf(naskah.ETOOLARGE, "Unggahan melebihi batas %d MB — The upload is larger than the limit of %d MB", u.maxForm>>20, u.maxForm>>20)
		}
		return naskah.WrapError(naskah.EINVALID, err, "the request body was cut off: send it again")
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		spool.Close()
		return naskah.WrapError(naskah.EUNAVAILABLE, err, "Server tidak dapat menerima unggahan sekarang: coba lagi — the server cannot take the upload now: try again")
	}
	req.SetBodyStream(spool, int(size)) // fasthttp closes it (and so removes the file) when the request ends
	if _, err := c.MultipartForm(); err != nil {
		var ne *naskah.Error
		if errors.As(err, &ne) {
			return ne
		}
		return naskah.WrapError(naskah.EINVALID, err, "Formulir unggahan tidak terbaca: kirim lagi — The upload form cannot be read: send it again")
	}
	return nil
}

// firstField is the value of the CSRF field among the multipart body's
// leading plain fields (before its first file) that end within prefix,
// else "".
func firstField(prefix []byte, boundary string) string {
	if boundary == "" {
		return ""
	}
	mr := multipart.NewReader(bytes.NewReader(prefix), boundary)
	for {
		p, err := mr.NextPart()
		if err != nil || p.FileName() != "" {
			return ""
		}
		v, err := io.ReadAll(io.LimitReader(p, 4096))
		if err != nil {
			return ""
		}
		if p.FormName() == csrfField {
			return string(v)
		}
	}
}

var errCSRF = errors.New("csrf")

func checkCSRF(c *fiber.Ctx, csrf, got string) error {
	if got == "" {
		got = c.Get(csrfHeader)
	}
	if subtle.ConstantTimeCompare([]byte(got), []byte(csrf)) != 1 {
		return errCSRF
	}
	return nil
}

// errSessionEnded refuses a file sent without a session before reading it.
var errSessionEnded = naskah.Errorf(naskah.EUNAUTHORIZED, "Sesi Anda berakhir: masuk lagi sebelum mengirim berkas — Your session ended: log in again before sending a file")

// countReader counts the bytes read through it.
type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// spooled is a request body on disk: closing it removes the file.
type spooled struct{ *os.File }

func (s *spooled) Close() error {
	err := s.File.Close()
	os.Remove(s.File.Name())
	return err
}
