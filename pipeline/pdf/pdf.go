// Package pdf is the PDF pipeline of Naskah: it validates uploaded PDFs
// (pdfcpu), stamps the marks of an SOP step (pdfcpu), signs them with an
// official's certificate (pdfsign) and verifies what it produced against
// our own trust roots.
//
// Stamps rewrite the whole file, so they go on before signing, never after;
// a mark on a signed document goes on a derived copy. Every function takes
// the PDF as bytes and returns new bytes; none keeps a reference to them.
// All functions are safe for concurrent use. Panics inside pdfcpu and
// pdfsign are recovered and returned as EINVALID errors.
package pdf

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"strings"
	"sync"

	"github.com/bpom/naskah"
	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
)

// Limits bounds what Inspect accepts. Zero means no limit.
type Limits struct {
	MaxBytes int64
	MaxPages int
}

// PageSize is a page's visible size in PDF points (1/72 inch), after its
// /Rotate is applied.
type PageSize struct {
	Width  float64 `json:"width"`
	Height float64 `json:"height"`
}

// Info describes a PDF that passed validation.
type Info struct {
	Pages      int        `json:"pages"`
	Version    string     `json:"version"`
	Producer   string     `json:"producer,omitempty"`
	Title      string     `json:"title,omitempty"`
	Encrypted  bool       `json:"encrypted"`
	Signatures int        `json:"signatures"`
	Size       int64      `json:"size"`
	PageSizes  []PageSize `json:"pageSizes,omitempty"`
	// ActiveContent lists what could act when the file is opened (see
	// Structure.ActiveContent).
	ActiveContent []string `json:"activeContent,omitempty"`
}

// configOnce keeps pdfcpu from creating and reading a configuration
// directory in the service user's home: we pass every setting explicitly.
var configOnce sync.Once

// newConfig returns a fresh pdfcpu configuration (pdfcpu mutates it per
// command, so it is never shared between calls).
func newConfig() *model.Configuration {
	configOnce.Do(api.DisableConfigDir)
	conf := model.NewDefaultConfiguration()
	conf.ValidationMode = model.ValidationRelaxed
	conf.WriteObjectStream = true
	conf.WriteXRefStream = true
	// Behind Check, in case a file gets past it.
	conf.Limits.MaxDecodeBytes = maxStreamInflated
	conf.Limits.MaxObjectCount = maxXrefSize
	conf.Limits.MaxXRefEntries = maxXrefSize
	conf.Limits.MaxObjectStreamCount = maxObjects
	return conf
}

// Inspect validates data with pdfcpu's relaxed validation and describes it.
// It returns ETOOLARGE when data exceeds lim, and EINVALID when data is not
// a PDF, is encrypted, or is broken beyond repair.
func Inspect(ctx context.Context, data []byte, lim Limits) (info *Info, err error) {
	if err := ctx.Err(); err != nil {
		return nil, canceled(err)
	}
	if lim.MaxBytes > 0 && int64(len(data)) > lim.MaxBytes {
		return nil, naskah.Errorf(naskah.ETOOLARGE, "the file is %s, more than the limit of %s: reduce its size (e.g. compress its images) and upload it again",
			humanBytes(int64(len(data))), humanBytes(lim.MaxBytes))
	}
	st, err := checkForPdfcpu(ctx, data)
	if err != nil {
		return nil, err
	}
	pc, err := readPDF(data)
	if err != nil {
		return nil, err
	}
	xr := pc.XRefTable
	if lim.MaxPages > 0 && xr.PageCount > lim.MaxPages {
		return nil, naskah.Errorf(naskah.ETOOLARGE, "the file has %d pages, more than the limit of %d: split it and upload the parts", xr.PageCount, lim.MaxPages)
	}
	info = &Info{
		Pages:         xr.PageCount,
		Version:       xr.VersionString(),
		Producer:      xr.Producer,
		Title:         xr.Title,
		Signatures:    countSignatures(data),
		Size:          int64(len(data)),
		ActiveContent: st.ActiveContent,
	}
	if err := recovered("read page sizes", func() error {
		dims, err := xr.PageDims()
		if err != nil {
			return err
		}
		for _, d := range dims {
			info.PageSizes = append(info.PageSizes, PageSize{Width: d.Width, Height: d.Height})
		}
		return nil
	}); err != nil {
		// Page sizes are a convenience: a file pdfcpu validated is not
		// refused because one page box is odd.
		info.PageSizes = nil
	}
	return info, nil
}

