package pdf

import (
	"fmt"

	"github.com/bpom/naskah"
	pdfreader "github.com/digitorus/pdf"
)

// Bounds of the walks over fields, pages and annotations, against loops
// and huge trees in malformed files.
const (
	maxFieldDepth = 16
	maxNodes      = 100000
)

// checkForm refuses a PDF whose AcroForm holds fields pdfsign would drop:
// pdfsign rewrites /AcroForm /Fields with only the top-level fields of
// type /Sig it found plus the new one (pdfcatalog.go), so text fields,
// check boxes and signature fields nested under a parent without /FT
// would vanish from the form of the signed file.
func checkForm(rdr *pdfreader.Reader) error {
	fields := rdr.Trailer().Key("Root").Key("AcroForm").Key("Fields")
	for i := 0; i < fields.Len() && i < maxNodes; i++ {
		f := fields.Index(i)
		if f.Key("FT").Name() == "Sig" { // kept with its kids, if any
			if !f.Key("V").IsNull() {
				continue
			}
			// pdfsign always adds a new field and cannot fill this one;
			// left empty, pdfsig lists it and pdfcpu fails on it.
			name := f.Key("T").Text()
			return naskah.Errorf(naskah.EINVALID, "PDF ini berisi kolom tanda tangan kosong (%q) yang tidak dapat diisi Naskah: hapus kolom itu atau cetak ke PDF baru, lalu unggah lagi — this PDF has an empty signature field (%q) that Naskah cannot fill: remove the field or print to a new PDF and upload that", name, name)
		}
		name := f.Key("T").Text()
		return naskah.Errorf(naskah.EINVALID, "PDF ini berisi isian formulir (%q) yang akan hilang saat ditandatangani: ratakan (flatten) formulir atau cetak ke PDF baru, lalu unggah lagi — this PDF has form fields (%q) that signing would drop: flatten the form or print it to a new PDF and upload that", name, name)
	}
	return nil
}

// signatureSet collects signature dictionaries (/V of signature fields),
// each once.
type signatureSet struct {
	vals []pdfreader.Value
	seen map[string]bool
}

func (s *signatureSet) add(v pdfreader.Value) {
	if len(s.vals) >= 1000 {
		return
	}
	if s.seen == nil {
		s.seen = map[string]bool{}
	}
	k := valueKey(v)
	if !s.seen[k] {
		s.seen[k] = true
		s.vals = append(s.vals, v)
	}
}

// addFields adds the signatures of the AcroForm field tree.
func (s *signatureSet) addFields(rdr *pdfreader.Reader) {
	for _, v := range signatureFields(rdr.Trailer().Key("Root").Key("AcroForm").Key("Fields"), 0, nil) {
		s.add(v)
	}
}

// addAnnots adds the signatures of signature widgets reachable from the
// pages' /Annots, which may be missing from /Fields (pdfsig
// -add-signature and other tools leave their field out).
func (s *signatureSet) addAnnots(rdr *pdfreader.Reader) {
	root := rdr.Trailer().Key("Root")
	add := s.add
	nodes := 0
	walkPages(root.Key("Pages"), 0, &nodes, map[string]bool{}, func(page pdfreader.Value) {
		annots := page.Key("Annots")
		for i := 0; i < annots.Len() && nodes < maxNodes; i++ {
			nodes++
			if v, ok := widgetSignature(annots.Index(i)); ok {
				add(v)
			}
		}
	})
}

// widgetSignature returns the signature dictionary of a widget annotation
// that is (or whose parent field is) a signed signature field.
func widgetSignature(a pdfreader.Value) (pdfreader.Value, bool) {
	f := a
	for range maxFieldDepth {
		v := f.Key("V")
		if !v.IsNull() {
			if inheritedFT(f) == "Sig" || v.Key("Type").Name() == "Sig" || v.Key("ByteRange").Len() > 0 {
				return v, true
			}
			return v, false
		}
		f = f.Key("Parent")
		if f.IsNull() {
			break
		}
	}
	return pdfreader.Value{}, false
}

// inheritedFT returns a field's type, inherited from its parents.
func inheritedFT(f pdfreader.Value) string {
	for range maxFieldDepth {
		if ft := f.Key("FT").Name(); ft != "" {
			return ft
		}
		f = f.Key("Parent")
		if f.IsNull() {
			break
		}
	}
	return ""
}

// walkPages calls fn for each page of the tree under n, visiting each
// node once.
func walkPages(n pdfreader.Value, depth int, nodes *int, seen map[string]bool, fn func(pdfreader.Value)) {
	if depth > 64 || *nodes >= maxNodes || n.IsNull() {
		return
	}
	if k := valueKey(n); k != "" {
		if seen[k] {
			return
		}
		seen[k] = true
	}
	*nodes++
	kids := n.Key("Kids")
	if n.Key("Type").Name() == "Page" || kids.IsNull() {
		fn(n)
		return
	}
	for i := 0; i < kids.Len() && *nodes < maxNodes; i++ {
		walkPages(kids.Index(i), depth+1, nodes, seen, fn)
	}
}

// valueKey identifies an indirect object by number; a direct one by its
// /ByteRange (a signature dictionary) or not at all.
func valueKey(v pdfreader.Value) string {
	if p := v.GetPtr(); p.GetID() != 0 {
		return fmt.Sprintf("%d %d", p.GetID(), p.GetGen())
	}
	if br := v.Key("ByteRange"); br.Len() > 0 {
		return fmt.Sprint(br)
	}
	return ""
}
