package api_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"

	"github.com/bpom/naskah"
	napi "github.com/bpom/naskah/api"
)

var allUsers = []string{"kepala", "madya", "pratama", "sestama", "bkh", "bho", "unit", "upt", "kemenlu", "mitra", "admin"}

// TestRoleActionTable tries every (role, action) pair at a work step (B2)
// and a decision step (B4): only the SOP's actors succeed; everyone else
// gets 403 naming who may act (404 for those who may not even see it);
// actions that do not exist at the step are 409; no token is 401.
func TestRoleActionTable(t *testing.T) {
	v := MustStart(t)
	toB2 := func() string {
		a := v.initiateB("Arrangement on Laboratory Testing")
		v.finish("bkh", a.ID)
		v.upload("bkh", a.ID, naskah.DocFirstDraft, smallPDF("first draft"))
		return a.ID
	}
	toB4 := func() string {
		id := toB2()
		v.act("bkh", id, naskah.ActionSubmit, "")
		v.finish("bkh", id)
		return id
	}
	kinds := []naskah.ActionKind{naskah.ActionUpload, naskah.ActionSubmit, naskah.ActionApprove, naskah.ActionReject, naskah.ActionReturn,
		naskah.ActionDeliver, naskah.ActionReceive, naskah.ActionArchive}
	for _, tc := range []struct {
		step  naskah.StepID
		build func() string
	}{{naskah.StepForeignReview, toB2}, {naskah.StepReviewApproval, toB4}} {
		shared := tc.build()
		a := v.get("bkh", shared)
		if a.Step != tc.step {
			t.Fatalf("built agreement is at %s, want %s", a.Step, tc.step)
		}
		st := naskah.LookupStep(tc.step)
		actors := st.ActorsFor(&a.Agreement)
		valid := []naskah.ActionKind{st.Finish, naskah.ActionReturn}
		if st.Decision() {
			valid = append(valid, naskah.ActionReject)
		}
		if len(st.Uploadable(&a.Agreement)) > 0 {
			valid = append(valid, naskah.ActionUpload)
		}
		for _, kind := range kinds {
			if kind == naskah.ActionUpload && !slices.Contains(valid, kind) {
				continue // nothing may be uploaded at a decision step
			}
			send := func(user, id string) response {
				if kind == naskah.ActionUpload {
					return v.uploadResp(user, id, naskah.DocFirstDraft, smallPDF("x"), nil)
				}
				return v.doJSON(user, "POST", "/agreements/"+id+"/actions/"+string(kind), map[string]string{"note": "catatan reviu"}, nil)
			}
			t.Run(fmt.Sprintf("%s/%s/no-token", tc.step, kind), func(t *testing.T) {
				if r := send("", shared); r.status != 401 {
					t.Fatalf("no token: %d %s, want 401", r.status, r.body)
				}
			})
			for _, user := range allUsers {
				t.Run(fmt.Sprintf("%s/%s/%s", tc.step, kind, user), func(t *testing.T) {
					role := v.demoRole(user)
					seeing := user != "upt" // the UPT is of another unit
					switch {
					case !seeing:
						if r := send(user, shared); r.status != 404 {
							t.Fatalf("got %d %s, want 404 (not visible to this unit)", r.status, r.body)
						}
					case !slices.Contains(valid, kind):
						if r := send(user, shared); r.status != 409 {
							t.Fatalf("got %d %s, want 409 (%s is not an action at %s)", r.status, r.body, kind, tc.step)
						}
					case slices.Contains(actors, role):
						id := shared
						if kind != naskah.ActionUpload {
							id = tc.build() // a success moves the agreement: use a fresh one
						}
						if r := send(user, id); r.status/100 != 2 {
							t.Fatalf("got %d %s, want success for %s", r.status, r.body, role)
						}
					default:
						r := send(user, shared)
						code, detail := r.problem()
						if r.status != 403 || code != "forbidden" {
							t.Fatalf("got %d %s, want 403", r.status, r.body)
						}
						for _, want := range actors {
							if !strings.Contains(detail, string(want)) {
								t.Errorf("message %q does not name %s", detail, want)
							}
						}
					}
				})
			}
		}
	}
}

