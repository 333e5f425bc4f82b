package api_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"log/slog"
	"mime/multipart"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bpom/naskah"
	"github.com/bpom/naskah/api"
	"github.com/bpom/naskah/internal/miniotest"
	"github.com/bpom/naskah/pipeline"
	"github.com/bpom/naskah/pipeline/pdf"
	"github.com/bpom/naskah/pipeline/pdf/pdftest"
	"github.com/bpom/naskah/search/bleve"
	"github.com/bpom/naskah/storage"
	"github.com/bpom/naskah/storage/local"
	"github.com/bpom/naskah/storage/minio"
)

// env is a running API: the real server on a loopback port, real MinIO,
// an in-memory bleve index and the demo users with their keystores.
type env struct {
	t      testing.TB
	srv    *api.Server
	engine *pipeline.Engine
	store  storage.Store
	minio  *miniotest.Server
	base   string
	demo   *api.Demo
	log    *syncBuffer
	tokens map[string]string // username → bearer token
	keys   map[string][]byte // username → PKCS#12
	pass   map[string]string // username → keystore passphrase
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

const maxUpload = 10 << 20

// testMetricsToken is the bearer token of /metrics in these tests.
const testMetricsToken = "metrics-token-for-tests-0123456789"

// MustStart starts the whole stack; the outbox worker runs too, so search
// sees what the API did.
func MustStart(tb testing.TB) *env {
	tb.Helper()
	srv := miniotest.Start(tb)
	st, err := minio.New(context.Background(), minio.Config{Endpoint: srv.Endpoint, AccessKey: srv.AccessKey, SecretKey: srv.SecretKey,
		Bucket: "naskah-api", Timeout: 2 * time.Second})
	if err != nil {
		tb.Fatalf("minio.New: %v", err)
	}
	tb.Cleanup(func() { st.Close() })
	return mustStartOn(tb, st, srv)
}

// MustStartLocal is MustStart on the embedded local store.
func MustStartLocal(tb testing.TB) *env {
	tb.Helper()
	st, err := local.Open(local.Config{Dir: tb.TempDir()})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	return mustStartOn(tb, st, nil)
}

func mustStartOn(tb testing.TB, st storage.Store, srv *miniotest.Server) *env {
	tb.Helper()
	idx, err := bleve.OpenMem()
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { idx.Close() })

	demo, err := api.EnsureDemo(tb.TempDir(), time.Now().Add(-time.Hour), io.Discard)
	if err != nil {
		tb.Fatalf("EnsureDemo: %v", err)
	}
	caPEM, err := os.ReadFile(demo.CACert)
	if err != nil {
		tb.Fatal(err)
	}
	roots, err := pdf.LoadRoots(caPEM)
	if err != nil {
		tb.Fatal(err)
	}
	cfg := pipeline.DefaultConfig()
	cfg.Limits.MaxBytes = maxUpload
	cfg.ArchivePeriod = 24 * time.Hour
	e := pipeline.New(st, idx, cfg)
	e.Roots = roots
	if err := demo.RegisterCertificates(context.Background(), e); err != nil {
		tb.Fatalf("register demo certificates: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go e.RunOutbox(ctx)
	tb.Cleanup(cancel)

	logBuf := &syncBuffer{}
	acfg := api.DefaultConfig()
	acfg.Users = demo.ConfigUsers()
	acfg.SessionSecret = make([]byte, 32)
	rand.Read(acfg.SessionSecret)
	acfg.MetricsToken = testMetricsToken
	acfg.Logger = slog.New(slog.NewJSONHandler(logBuf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s, err := api.New(e, acfg)
	if err != nil {
		tb.Fatalf("api.New: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	go s.Listen(ln)
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		s.Shutdown(ctx)
	})
	v := &env{t: tb, srv: s, engine: e, store: st, minio: srv, base: "http://" + ln.Addr().String(), demo: demo, log: logBuf,
		tokens: map[string]string{}, keys: map[string][]byte{}, pass: map[string]string{}}
	for _, u := range demo.Users {
		var res struct{ Token string }
		v.MustJSON("", "POST", "/login", map[string]string{"username": u.User.Username, "password": u.Password}, 200, &res)
		v.tokens[u.User.Username] = res.Token
		if u.Keystore != "" {
			k, err := os.ReadFile(u.Keystore)
			if err != nil {
				tb.Fatal(err)
			}
			v.keys[u.User.Username], v.pass[u.User.Username] = k, u.KeystorePassphrase
		}
	}
	return v
}

// response is what a request returned.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) problem() (code, detail string) {
	var p struct{ Code, Detail string }
	json.Unmarshal(r.body, &p)
	return p.Code, p.Detail
}

// do sends one request as user ("" for none).
func (v *env) do(user, method, path string, body io.Reader, ctype string, hdr map[string]string) response {
	v.t.Helper()
	req, err := http.NewRequest(method, v.base+api.Prefix+path, body)
	if err != nil {
		v.t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if user != "" {
		req.Header.Set("Authorization", "Bearer "+v.tokens[user])
	}
	for k, val := range hdr {
		req.Header.Set(k, val)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		v.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 400 && !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/problem+json") {
		v.t.Errorf("%s %s: status %d with Content-Type %q, want application/problem+json", method, path, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if resp.StatusCode == 500 {
		v.t.Errorf("%s %s: 500: %s", method, path, b)
	}
	return response{resp.StatusCode, resp.Header, b}
}

// doJSON sends in as JSON (nil for no body).
func (v *env) doJSON(user, method, path string, in any, hdr map[string]string) response {
	v.t.Helper()
	var body io.Reader
	ctype := ""
	if in != nil {
		b, _ := json.Marshal(in)
		body, ctype = bytes.NewReader(b), "application/json"
	}
	return v.do(user, method, path, body, ctype, hdr)
}

// MustJSON sends in and decodes the answer into out, failing unless the
// status is want.
func (v *env) MustJSON(user, method, path string, in any, want int, out any) response {
	v.t.Helper()
	r := v.doJSON(user, method, path, in, nil)
	if r.status != want {
		v.t.Fatalf("%s %s as %q: status %d, want %d: %s", method, path, user, r.status, want, r.body)
	}
	if out != nil {
		if err := json.Unmarshal(r.body, out); err != nil {
			v.t.Fatalf("%s %s: decode: %v", method, path, err)
		}
	}
	return r
}

// view is the agreement as the API returns it.
type view struct {
	naskah.Agreement
	AllowedActions []naskah.ActionKind `json:"allowed_actions"`
	Timeline       []struct {
		Step  naskah.StepID `json:"step"`
		State string        `json:"state"`
	} `json:"timeline"`
}

func (v *env) get(user, id string) *view {
	v.t.Helper()
	var a view
	v.MustJSON(user, "GET", "/agreements/"+id, nil, 200, &a)
	return &a
}

// multipartBody builds a form with fields first and the file last.
func multipartBody(fields map[string]string, fileField, fileName string, file []byte) (*bytes.Buffer, string) {
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for _, k := range []string{"kind", "revision", "note", "passphrase", "reason", "location", "visible", "page"} {
		if val, ok := fields[k]; ok {
			w.WriteField(k, val)
		}
	}
	if fileField != "" {
		fw, _ := w.CreateFormFile(fileField, fileName)
		fw.Write(file)
	}
	w.Close()
	return &b, w.FormDataContentType()
}

func (v *env) uploadResp(user, id string, kind naskah.DocumentKind, data []byte, hdr map[string]string) response {
	v.t.Helper()
	b, ct := multipartBody(map[string]string{"kind": string(kind)}, "file", string(kind)+".pdf", data)
	return v.do(user, "POST", "/agreements/"+id+"/documents", b, ct, hdr)
}

func (v *env) upload(user, id string, kind naskah.DocumentKind, data []byte) {
	v.t.Helper()
	if r := v.uploadResp(user, id, kind, data, nil); r.status != 201 {
		v.t.Fatalf("upload %s to %s as %s: %d %s", kind, id, user, r.status, r.body)
	}
}

func (v *env) act(user, id string, kind naskah.ActionKind, note string) *view {
	v.t.Helper()
	var a view
	v.MustJSON(user, "POST", "/agreements/"+id+"/actions/"+string(kind), map[string]any{"note": note}, 200, &a)
	return &a
}

// finish uploads the current step's required outputs and finishes it.
func (v *env) finish(user, id string) *view {
	v.t.Helper()
	a := v.get(user, id)
	st := naskah.LookupStep(a.Step)
	for _, k := range st.RequiredOutputs(&a.Agreement) {
		v.upload(user, id, k, smallPDF(string(k)))
	}
	return v.act(user, id, st.Finish, "")
}

func (v *env) sign(user, id string) *view {
	v.t.Helper()
	var a view
	v.MustJSON(user, "POST", "/agreements/"+id+"/sign", map[string]any{"keystore": v.keys[user], "passphrase": v.pass[user],
		"location": "Jakarta", "visible": true, "page": 1}, 200, &a)
	return &a
}

// smallPDF is a one-page PDF whose text contains word.
func smallPDF(word string) []byte {
	return pdftest.TextPDF("NASKAH PERJANJIAN tentang "+word, "Para Pihak sepakat bekerja sama.")
}

// megabytePDF is a PDF of about 1 MB: one page with a noisy photo.
func megabytePDF() []byte {
	return pdftest.PDF(pdftest.Page{JPEG: pdftest.JPEG(3550, 3550, 7)})
}

// initiateA starts a domestic MoU by the UNIT user.
func (v *env) initiateA(title string) *view {
	v.t.Helper()
	var a view
	v.MustJSON("unit", "POST", "/agreements", map[string]any{"title": title, "kind": "mou", "process": "A",
		"partner": map[string]string{"name": api.DemoMitraUnit, "kind": "business", "country": "ID"}}, 201, &a)
	return &a
}

// initiateB starts a foreign MoU by BKH for the UNIT user's unit, with the
// demo partner, so that every role but UPT may see it.
func (v *env) initiateB(title string) *view {
	v.t.Helper()
	var a view
	v.MustJSON("bkh", "POST", "/agreements", map[string]any{"title": title, "kind": "mou", "process": "B", "unit": "Direktorat Pengawasan Obat",
		"partner": map[string]string{"name": api.DemoMitraUnit, "kind": "government", "country": "ES"}}, 201, &a)
	return &a
}
