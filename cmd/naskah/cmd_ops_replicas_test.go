package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bpom/naskah"
	"github.com/bpom/naskah/internal/miniotest"
)

const (
	unitToken = "tok-unit-0123456789abcdefghijkl"
	bkhToken  = "tok-bkh-0123456789abcdefghijklm"
)

// startReplica runs `naskah serve` as its own process on the shared MinIO
// and returns its base URL.
func startReplica(t *testing.T, bin string, env []string) string {
	t.Helper()
	url, _ := startServe(t, bin, append([]string{"NASKAH_DATA_DIR=" + t.TempDir()}, env...))
	return url
}

// startServe runs `naskah serve` with env (later entries win) and returns
// its base URL and process.
func startServe(t *testing.T, bin string, env []string) (string, *exec.Cmd) {
	t.Helper()
	cmd := exec.Command(bin, "serve")
	cmd.Env = append(os.Environ(), env...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
		}
	})
	addr := make(chan string, 1)
	go func() {
		re := regexp.MustCompile(`http://(\S+)`)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				addr <- "http://" + m[1]
				break
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
	}()
	select {
	case a := <-addr:
		return a, cmd
	case <-time.After(60 * time.Second):
		t.Fatalf("naskah serve did not start:\n%s", stderr.String())
	}
	return "", nil
}

// buildBinary builds the naskah binary once per test.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "naskah")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

type apiResult struct {
	status int
	body   []byte
}

func apiDo(t *testing.T, method, url, token, contentType string, body io.Reader) apiResult {
	t.Helper()
	req, _ := http.NewRequest(method, url, body)
	req.Header.Set("Authorization", "Bearer "+token)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Errorf("%s %s: %v", method, url, err)
		return apiResult{}
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return apiResult{resp.StatusCode, b}
}

func uploadForm(kind string, revision int, file []byte) (string, *bytes.Buffer) {
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	_ = w.WriteField("kind", kind)
	if revision > 0 {
		_ = w.WriteField("revision", fmt.Sprint(revision))
	}
	fw, _ := w.CreateFormFile("file", kind+".pdf")
	_, _ = fw.Write(file)
	_ = w.Close()
	return w.FormDataContentType(), &b
}

