package pipeline_test

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
)

// mustSpecimenDir returns a specimen directory with a seal for each user.
func mustSpecimenDir(t *testing.T, users ...string) string {
	t.Helper()
	dir := t.TempDir()
	img := image.NewNRGBA(image.Rect(0, 0, 240, 240))
	for y := 40; y < 200; y++ {
		for x := 40; x < 200; x++ {
			if d := (x-120)*(x-120) + (y-120)*(y-120); d < 80*80 && d > 64*64 {
				img.Set(x, y, color.NRGBA{0xb0, 0, 0, 0xff})
			}
		}
	}
	var b bytes.Buffer
	png.Encode(&b, img)
	for _, u := range users {
		if err := os.WriteFile(filepath.Join(dir, u+".png"), b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

var widgetRect = regexp.MustCompile(`/Rect \[([-0-9.]+) ([-0-9.]+) ([-0-9.]+) ([-0-9.]+)\]`)

// checkSignatureBoxes checks that a signed text carries n visible boxes,
// drawn as images, none overlapping another, all on the harness's US
// Letter page (pdftest.TextPDF).
func checkSignatureBoxes(t *testing.T, data []byte, n int) {
	t.Helper()
	var rects [][4]float64
	for _, m := range widgetRect.FindAllSubmatch(data, -1) {
		var r [4]float64
		for i := range r {
			r[i], _ = strconv.ParseFloat(string(m[i+1]), 64)
		}
		if r[2]-r[0] < 1 {
			continue // an invisible signature's [0 0 0 0]
		}
		if r[0] < 0 || r[1] < 0 || r[2] > 612 || r[3] > 792 {
			t.Errorf("signature box %v is off the Letter page", r)
		}
		for _, o := range rects {
			if r[0] < o[2] && o[0] < r[2] && r[1] < o[3] && o[1] < r[3] {
				t.Errorf("signature box %v overlaps %v", r, o)
			}
		}
		rects = append(rects, r)
	}
	if len(rects) != n {
		t.Errorf("got %d visible signature boxes, want %d", len(rects), n)
	}
	// pdfsign draws the box image as /Im1 and, without one, /Name as text.
	if got := bytes.Count(data, []byte("/Im1 Do")); got != n {
		t.Errorf("got %d boxes drawn as images, want %d", got, n)
	}
}
