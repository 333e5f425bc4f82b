package pdf

import "context"

// ReadPageGeometry exposes the page lookup of the signature box to tests.
func ReadPageGeometry(data []byte, n int) (box Rect, rotate, page int, err error) {
	g, page, err := readPageGeometry(context.Background(), data, n)
	return g.Box, g.Rotate, page, err
}
