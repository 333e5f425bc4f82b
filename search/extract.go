package search

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/digitorus/pdf"

	"github.com/bpom/naskah"
	naskahpdf "github.com/bpom/naskah/pipeline/pdf"
)

// Bounds of a pdftotext run: its address space (through prlimit, when
// installed) and the text it may write.
const (
	pdftotextMemory = 1 << 30
	MaxText         = 64 << 20
)

// Extractor returns the plain text of a PDF, for indexing.
//
// Implementations are safe for concurrent use. A PDF that cannot be read
// is EINVALID; one that takes longer than the extractor's timeout (or a
// cancelled ctx) is EUNAVAILABLE, so the caller may retry or index the
// document without text. A panic in a parser is recovered as EINVALID.
type Extractor interface {
	Extract(ctx context.Context, pdf []byte) (string, error)
}

// NewExtractor returns pdftotext (poppler) when it is on PATH, else the
// pure-Go extractor; each extraction is bounded by timeout.
func NewExtractor(timeout time.Duration) Extractor {
	if path, err := exec.LookPath("pdftotext"); err == nil {
		return &Pdftotext{Path: path, Timeout: timeout}
	}
	return &GoExtractor{Timeout: timeout}
}

// Pdftotext runs `pdftotext -layout - -`, the PDF on stdin, text on stdout.
type Pdftotext struct {
	Path    string // the binary
	Timeout time.Duration
}

// Extract implements Extractor.
func (x *Pdftotext) Extract(ctx context.Context, b []byte) (string, error) {
	if _, err := naskahpdf.Check(ctx, b); err != nil {
		return "", err // loops, nesting and bombs never reach the parser
	}
	ctx, cancel := withTimeout(ctx, x.Timeout)
	defer cancel()
	name, args := x.Path, []string{"-q", "-enc", "UTF-8", "-layout", "-", "-"}
	if lim, err := exec.LookPath("prlimit"); err == nil {
		bound := []string{"--as=" + strconv.Itoa(pdftotextMemory)}
		if x.Timeout > 0 {
			bound = append(bound, "--cpu="+strconv.Itoa(int(x.Timeout.Seconds())+1))
		}
		name, args = lim, append(append(bound, "--", x.Path), args...)
	}
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdin = bytes.NewReader(b)
	var stderr bytes.Buffer
	out := &cappedBuffer{max: MaxText}
	cmd.Stdout, cmd.Stderr = out, &limitedWriter{w: &stderr, n: 64 << 10}
	cmd.WaitDelay = time.Second // do not wait for a killed child's pipes forever
	err := cmd.Run()
	if ctxErr := ctx.Err(); ctxErr != nil {
		return "", timeoutError(ctxErr, x.Timeout)
	}
	if out.over {
		return "", naskah.Errorf(naskah.ETOOLARGE, "the PDF's text is longer than %d MB; the document is kept and indexed without its text", MaxText>>20)
	}
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return "", naskah.WrapError(naskah.EINVALID, fmt.Errorf("pdftotext: %w: %s", err, strings.TrimSpace(stderr.String())),
				"the PDF's text cannot be read; check that the file is a valid, unencrypted PDF")
		}
		return "", naskah.WrapError(naskah.EUNAVAILABLE, err, "pdftotext could not run; check that poppler-utils is installed")
	}
	return out.String(), nil
}

// GoExtractor reads text objects with a pure-Go PDF parser. It keeps
// reading order by lines (top to bottom) but not columns; pdftotext does
// better on complex layouts. A parser that overruns the timeout is
// abandoned (its goroutine finishes in the background).
type GoExtractor struct {
	Timeout time.Duration
}

// Extract implements Extractor.
func (x *GoExtractor) Extract(ctx context.Context, b []byte) (string, error) {
	if _, err := naskahpdf.Check(ctx, b); err != nil {
		return "", err // the parser cannot be stopped: it sees no file it could loop on
	}
	ctx, cancel := withTimeout(ctx, x.Timeout)
	defer cancel()
	type result struct {
		text string
		err  error
	}
	done := make(chan result, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				done <- result{err: naskah.WrapError(naskah.EINVALID, fmt.Errorf("pdf: panic: %v", p),
					"the PDF's text cannot be read; check that the file is a valid PDF")}
			}
		}()
		text, err := goExtract(ctx, b)
		done <- result{text, err}
	}()
	select {
	case r := <-done:
		return r.text, r.err
	case <-ctx.Done():
		return "", timeoutError(ctx.Err(), x.Timeout)
	}
}

func goExtract(ctx context.Context, b []byte) (string, error) {
	r, err := pdf.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return "", naskah.WrapError(naskah.EINVALID, err, "the PDF's text cannot be read; check that the file is a valid, unencrypted PDF")
	}
	var sb strings.Builder
	for n := 1; n <= r.NumPage(); n++ {
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		p := r.Page(n)
		if p.V.IsNull() {
			continue
		}
		writeLines(&sb, p.Content().Text)
		sb.WriteString("\f") // page break, as pdftotext writes
	}
	return sb.String(), nil
}

// writeLines orders glyph runs top to bottom, left to right, and puts a
// space where runs are apart and a newline where the baseline moves.
func writeLines(sb *strings.Builder, texts []pdf.Text) {
	sort.SliceStable(texts, func(i, j int) bool {
		a, b := texts[i], texts[j]
		if math.Abs(a.Y-b.Y) > 0.5*max(a.FontSize, b.FontSize, 1) {
			return a.Y > b.Y
		}
		return a.X < b.X
	})
	for k, t := range texts {
		if k > 0 {
			prev := texts[k-1]
			switch {
			case math.Abs(t.Y-prev.Y) > 0.5*max(t.FontSize, prev.FontSize, 1):
				sb.WriteByte('\n')
			case t.X > prev.X+prev.W+0.15*max(t.FontSize, 1):
				sb.WriteByte(' ')
			}
		}
		sb.WriteString(t.S)
	}
	if len(texts) > 0 {
		sb.WriteByte('\n')
	}
}

func withTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if d <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, d)
}

func timeoutError(err error, d time.Duration) error {
	return naskah.WrapError(naskah.EUNAVAILABLE, err, "text extraction stopped after %s; the document is kept and can be indexed again later", d)
}

// cappedBuffer keeps up to max bytes and then fails the write, which
// closes pdftotext's output pipe and ends it. (Not an embedded
// bytes.Buffer: io.Copy would use its ReadFrom and bypass the cap.)
type cappedBuffer struct {
	buf  bytes.Buffer
	max  int
	over bool
}

func (c *cappedBuffer) Write(p []byte) (int, error) {
	if c.buf.Len()+len(p) > c.max {
		c.over = true
		return 0, errors.New("text limit reached")
	}
	return c.buf.Write(p)
}

func (c *cappedBuffer) String() string { return c.buf.String() }

// limitedWriter keeps the first n bytes and drops the rest.
type limitedWriter struct {
	w *bytes.Buffer
	n int
}

func (l *limitedWriter) Write(p []byte) (int, error) {
	if room := l.n - l.w.Len(); room > 0 {
		l.w.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}