// readPDF parses and validates data with pdfcpu, turning its failures into
// errors a person can act on.
func readPDF(data []byte) (*model.Context, error) {
	if err := checkHeader(data); err != nil {
		return nil, err
	}
	var pc *model.Context
	err := recovered("read PDF", func() error {
		var err error
		pc, err = api.ReadAndValidate(bytes.NewReader(data), newConfig())
		return err
	})
	if err != nil {
		return nil, pdfcpuError(err)
	}
	if pc.XRefTable.Encrypt != nil || pc.XRefTable.E != nil {
		return nil, errEncrypted(nil)
	}
	if pc.PageCount < 1 {
		return nil, naskah.Errorf(naskah.EINVALID, "the file has no pages: export the document to PDF again and upload it")
	}
	return pc, nil
}

// checkHeader refuses files that are not PDFs before pdfcpu sees them, so
// that a Word file or an image gets a message naming the problem.
func checkHeader(data []byte) error {
	if len(data) == 0 {
		return naskah.Errorf(naskah.EINVALID, "the file is empty: upload the PDF again")
	}
	// The spec allows the header within the first 1024 bytes.
	head := data[:min(len(data), 1024)]
	if !bytes.Contains(head, []byte("%PDF-")) {
		return naskah.Errorf(naskah.EINVALID, "the file is not a PDF: export the document as PDF and upload that")
	}
	// A PDF ends with %%EOF (readers look in the last 1024 bytes). Without
	// it the upload was cut short, and pdfcpu's repair would quietly
	// accept the pages that happened to arrive.
	tail := data[max(0, len(data)-1024):]
	if !bytes.Contains(tail, []byte("%%EOF")) {
		return naskah.Errorf(naskah.EINVALID, "the file is incomplete or damaged (it does not end with %%%%EOF): the upload or the export was cut short; upload the complete PDF again")
	}
	return nil
}

// pdfcpuError translates a pdfcpu read or validation error into our codes.
func pdfcpuError(err error) error {
	var ne *naskah.Error
	if errors.As(err, &ne) {
		return err
	}
	msg := err.Error()
	switch {
	case errors.Is(err, pdfcpu.ErrWrongPassword), strings.Contains(msg, "encrypt"), strings.Contains(msg, "password"):
		return errEncrypted(err)
	default:
		return naskah.WrapError(naskah.EINVALID, err, "the PDF is damaged and cannot be read: open it in a PDF reader, save or print it to a new PDF, and upload that")
	}
}

func errEncrypted(err error) error {
	return naskah.WrapError(naskah.EINVALID, err, "the file is encrypted: remove the password and upload it again")
}

// recovered runs f and turns a panic into an EINVALID error: pdfcpu and
// pdfsign panic on some malformed inputs, and no panic may escape.
func recovered(op string, f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = naskah.WrapError(naskah.EINVALID, fmt.Errorf("%s: panic: %v\n%s", op, r, debug.Stack()),
				"the PDF is damaged and cannot be processed: open it in a PDF reader, save or print it to a new PDF, and upload that")
		}
	}()
	return f()
}

// canceled wraps a context error: the caller gave up or ran out of time.
func canceled(err error) error {
	return naskah.WrapError(naskah.EUNAVAILABLE, err, "the PDF operation was canceled or timed out: try again")
}

// countSignatures counts signature dictionaries, which pdfcpu's context
// does not report reliably for every file. It is a byte scan: cheap, and
// Verify does the real parse.
func countSignatures(data []byte) int {
	n := 0
	for _, sub := range [][]byte{[]byte("/adbe.pkcs7.detached"), []byte("/ETSI.CAdES.detached"), []byte("/adbe.pkcs7.sha1"), []byte("/ETSI.RFC3161")} {
		n += bytes.Count(data, sub)
	}
	return n
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KB", float64(n)/(1<<10))
	default:
		return fmt.Sprintf("%d bytes", n)
	}
}