// raw sends a hand-written request and reads the answer, for requests
// net/http will not send (a body the server refuses mid-stream).
func (v *env) raw(req string) response {
	v.t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(v.base, "http://"))
	if err != nil {
		v.t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := io.WriteString(conn, req); err != nil {
		v.t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		v.t.Fatalf("read response: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{resp.StatusCode, resp.Header, b}
}

func (v *env) demoRole(user string) naskah.Role {
	for _, u := range v.demo.Users {
		if u.User.Username == user {
			return u.User.Role
		}
	}
	v.t.Fatalf("no demo user %s", user)
	return ""
}

// TestBadRequests: each refusal is the right 4xx with a message saying
// what to do, never a 500.
func TestBadRequests(t *testing.T) {
	v := MustStart(t)
	a := v.initiateA("PKS Sampling Produk Pangan")
	id := a.ID
	var enc bytes.Buffer
	if err := api.Encrypt(bytes.NewReader(smallPDF("rahasia")), &enc, model.NewAESConfiguration("user", "owner", 256)); err != nil {
		t.Fatalf("encrypt: %v", err)
	}
	jsonBody := func(s string) io.Reader { return strings.NewReader(s) }
	for _, tc := range []struct {
		name   string
		send   func() response
		status int
		says   string
	}{
		{"upload as JSON", func() response {
			return v.do("unit", "POST", "/agreements/"+id+"/documents", jsonBody(`{"kind":"nota_dinas"}`), "application/json", nil)
		}, 400, "multipart/form-data"},
		{"action as text", func() response {
			return v.do("unit", "POST", "/agreements/"+id+"/actions/submit", jsonBody("submit please"), "text/plain", nil)
		}, 400, "application/json"},
		{"non-PDF", func() response {
			return v.uploadResp("unit", id, naskah.DocNotaDinas, []byte("PK\x03\x04 a word file"), nil)
		}, 400, "not a PDF"},
		{"encrypted PDF", func() response { return v.uploadResp("unit", id, naskah.DocNotaDinas, enc.Bytes(), nil) }, 400, "encrypted"},
		{"damaged PDF", func() response {
			return v.uploadResp("unit", id, naskah.DocNotaDinas, []byte("%PDF-1.7\n1 0 obj garbage"), nil)
		}, 400, "damaged"},
		{"no file part", func() response {
			b, ct := multipartBody(map[string]string{"kind": "nota_dinas"}, "", "", nil)
			return v.do("unit", "POST", "/agreements/"+id+"/documents", b, ct, nil)
		}, 400, `named "file"`},
		{"no kind", func() response {
			b, ct := multipartBody(nil, "file", "x.pdf", smallPDF("x"))
			return v.do("unit", "POST", "/agreements/"+id+"/documents", b, ct, nil)
		}, 400, "kind"},
		{"kind not at this step", func() response { return v.uploadResp("unit", id, naskah.DocSigned, smallPDF("x"), nil) }, 400, "cannot be uploaded"},
		{"malformed JSON", func() response {
			return v.do("unit", "POST", "/agreements/"+id+"/actions/submit", jsonBody(`{"note": "x`), "application/json", nil)
		}, 400, "JSON"},
		{"unknown JSON field", func() response {
			return v.do("unit", "POST", "/agreements/"+id+"/actions/submit", jsonBody(`{"nota":"x"}`), "application/json", nil)
		}, 400, `"nota"`},
		{"wrong JSON type", func() response {
			return v.do("unit", "POST", "/agreements/"+id+"/actions/submit", jsonBody(`{"revision":"one"}`), "application/json", nil)
		}, 400, "revision"},
		{"invalid initiate", func() response {
			return v.doJSON("unit", "POST", "/agreements", map[string]any{"title": "", "kind": "pks", "process": "B"}, nil)
		}, 400, "title is empty"},
		{"unknown agreement", func() response { return v.doJSON("unit", "GET", "/agreements/20260101-deadbeef00", nil, nil) }, 404, "does not exist"},
		{"action on unknown agreement", func() response {
			return v.doJSON("unit", "POST", "/agreements/nope/actions/submit", map[string]any{}, nil)
		}, 404, "does not exist"},
		{"stale revision", func() response {
			return v.doJSON("unit", "POST", "/agreements/"+id+"/actions/submit", map[string]any{"revision": 99}, nil)
		}, 409, "reload"},
		{"unknown action", func() response {
			return v.doJSON("unit", "POST", "/agreements/"+id+"/actions/dance", map[string]any{}, nil)
		}, 400, "submit, approve"},
		{"missing outputs", func() response { return v.doJSON("unit", "POST", "/agreements/"+id+"/actions/submit", nil, nil) }, 400, "upload"},
		{"unknown document kind", func() response {
			return v.do("unit", "GET", "/agreements/"+id+"/documents/memo/latest", nil, "", nil)
		}, 404, "kind"},
		{"bad version", func() response {
			return v.do("unit", "GET", "/agreements/"+id+"/documents/nota_dinas/abc", nil, "", nil)
		}, 400, "latest"},
		{"unknown route", func() response { return v.doJSON("unit", "GET", "/agreementz", nil, nil) }, 404, "openapi.json"},
		{"too large by Content-Length", func() response {
			// The headers and the first 16 KB: fasthttp prefetches 8 KB,
			// then the handler refuses by Content-Length alone.
			return v.raw(fmt.Sprintf("POST %s/agreements/%s/documents HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: multipart/form-data; boundary=xyz\r\nContent-Length: %d\r\n\r\n%s",
				napi.Prefix, id, v.tokens["unit"], maxUpload+2<<20, strings.Repeat("x", 16<<10)))
		}, 413, "limit"},
		{"bad idempotency key", func() response {
			return v.doJSON("unit", "POST", "/agreements/"+id+"/actions/submit", nil, map[string]string{"Idempotency-Key": strings.Repeat("k", 300)})
		}, 400, "Idempotency-Key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.send()
			code, detail := r.problem()
			if r.status != tc.status || !strings.Contains(detail, tc.says) {
				t.Fatalf("got %d %s %q, want %d saying %q", r.status, code, detail, tc.status, tc.says)
			}
		})
	}
}

// TestOversizeUploadStreams sends 200 MB (chunked, so no Content-Length
// warns the server) against a 10 MB limit: the server answers 413 after
// reading little more than the limit, and allocates far less than 200 MB.
func TestOversizeUploadStreams(t *testing.T) {
	v := MustStart(t)
	id := v.initiateA("PKS Uji Batas Unggah").ID
	conn, err := net.Dial("tcp", strings.TrimPrefix(v.base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	const boundary = "naskahboundary"
	head := fmt.Sprintf("POST %s/agreements/%s/documents HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: multipart/form-data; boundary=%s\r\nTransfer-Encoding: chunked\r\n\r\n",
		napi.Prefix, id, v.tokens["unit"], boundary)
	first := fmt.Sprintf("--%s\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\nnota_dinas\r\n--%s\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.pdf\"\r\nContent-Type: application/pdf\r\n\r\n%%PDF-1.7\n", boundary, boundary)

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	written := make(chan int64, 1)
	go func() {
		w := bufio.NewWriterSize(conn, 64<<10)
		var n int64
		defer func() { written <- n }()
		if _, err := w.WriteString(head); err != nil {
			return
		}
		fmt.Fprintf(w, "%x\r\n%s\r\n", len(first), first)
		chunk := bytes.Repeat([]byte("0123456789abcdef"), 4096) // 64 KiB
		for n < 200<<20 {
			if _, err := fmt.Fprintf(w, "%x\r\n", len(chunk)); err != nil {
				return
			}
			if _, err := w.Write(chunk); err != nil {
				return
			}
			if _, err := w.WriteString("\r\n"); err != nil {
				return
			}
			n += int64(len(chunk))
		}
		w.WriteString("0\r\n\r\n")
		w.Flush()
	}()
	conn.SetReadDeadline(time.Now().Add(60 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("read response: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	conn.Close()
	sent := <-written
	runtime.ReadMemStats(&after)
	if resp.StatusCode != 413 || !strings.Contains(string(body), "limit") {
		t.Fatalf("got %d %s, want 413 naming the limit", resp.StatusCode, body)
	}
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("client wrote %d MB before the server hung up; process allocated %d MB", sent>>20, alloc>>20)
	if sent >= 200<<20 {
		t.Errorf("the client wrote all 200 MB: the server read the whole body instead of refusing it while streaming")
	}
	if alloc > 100<<20 {
		t.Errorf("allocated %d MB for a refused 200 MB upload, want well under 100 MB", alloc>>20)
	}
	// Nothing was stored.
	if a := v.get("unit", id); len(a.Documents) != 0 {
		t.Fatalf("%d documents after a refused upload, want 0", len(a.Documents))
	}
}

// TestConcurrentActions: two submits of one step at once: one wins, the
// other is told the agreement changed.
func TestConcurrentActions(t *testing.T) {
	v := MustStart(t)
	for round := 0; round < 3; round++ {
		id := v.initiateA(fmt.Sprintf("PKS Balapan %d", round)).ID
		v.upload("unit", id, naskah.DocNotaDinas, smallPDF("nd"))
		v.upload("unit", id, naskah.DocInitialDraft, smallPDF("draft"))
		rev := v.get("unit", id).Revision
		var wg sync.WaitGroup
		statuses := make([]int, 2)
		for i, user := range []string{"unit", "bkh"} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				statuses[i] = v.doJSON(user, "POST", "/agreements/"+id+"/actions/submit", map[string]any{"revision": rev}, nil).status
			}()
		}
		wg.Wait()
		slices.Sort(statuses)
		if statuses[0] != 200 || statuses[1] != 409 {
			t.Fatalf("round %d: statuses %v, want one 200 and one 409", round, statuses)
		}
	}
}

// TestIdempotentAction: a retried action with the same key has the effect of one.
func TestIdempotentAction(t *testing.T) {
	v := MustStart(t)
	id := v.initiateA("PKS Ulang Kirim").ID
	v.upload("unit", id, naskah.DocNotaDinas, smallPDF("nd"))
	v.upload("unit", id, naskah.DocInitialDraft, smallPDF("draft"))
	key := map[string]string{"Idempotency-Key": "submit-a1-once"}
	r1 := v.doJSON("unit", "POST", "/agreements/"+id+"/actions/submit", nil, key)
	r2 := v.doJSON("unit", "POST", "/agreements/"+id+"/actions/submit", nil, key)
	if r1.status != 200 || r2.status != 200 {
		t.Fatalf("retry: %d then %d, want 200 twice", r1.status, r2.status)
	}
	if a := v.get("unit", id); a.Step != naskah.StepDraftReview {
		t.Fatalf("after a retried submit: %s, want A2 (one step forward)", a.Step)
	}
}

// TestMinIOStopped: with storage down the API answers 503 with a clear
// message, and the same requests succeed once it is back.
func TestMinIOStopped(t *testing.T) {
	v := MustStart(t)
	id := v.initiateA("PKS Ketahanan").ID
	v.upload("unit", id, naskah.DocNotaDinas, smallPDF("nd"))
	requests := []struct {
		name string
		send func() response
		ok   int
	}{
		{"get", func() response { return v.doJSON("unit", "GET", "/agreements/"+id, nil, nil) }, 200},
		{"list", func() response { return v.doJSON("unit", "GET", "/agreements", nil, nil) }, 200},
		{"upload", func() response { return v.uploadResp("unit", id, naskah.DocInitialDraft, smallPDF("draft"), nil) }, 201},
		{"readyz", func() response { return v.doJSON("", "GET", "/readyz", nil, nil) }, 200},
	}
	v.minio.Stop()
	for _, rq := range requests {
		start := time.Now()
		r := rq.send()
		code, detail := r.problem()
		if r.status != 503 || code != "unavailable" || detail == "" {
			t.Errorf("%s with MinIO stopped: %d %s %q, want 503 unavailable", rq.name, r.status, code, detail)
		}
		t.Logf("%s: %d in %v: %s", rq.name, r.status, time.Since(start).Round(time.Millisecond), detail)
	}
	v.minio.Restart()
	for _, rq := range requests {
		if r := rq.send(); r.status != rq.ok {
			t.Errorf("%s after restart: %d %s, want %d", rq.name, r.status, r.body, rq.ok)
		}
	}
}

// TestAuth: passwords, rate limit, cookie sessions with CSRF, logout.
func TestAuth(t *testing.T) {
	v := MustStart(t)
	if r := v.doJSON("", "GET", "/agreements", nil, nil); r.status != 401 || r.header.Get("WWW-Authenticate") == "" {
		t.Fatalf("no token: %d, want 401 with WWW-Authenticate", r.status)
	}
	if r := v.doJSON("", "GET", "/agreements", nil, map[string]string{"Authorization": "Bearer forged.token"}); r.status != 401 {
		t.Fatalf("forged token: %d, want 401", r.status)
	}
	// Five wrong passwords from one client for one account are free; the
	// sixth waits.
	for i := 1; i <= 5; i++ {
		r := v.doJSON("", "POST", "/login", map[string]string{"username": "bho", "password": "salah"}, nil)
		if r.status != 401 {
			t.Fatalf("wrong password attempt %d: %d, want 401", i, r.status)
		}
	}
	r := v.doJSON("", "POST", "/login", map[string]string{"username": "bho", "password": "salah"}, nil)
	if code, detail := r.problem(); r.status != 429 || r.header.Get("Retry-After") == "" || !strings.Contains(detail, "wait") {
		t.Fatalf("attempt over the limit: %d %s %q, want 429 with Retry-After", r.status, code, detail)
	}

	// Cookie session: reads work, writes need the CSRF token.
	var pw string
	for _, u := range v.demo.Users {
		if u.User.Username == "bkh" {
			pw = u.Password
		}
	}
	var login struct {
		Token     string
		CSRFToken string `json:"csrf_token"`
	}
	lr := v.MustJSON("", "POST", "/login", map[string]string{"username": "bkh", "password": pw}, 200, &login)
	cookie := ""
	for _, c := range (&http.Response{Header: lr.header}).Cookies() {
		if c.Name == napi.SessionCookie {
			cookie = c.Name + "=" + c.Value
			if !c.HttpOnly {
				t.Errorf("session cookie is not HttpOnly")
			}
		}
	}
	if cookie == "" {
		t.Fatalf("login set no session cookie")
	}
	withCookie := map[string]string{"Cookie": cookie}
	if r := v.doJSON("", "GET", "/me", nil, withCookie); r.status != 200 {
		t.Fatalf("GET /me with cookie: %d", r.status)
	}
	in := map[string]any{"title": "MoU via UI", "kind": "mou", "process": "B", "unit": "Direktorat Pengawasan Obat",
		"partner": map[string]string{"name": "WHO", "kind": "international", "country": "CH"}}
	if r := v.doJSON("", "POST", "/agreements", in, withCookie); r.status != 403 || !strings.Contains(string(r.body), "CSRF") {
		t.Fatalf("cookie POST without CSRF: %d %s, want 403", r.status, r.body)
	}
	withCookie[napi.CSRFHeader] = login.CSRFToken
	if r := v.doJSON("", "POST", "/agreements", in, withCookie); r.status != 201 {
		t.Fatalf("cookie POST with CSRF: %d %s, want 201", r.status, r.body)
	}
	// Logout ends the session for the cookie and for the same token as bearer.
	if r := v.doJSON("", "POST", "/logout", nil, withCookie); r.status != 204 {
		t.Fatalf("logout: %d %s", r.status, r.body)
	}
	if r := v.doJSON("", "GET", "/me", nil, map[string]string{"Authorization": "Bearer " + login.Token}); r.status != 401 {
		t.Fatalf("token after logout: %d, want 401", r.status)
	}
}
