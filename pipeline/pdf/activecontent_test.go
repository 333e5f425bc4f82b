package pdf_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bpom/naskah/pipeline/pdf"
	"github.com/bpom/naskah/pipeline/pdf/pdftest"
)

// TestActiveContentObjectStreams: active content is found and removed the
// same when qpdf has moved every object (the action dictionaries, the
// names an indirect /S points at) into object streams.
func TestActiveContentObjectStreams(t *testing.T) {
	qpdf := pdftest.RequireTool(t, "qpdf")
	ctx := context.Background()
	dir := t.TempDir()
	for i, h := range pdftest.HostileSet() {
		if h.Code != "" {
			continue
		}
		t.Run(h.Name, func(t *testing.T) {
			in, out := filepath.Join(dir, fmt.Sprint(i)+".pdf"), filepath.Join(dir, fmt.Sprint(i)+"-objstm.pdf")
			if err := os.WriteFile(in, h.Data, 0o600); err != nil {
				t.Fatal(err)
			}
			// qpdf exits 3 on warnings (the hostile files are hand-written).
			if o, err := exec.Command(qpdf, "--object-streams=generate", in, out).CombinedOutput(); err != nil && !strings.Contains(err.Error(), "exit status 3") {
				t.Fatalf("qpdf: %v %s", err, o)
			}
			data, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			st, err := pdf.Check(ctx, data)
			if err != nil {
				t.Fatalf("check: %v", err)
			}
			all := strings.Join(st.ActiveContent, "\n")
			for _, want := range h.Active {
				if !strings.Contains(all, want) {
					t.Errorf("check: got active content %q, want one naming %q", st.ActiveContent, want)
				}
			}
			clean, removed, err := pdf.StampForSigningClean(ctx, data, pdf.SigningMarks{VerifyURL: "http://127.0.0.1/v/1"})
			if err != nil && strings.Contains(h.Name, "SubmitForm") && strings.Contains(err.Error(), "formulir") {
				return // refused at upload: see TestActiveContent
			}
			if err != nil {
				t.Fatalf("stamp for signing: %v", err)
			}
			if len(removed) == 0 {
				t.Errorf("stamp for signing: got nothing removed, want %q", st.ActiveContent)
			}
			if st, err := pdf.Check(ctx, clean); err != nil || len(st.ActiveContent) > 0 {
				t.Errorf("the text to sign: got %v, %q, want no active content", err, st.ActiveContent)
			}
		})
	}
}

// TestURITargets: which /URI targets are web links and which open files,
// shares or code.
func TestURITargets(t *testing.T) {
	for uri, active := range map[string]bool{
		`https://www.pom.go.id/`:   false,
		`http://127.0.0.1/v/1`:     false,
		`mailto:humas@pom.go.id`:   false,
		`lampiran/jadwal.html`:     false,
		`#halaman-2`:               false,
		`\\\\evil\\share`:          true, // \\evil\share written as a PDF string
		`//evil/share/x.pdf`:       true,
		`\\/evil/share`:            true, // \/ is read as //
		` \\\\evil\\share`:         true,
		`file://evil/share`:        true,
		`FILE:///etc/passwd`:       true,
		`file:\\\\evil\\share`:     true,
		`C:\\Windows\\calc.exe`:    true,
		`..\\..\\Windows\\cmd.exe`: true,
		`javascript:app.alert(1)`:  true,
		`smb://evil/share`:         true,
	} {
		data := pdftest.RawPDF(
			"<< /Type /Catalog /Pages 2 0 R >>",
			"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
			"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Annots [4 0 R] >>",
			"<< /Type /Annot /Subtype /Link /Rect [72 700 300 730] /A << /S /URI /URI ("+uri+") >> >>")
		st, err := pdf.Check(context.Background(), data)
		if err != nil {
			t.Fatalf("%s: %v", uri, err)
		}
		if got := len(st.ActiveContent) > 0; got != active {
			t.Errorf("/URI (%s): got active content %q, want active=%v", uri, st.ActiveContent, active)
		}
	}
}

// TestCheckIndirectTypes: an annotation's /Subtype and a stream's /Type
// kept in objects of their own (or behind a reference to a reference) are
// read as readers read them. (pdfcpu refuses such an annotation as damaged,
// but Verify and Check read files pdfcpu never opens.)
func TestCheckIndirectTypes(t *testing.T) {
	for name, c := range map[string]struct {
		objs []string
		want string
	}{
		"/Subtype 5 0 R":         {[]string{"<< /Type /Annot /Subtype 5 0 R /Rect [72 600 90 620] /FS (evil.exe) >>", "/FileAttachment"}, "FileAttachment"},
		"/Subtype 5 0 R → 6 0 R": {[]string{"<< /Type /Annot /Subtype 5 0 R /Rect [72 600 90 620] >>", "6 0 R", "/RichMedia"}, "RichMedia"},
		"/Type 5 0 R":            {[]string{"<< /Type /Annot /Subtype /Text /Rect [72 600 90 620] /X 6 0 R >>", "/EmbeddedFile", "<< /Type 5 0 R /Length 2 >>\nstream\nMZ\nendstream"}, "embedded file"},
		"/S 5 0 R /URI 6 0 R":    {[]string{"<< /Type /Annot /Subtype /Link /Rect [72 600 90 620] /A << /S 5 0 R /URI 6 0 R >> >>", "/URI", "(\\\\\\\\evil\\\\share)"}, "URI"},
	} {
		data := pdftest.RawPDF(append([]string{
			"<< /Type /Catalog /Pages 2 0 R >>",
			"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
			"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Annots [4 0 R] >>"}, c.objs...)...)
		st, err := pdf.Check(context.Background(), data)
		if err != nil || !strings.Contains(strings.Join(st.ActiveContent, "\n"), c.want) {
			t.Errorf("%s: got %v %+v, want active content naming %q", name, err, st, c.want)
		}
	}
}

// TestCheckObjectStreamIndirectType: an object stream whose /Type is a
// reference is still read for what its objects hide.
func TestCheckObjectStreamIndirectType(t *testing.T) {
	qpdf := pdftest.RequireTool(t, "qpdf")
	var js []byte
	for _, h := range pdftest.HostileSet() {
		if h.Name == "JavaScript" {
			js = h.Data
		}
	}
	dir := t.TempDir()
	in, out := filepath.Join(dir, "js.pdf"), filepath.Join(dir, "js-objstm.pdf")
	if err := os.WriteFile(in, js, 0o600); err != nil {
		t.Fatal(err)
	}
	if o, err := exec.Command(qpdf, "--object-streams=generate", in, out).CombinedOutput(); err != nil && !strings.Contains(err.Error(), "exit status 3") {
		t.Fatalf("qpdf: %v %s", err, o)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(data, []byte("/Type /ObjStm")) {
		t.Fatal("qpdf wrote no object stream")
	}
	// Same length, so the cross-reference offsets stay right; object 99
	// (outside the table) holds the name.
	data = bytes.ReplaceAll(data, []byte("/Type /ObjStm"), []byte("/Type 99 0 R "))
	data = append(data, "\n99 0 obj\n/ObjStm\nendobj\n"...)
	st, err := pdf.Check(context.Background(), data)
	if err != nil || !strings.Contains(strings.Join(st.ActiveContent, "\n"), "JavaScript") {
		t.Errorf("got %v %+v, want the JavaScript inside the object stream found", err, st)
	}
}
