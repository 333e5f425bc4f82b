package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	pdfapi "github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"

	"github.com/bpom/naskah"
	"github.com/bpom/naskah/internal/miniotest"
	"github.com/bpom/naskah/pipeline"
	"github.com/bpom/naskah/pipeline/pdf"
	"github.com/bpom/naskah/pipeline/pdf/pdftest"
	"github.com/bpom/naskah/search"
	"github.com/bpom/naskah/storage"
)

var opsUnit = naskah.Actor{User: "ditwas", Role: naskah.RoleUnit, Unit: "Direktorat Pengawasan Obat"}

// clearNaskahEnv keeps the developer's NASKAH_* settings out of a test
// that configures through the environment.
func clearNaskahEnv(t *testing.T) {
	t.Helper()
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "NASKAH_") && k != "NASKAH_REQUIRE_MINIO" && k != "NASKAH_REQUIRE_TOOLS" && k != "NASKAH_ARTIFACTS" {
			t.Setenv(k, "")
		}
	}
	t.Setenv("NASKAH_LOG_LEVEL", "error")
}

// mustRun runs a naskah command in-process and returns its output.
func mustRun(t *testing.T, want int, args ...string) string {
	t.Helper()
	var out, errOut bytes.Buffer
	if code := run(context.Background(), args, &out, &errOut); code != want {
		t.Fatalf("naskah %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, want, out.String(), errOut.String())
	}
	return out.String() + errOut.String()
}

// populate gives a store what a working one holds: agreements at several
// steps with several versions, a retained imported original, and queued
// index updates.
func populate(t *testing.T, cfg Config) {
	t.Helper()
	ctx := context.Background()
	m := &Main{Config: cfg}
	if err := m.Open(ctx); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	e := m.Engine
	for i := range 3 {
		a, err := e.Initiate(ctx, opsUnit, naskah.Agreement{Title: fmt.Sprintf("Kerja sama %d", i), Kind: naskah.KindMoU, Process: naskah.ProcessDomestic,
			Partner: naskah.Partner{Name: "Universitas Gadjah Mada", Kind: naskah.PartnerAcademia}}, "")
		if err != nil {
			t.Fatal(err)
		}
		for v := range i + 1 {
			for _, k := range []naskah.DocumentKind{naskah.DocNotaDinas, naskah.DocInitialDraft} {
				if a, err = e.Upload(ctx, pipeline.Request{Actor: opsUnit, ID: a.ID}, pipeline.Upload{Kind: k, FileName: "x.pdf",
					Body: bytes.NewReader(textPDF(fmt.Sprintf("naskah%dv%d", i, v)))}); err != nil {
					t.Fatal(err)
				}
			}
		}
		if i == 2 {
			if _, err := e.Act(ctx, pipeline.Request{Actor: opsUnit, ID: a.ID}, naskah.ActionSubmit); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := e.Import(ctx, naskah.Actor{User: "op", Role: naskah.RoleAdmin}, naskah.Agreement{Title: "Arsip lama", Kind: naskah.KindPKS,
		Unit: "Direktorat Pengawasan Obat", Partner: naskah.Partner{Name: "PT Kimia Farma", Kind: naskah.PartnerBusiness}}, textPDF("arsiplama")); err != nil {
		t.Fatal(err)
	}
}

// versions returns every version of every key, oldest first per key.
func versions(t *testing.T, st storage.Store) map[string][]storage.ObjectInfo {
	t.Helper()
	ctx := context.Background()
	objs, err := st.List(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]storage.ObjectInfo{}
	for _, o := range objs {
		vs, err := st.ListVersions(ctx, o.Key)
		if err != nil {
			t.Fatal(err)
		}
		for i := len(vs) - 1; i >= 0; i-- {
			info, err := st.Stat(ctx, o.Key, storage.GetOptions{VersionID: vs[i].VersionID})
			if err != nil {
				t.Fatal(err)
			}
			out[o.Key] = append(out[o.Key], info)
		}
	}
	return out
}

// compareStores checks that dst holds every version of src with the same
// bytes (SHA-256), content type, metadata and retention; records compare
// equal once the version ids they name are mapped to dst's.
func compareStores(t *testing.T, src, dst storage.Store) {
	t.Helper()
	a, b := versions(t, src), versions(t, dst)
	if len(a) != len(b) {
		t.Fatalf("got %d keys, want %d", len(b), len(a))
	}
	ids := map[string]string{}
	n := 0
	for key, vs := range a {
		ws := b[key]
		if len(ws) != len(vs) {
			t.Errorf("%s: got %d versions, want %d", key, len(ws), len(vs))
			continue
		}
		for i, v := range vs {
			w := ws[i]
			ids[key+"\x00"+v.VersionID] = w.VersionID
			if isRecord(key) {
				continue
			}
			n++
			if v.SHA256 != w.SHA256 || v.Size != w.Size || v.ContentType != w.ContentType || fmt.Sprint(v.Metadata) != fmt.Sprint(w.Metadata) {
				t.Errorf("%s version %d: got %s %d %s %v, want %s %d %s %v", key, i+1, w.SHA256, w.Size, w.ContentType, w.Metadata, v.SHA256, v.Size, v.ContentType, v.Metadata)
			}
			if !v.RetainUntil.Equal(w.RetainUntil) {
				t.Errorf("%s version %d: retained until %v, want %v", key, i+1, w.RetainUntil, v.RetainUntil)
			}
		}
	}
	for key, vs := range a {
		if !isRecord(key) || len(b[key]) != len(vs) {
			continue
		}
		for i, v := range vs {
			want, got := readAgreement(t, src, key, v.VersionID), readAgreement(t, dst, key, b[key][i].VersionID)
			for j := range want.Documents {
				want.Documents[j].VersionID = ids[want.Documents[j].Key+"\x00"+want.Documents[j].VersionID]
			}
			wj, _ := json.Marshal(want)
			gj, _ := json.Marshal(got)
			if !bytes.Equal(wj, gj) {
				t.Errorf("%s version %d differs after restore:\ngot  %s\nwant %s", key, i+1, gj, wj)
			}
			n++
		}
	}
	t.Logf("%d keys, %d versions compared", len(a), n)
}

func readAgreement(t *testing.T, st storage.Store, key, vid string) naskah.Agreement {
	t.Helper()
	rc, _, err := st.Get(context.Background(), key, storage.GetOptions{VersionID: vid})
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	var a naskah.Agreement
	if err := json.NewDecoder(rc).Decode(&a); err != nil {
		t.Fatal(err)
	}
	return a
}

// compareConfigs opens both stores, compares them and closes them again
// (a local store is locked while open, and fsck must open it next).
func compareConfigs(t *testing.T, src, dst Config) {
	t.Helper()
	a, b := &Main{Config: src}, &Main{Config: dst}
	defer a.Close()
	defer b.Close()
	if err := a.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := b.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	compareStores(t, a.Store, b.Store)
}

func TestBackupRestoreLocal(t *testing.T) {
	clearNaskahEnv(t)
	src, dst := DefaultConfig(), DefaultConfig()
	src.DataDir, dst.DataDir = t.TempDir(), t.TempDir()
	populate(t, src)
	file := filepath.Join(t.TempDir(), "naskah.tar.gz")
	mustRun(t, 0, "backup", "-data", src.DataDir, "--to", file)
	out := mustRun(t, 0, "restore", "-data", dst.DataDir, "--from", file)
	if !strings.Contains(out, "reindexed 4 agreements") {
		t.Errorf("restore output lacks the reindex:\n%s", out)
	}
	compareConfigs(t, src, dst)
	mustRun(t, 0, "fsck", "-data", dst.DataDir)
	if out := mustRun(t, 1, "restore", "-data", dst.DataDir, "--from", file); !strings.Contains(out, "not empty") {
		t.Errorf("restore into a non-empty store: %s, want a refusal naming it", out)
	}

	// A damaged backup is refused, not half-trusted.
	data, _ := os.ReadFile(file)
	bad := filepath.Join(t.TempDir(), "cut.tar.gz")
	os.WriteFile(bad, data[:len(data)/2], 0o600)
	mustRun(t, 1, "restore", "-data", t.TempDir(), "--from", bad)
}

func TestBackupRestoreMinIO(t *testing.T) {
	clearNaskahEnv(t)
	srv := miniotest.Start(t)
	t.Setenv("NASKAH_MINIO_ENDPOINT", srv.Endpoint)
	t.Setenv("NASKAH_MINIO_ACCESS_KEY", srv.AccessKey)
	t.Setenv("NASKAH_MINIO_SECRET_KEY", srv.SecretKey)
	t.Setenv("NASKAH_MINIO_BUCKET", "naskah-src")
	src, err := LoadConfig("", os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	src.DataDir = t.TempDir()
	populate(t, src)
	file := filepath.Join(t.TempDir(), "naskah.tar")
	mustRun(t, 0, "backup", "-data", src.DataDir, "--to", file)

	t.Setenv("NASKAH_MINIO_BUCKET", "naskah-dst")
	dst, _ := LoadConfig("", os.Getenv)
	dst.DataDir = t.TempDir()
	mustRun(t, 0, "restore", "-data", dst.DataDir, "--from", file)
	compareConfigs(t, src, dst)
	mustRun(t, 0, "fsck", "-data", dst.DataDir)
	if out := mustRun(t, 0, "fsck", "-repair", "-deep", "-data", dst.DataDir); !strings.Contains(out, "clean") || strings.Contains(out, "repaired") || !strings.Contains(out, "deep: read") {
		t.Errorf("fsck -repair -deep on a restored store: want clean with nothing to repair, every byte read\n%s", out)
	} else {
		t.Logf("fsck -deep: %s", out)
	}
}

// TestImport200 imports 200 rows: 188 good PDFs (2 of them digitally
// signed by a trusted CA) and 12 that must be refused, each with its reason.
func TestImport200(t *testing.T) {
	clearNaskahEnv(t)
	ctx := context.Background()
	pki := pdftest.MustPKI(t)
	tmp := t.TempDir()
	roots := filepath.Join(tmp, "roots.pem")
	os.WriteFile(roots, pki.CAPEM(), 0o600)
	t.Setenv("NASKAH_TRUST_ROOTS", roots)
	dir := filepath.Join(tmp, "pdf")
	os.Mkdir(dir, 0o750)
	signer := pki.MustSigner(t, "Dr. Taruna Ikrar", "Kepala Badan", "")
	stranger := pdftest.MustPKI(t).MustSigner(t, "Somebody", "Director", "")

	var csv strings.Builder
	csv.WriteString("file,title,kind,scope,partner_name,partner_kind,partner_country,unit,signed_at,valid_until,number\n")
	refused := map[string]string{} // file → words of the reason
	row := func(file, title, kind, scope, country string, data []byte) {
		if data != nil {
			os.WriteFile(filepath.Join(dir, file), data, 0o600)
		}
		fmt.Fprintf(&csv, "%s,%q,%s,%s,Mitra %s,government,%s,Direktorat Pengawasan Obat,2019-05-%02d,2029-05-01,HK.%s\n",
			file, title, kind, scope, file, country, len(file)%28+1, file)
	}
	for i := range 188 {
		data := textPDF(fmt.Sprintf("arsip%03d", i))
		if i < 2 {
			s, err := pdfSign(ctx, data, signer)
			if err != nil {
				t.Fatal(err)
			}
			data = s
		}
		scope, kind, country := "domestic", "mou", ""
		if i%5 == 0 {
			scope, kind, country = "foreign", "arrangement", "JP"
		}
		row(fmt.Sprintf("ok%03d.pdf", i), fmt.Sprintf("Kerja sama arsip%03d", i), kind, scope, country, data)
	}
	three := pdftest.PDF(pdftest.Portrait, pdftest.Landscape, pdftest.Rotated)
	bad := []struct {
		file, reason string
		data         []byte
	}{
		{"cut1.pdf", "damaged", three[:len(three)/3]},
		{"cut2.pdf", "damaged", textPDF("cut2")[:120]},
		{"word.pdf", "not a PDF", []byte("PK\x03\x04\x14\x00 word/document.xml")},
		{"image.pdf", "not a PDF", []byte("\xff\xd8\xff\xe0 JFIF")},
		{"locked1.pdf", "encrypted", mustEncryptPDF(t, textPDF("locked1"), "rahasia")},
		{"locked2.pdf", "encrypted", mustEncryptPDF(t, textPDF("locked2"), "")},
		{"empty.pdf", "empty", []byte{}},
		{"missing.pdf", "does not exist", nil},
		{"stranger.pdf", "do not verify", mustSignPDF(t, textPDF("stranger"), stranger)},
		{"tampered.pdf", "do not verify", pdftest.AppendUpdate(mustSignPDF(t, textPDF("tampered"), signer))},
	}
	for _, b := range bad {
		row(b.file, "Rusak "+b.file, "mou", "domestic", "", b.data)
		refused[b.file] = b.reason
	}
	// Two rows whose metadata is wrong, with a good PDF.
	fmt.Fprintf(&csv, "meta1.pdf,\"PKS luar negeri\",pks,foreign,Mitra,government,JP,Direktorat Pengawasan Obat,,,\n")
	os.WriteFile(filepath.Join(dir, "meta1.pdf"), textPDF("meta1"), 0o600)
	refused["meta1.pdf"] = "not a foreign agreement kind"
	fmt.Fprintf(&csv, "meta2.pdf,\"Tanggal salah\",mou,domestic,Mitra,government,,Direktorat Pengawasan Obat,31/12/2020,,\n")
	os.WriteFile(filepath.Join(dir, "meta2.pdf"), textPDF("meta2"), 0o600)
	refused["meta2.pdf"] = "not a date"
	csvFile := filepath.Join(tmp, "arsip.csv")
	os.WriteFile(csvFile, []byte(csv.String()), 0o600)

	data := filepath.Join(tmp, "data")
	out := mustRun(t, 1, "import", "-data", data, "--csv", csvFile, "--dir", dir)
	if !strings.Contains(out, "import: 200 rows, 188 imported, 0 skipped (imported before), 12 refused") {
		t.Errorf("import summary wrong:\n%s", out)
	}
	for file, reason := range refused {
		found := false
		for _, l := range strings.Split(out, "\n") {
			if strings.HasPrefix(l, "REFUSED") && strings.Contains(l, " "+file+":") {
				found = true
				if !strings.Contains(l, reason) {
					t.Errorf("%s refused as %q, want a reason containing %q", file, l, reason)
				}
			}
		}
		if !found {
			t.Errorf("%s is not reported as refused", file)
		}
	}
	if n := strings.Count(out, "WARNING"); n != 186 {
		t.Errorf("%d unsigned warnings, want 186 (188 imported, 2 digitally signed)", n)
	}

	// Idempotent: a second run stores nothing new.
	out = mustRun(t, 1, "import", "-data", data, "--csv", csvFile, "--dir", dir)
	if !strings.Contains(out, "0 imported, 188 skipped") {
		t.Errorf("second import:\n%s", out)
	}

	cfg := DefaultConfig()
	cfg.DataDir, cfg.TrustRoots = data, roots
	m := &Main{Config: cfg}
	if err := m.Open(ctx); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	admin := naskah.Actor{User: "op", Role: naskah.RoleAdmin}
	res, err := m.Engine.Search(ctx, admin, search.Query{Type: search.TypeAgreement, Limit: 1})
	if err != nil || res.Total != 188 {
		t.Fatalf("index holds %v agreements (%v), want 188", res, err)
	}
	for _, word := range []string{"arsip000", "arsip117", "arsip187"} {
		res, err := m.Engine.Search(ctx, admin, search.Query{Text: word, Type: search.TypeAgreement})
		if err != nil || res.Total == 0 || res.Hits[0].Title != "Kerja sama "+word {
			t.Errorf("search %s: the best hit is not its agreement (%v)", word, err)
		}
	}
	a, _, err := m.Engine.Load(ctx, pipeline.ImportID(mustSignedFile(t, dir, "ok000.pdf")))
	if err != nil || a.Status != naskah.StatusCompleted || len(a.Latest(naskah.DocSigned).Signers) != 1 || a.SignedAt == nil || a.SignedAt.Year() != 2019 {
		t.Errorf("imported signed agreement: %+v, %v", a, err)
	}
	rep, err := m.Engine.Fsck(ctx)
	if err != nil || !rep.Clean() || rep.Agreements != 188 {
		t.Errorf("fsck after import: %+v, %v", rep, err)
	}
}

func mustSignedFile(t *testing.T, dir, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// textPDF returns a one-page PDF whose text contains word, so a search
// finds its agreement by that word.
func textPDF(word string) []byte {
	return pdftest.TextPDF("NOTA KESEPAHAMAN tentang "+word, "Para Pihak sepakat bekerja sama.")
}

func pdfSign(ctx context.Context, data []byte, s *pdf.Signer) ([]byte, error) {
	return pdf.Sign(ctx, data, s, pdf.SignOptions{Reason: "Penandatanganan", Now: func() time.Time { return time.Now() }})
}

func mustSignPDF(t *testing.T, data []byte, s *pdf.Signer) []byte {
	t.Helper()
	out, err := pdfSign(context.Background(), data, s)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// mustEncryptPDF encrypts with pdfcpu (AES-256); user "" is owner-password only.
func mustEncryptPDF(t *testing.T, data []byte, user string) []byte {
	t.Helper()
	var out bytes.Buffer
	if err := pdfapi.Encrypt(bytes.NewReader(data), &out, model.NewAESConfiguration(user, "owner-secret", 256)); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}
