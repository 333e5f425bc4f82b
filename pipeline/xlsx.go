package pipeline

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/bpom/naskah"
)

// MediaXLSX is the media type of a spreadsheet monev matrix.
const MediaXLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// isXLSX reports whether data looks like an Office Open XML file (a zip).
func isXLSX(data []byte) bool { return bytes.HasPrefix(data, []byte("PK\x03\x04")) }

// xlsxText returns the cells of every sheet as lines of tab-separated text,
// or EINVALID when the file is not a readable spreadsheet. excelize may
// panic on hostile zips: recover.
func xlsxText(ctx context.Context, data []byte) (text string, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = naskah.Errorf(naskah.EINVALID, "the spreadsheet could not be read (%v): save it again as .xlsx or upload a PDF", r)
		}
	}()
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		return "", naskah.WrapError(naskah.EINVALID, err, "the monev matrix is not a readable .xlsx file: save it again as .xlsx or upload a PDF")
	}
	defer f.Close()
	var b strings.Builder
	for _, sheet := range f.GetSheetList() {
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		rows, err := f.GetRows(sheet)
		if err != nil {
			return "", naskah.WrapError(naskah.EINVALID, err, "sheet %q of the monev matrix cannot be read", sheet)
		}
		fmt.Fprintf(&b, "%s\n", sheet)
		for _, r := range rows {
			b.WriteString(strings.Join(r, "\t"))
			b.WriteByte('\n')
		}
	}
	return b.String(), nil
}
