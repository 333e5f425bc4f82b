package pdf

import "context"

// CheckForPdfcpu exposes the check of the paths that hand a file to pdfcpu.
func CheckForPdfcpu(ctx context.Context, data []byte) (*Structure, error) {
	return checkForPdfcpu(ctx, data)
}
