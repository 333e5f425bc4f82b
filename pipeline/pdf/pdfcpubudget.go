package pdf

import (
	"context"

	"github.com/bpom/naskah"
)

// pdfcpu decodes every page content stream (and form, font and other
// non-image streams) it stamps into memory, and its peak grows faster
// than the stream: a 120 MB content stream costs it about 435 MB, a 32 MB
// one 165 MB, while sixteen streams of 4 MB cost 24 MB together. Images
// (the bulk of scans) it leaves encoded. The paths that hand a file to
// pdfcpu (Inspect, the stamps, the uncontrolled copy) therefore hold the
// file's content to these bounds, the same for an upload and for our own
// output, so that peak stays under 256 MB above the baseline: what passed
// at upload is never refused later.
const (
	maxPdfcpuStream  = 24 << 20 // what one content stream may inflate to
	maxPdfcpuContent = 96 << 20 // what the content streams inflate to together
	// minCountedContent: streams smaller than this are not counted in
	// maxPdfcpuContent. pdfcpu's cost for them is small (maxObjects of them
	// inflate to 160 MB at most, and Check's InflateBudget still holds), and
	// the few hundred bytes our stamps add per page never tip a file that
	// passed over the limit.
	minCountedContent = 4 << 10
)

// checkForPdfcpu is Check for a file pdfcpu will read: it also refuses,
// with ETOOLARGE, content that inflates past maxPdfcpuStream or
// maxPdfcpuContent.
func checkForPdfcpu(ctx context.Context, data []byte) (*Structure, error) {
	st, err := Check(ctx, data)
	if err != nil {
		return nil, err
	}
	if err := pdfcpuFits(st); err != nil {
		return nil, err
	}
	return st, nil
}

// pdfcpuFits returns ETOOLARGE when st's content is beyond pdfcpu's
// budget, or nil.
func pdfcpuFits(st *Structure) error {
	size, limit := st.LargestContent, int64(maxPdfcpuStream)
	if st.LargestContent <= maxPdfcpuStream {
		if st.Content <= maxPdfcpuContent {
			return nil
		}
		size, limit = st.Content, maxPdfcpuContent
	}
	return naskah.Errorf(naskah.ETOOLARGE, "Isi halaman PDF ini mengembang menjadi %s saat diproses, lebih dari batas %s: simpan ulang dengan grafik yang lebih sederhana, atau cetak ke PDF sebagai gambar hasil pindai, lalu unggah — This PDF's page content inflates to %s when processed, more than the limit of %s: save it again with simpler graphics, or print it to PDF as scanned images, and upload that",
		humanBytes(size), humanBytes(limit), humanBytes(size), humanBytes(limit))
}