// TestTwoReplicasOneMinIO runs two `naskah serve` processes on one MinIO
// bucket and drives them concurrently on the same agreements: every
// upload answered 2xx is in the final record, the revisions of the
// successes are distinct and gap-free, and the losers get 409.
func TestTwoReplicasOneMinIO(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and starts MinIO")
	}
	srv := miniotest.Start(t)
	tmp := t.TempDir()
	bin := buildBinary(t)
	users := filepath.Join(tmp, "users.yaml")
	os.WriteFile(users, []byte(fmt.Sprintf(`- username: ditwas
  name: Direktorat Pengawasan Obat
  role: UNIT
  unit: Direktorat Pengawasan Obat
  tokens: [%s]
- username: bkh1
  name: Staf BKH
  role: BKH
  tokens: [%s]
`, unitToken, bkhToken)), 0o600)
	env := []string{"NASKAH_LISTEN=127.0.0.1:0", "NASKAH_MINIO_ENDPOINT=" + srv.Endpoint, "NASKAH_MINIO_ACCESS_KEY=" + srv.AccessKey,
		"NASKAH_MINIO_SECRET_KEY=" + srv.SecretKey, "NASKAH_MINIO_BUCKET=naskah-replicas", "NASKAH_USERS_FILE=" + users, "NASKAH_DEMO=false",
		"NASKAH_SESSION_SECRET=" + strings.Repeat("s", 40), "NASKAH_LOG_LEVEL=warn", "NASKAH_MEILI_URL=", "NASKAH_TRUST_ROOTS=", "NASKAH_CONFIG="}
	replicas := []string{startReplica(t, bin, env), startReplica(t, bin, env)}

	// The container HEALTHCHECK's probe, against a live replica and a dead port.
	mustRun(t, 0, "healthcheck", "-url", replicas[0]+"/readyz")
	mustRun(t, 1, "healthcheck", "-url", "http://127.0.0.1:1/healthz", "-timeout", "1s")

	const agreements, workers, perWorker = 3, 8, 6
	var ids []string
	for i := range agreements {
		body := fmt.Sprintf(`{"title":"Kerja sama replika %d","kind":"mou","process":"A","partner":{"name":"Universitas Airlangga","kind":"academia"}}`, i)
		r := apiDo(t, "POST", replicas[i%2]+"/api/v1/agreements", unitToken, "application/json", strings.NewReader(body))
		if r.status != 201 {
			t.Fatalf("initiate: %d %s", r.status, r.body)
		}
		var a naskah.Agreement
		json.Unmarshal(r.body, &a)
		ids = append(ids, a.ID)
	}

	type success struct {
		id       string
		revision int
		version  int
		sha      string
	}
	var (
		mu        sync.Mutex
		successes []success
		conflicts int
		wg        sync.WaitGroup
	)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range perWorker {
				id := ids[(w+j)%agreements]
				ct, body := uploadForm(string(naskah.DocNotaDinas), 0, textPDF(fmt.Sprintf("w%dj%d", w, j)))
				r := apiDo(t, "POST", replicas[w%2]+"/api/v1/agreements/"+id+"/documents", unitToken, ct, body)
				mu.Lock()
				switch {
				case r.status == 201:
					var resp struct {
						Document  naskah.DocumentVersion `json:"document"`
						Agreement naskah.Agreement       `json:"agreement"`
					}
					json.Unmarshal(r.body, &resp)
					successes = append(successes, success{id, resp.Agreement.Revision, resp.Document.Version, resp.Document.SHA256})
				case r.status == 409:
					conflicts++
				default:
					t.Errorf("upload to %s: %d %s (want 201 or 409)", id, r.status, r.body)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()

	// A stale revision is a conflict whichever replica sees it.
	ct, body := uploadForm(string(naskah.DocNotaDinas), 1, textPDF("stale"))
	if r := apiDo(t, "POST", replicas[1]+"/api/v1/agreements/"+ids[0]+"/documents", unitToken, ct, body); r.status != 409 {
		t.Errorf("upload with a stale revision: %d %s, want 409", r.status, r.body)
	}
	if r := apiDo(t, "POST", replicas[0]+"/api/v1/agreements/"+ids[0]+"/actions/submit", unitToken, "application/json", strings.NewReader(`{"revision":1}`)); r.status != 409 {
		t.Errorf("action with a stale revision: %d %s, want 409", r.status, r.body)
	}

	for _, id := range ids {
		r := apiDo(t, "GET", replicas[1]+"/api/v1/agreements/"+id, bkhToken, "", nil)
		var a naskah.Agreement
		if err := json.Unmarshal(r.body, &a); err != nil || r.status != 200 {
			t.Fatalf("get %s: %d %s", id, r.status, r.body)
		}
		var revs []int
		for _, s := range successes {
			if s.id != id {
				continue
			}
			revs = append(revs, s.revision)
			d := a.Document(naskah.DocNotaDinas, s.version)
			if d == nil || d.SHA256 != s.sha {
				t.Errorf("%s: the upload answered 201 as nota_dinas v%d (%s) is not in the final record: lost update", id, s.version, s.sha)
			}
		}
		sort.Ints(revs)
		for i, rev := range revs {
			if rev != i+2 {
				t.Errorf("%s: success revisions %v, want 2..%d, each once", id, revs, len(revs)+1)
				break
			}
		}
		if a.Revision != len(revs)+1 || len(a.Documents) != len(revs) {
			t.Errorf("%s: revision %d with %d documents after %d successful uploads", id, a.Revision, len(a.Documents), len(revs))
		}
	}
	t.Logf("%d uploads: %d succeeded, %d conflicts (409)", workers*perWorker, len(successes), conflicts)
	if len(successes) == 0 {
		t.Fatal("no upload succeeded")
	}
}
