// Package storagetest is the conformance suite for storage.Store: every
// adapter runs Run against a fresh store and must pass all of it.
package storagetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bpom/naskah"
	"github.com/bpom/naskah/storage"
)

// Run runs the conformance suite. newStore returns an empty store; the
// suite does not close it (register that with tb.Cleanup).
func Run(t *testing.T, newStore func(t *testing.T) storage.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s storage.Store)
	}{
		{"RoundTrip", testRoundTrip},
		{"Versions", testVersions},
		{"List", testList},
		{"WrongSHA256", testWrongSHA256},
		{"WrongSize", testWrongSize},
		{"Conditional", testConditional},
		{"ConcurrentCounter", testConcurrentCounter},
		{"Retention", testRetention},
		{"RetainLater", testRetainLater},
		{"BadKeys", testBadKeys},
		{"NotFound", testNotFound},
		{"Presign", testPresign},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.fn(t, newStore(t))
		})
	}
}

// Data returns n deterministic pseudo-random bytes.
func Data(n int, seed uint64) []byte {
	b := make([]byte, n)
	r := rand.New(rand.NewPCG(seed, seed))
	for i := 0; i < n; i += 8 {
		v := r.Uint64()
		for j := 0; j < 8 && i+j < n; j++ {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	return b
}

// SHA256 returns the lowercase hex SHA-256 of b.
func SHA256(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// Unsized hides every method of r but Read, as a network stream would.
func Unsized(r io.Reader) io.Reader { return struct{ io.Reader }{r} }

// MustPut puts data under key with opts (Size set from data unless -1).
func MustPut(tb testing.TB, s storage.Store, key string, data []byte, opts storage.PutOptions) storage.ObjectInfo {
	tb.Helper()
	info, err := Put(s, key, data, opts)
	if err != nil {
		tb.Fatalf("put %s: %v", key, err)
	}
	return info
}

// Put puts data; opts.Size 0 with non-empty data means "use len(data)".
func Put(s storage.Store, key string, data []byte, opts storage.PutOptions) (storage.ObjectInfo, error) {
	var r io.Reader = bytes.NewReader(data)
	if opts.Size == -1 {
		r = Unsized(r)
	} else if opts.Size == 0 {
		opts.Size = int64(len(data))
	}
	return s.Put(context.Background(), key, r, opts)
}

// MustGet reads key fully and fails the test on any error.
func MustGet(tb testing.TB, s storage.Store, key string, opts storage.GetOptions) ([]byte, storage.ObjectInfo) {
	tb.Helper()
	rc, info, err := s.Get(context.Background(), key, opts)
	if err != nil {
		tb.Fatalf("get %s %q: %v", key, opts.VersionID, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		tb.Fatalf("read %s %q: %v", key, opts.VersionID, err)
	}
	return b, info
}

// MustCode fails unless err carries the naskah code want.
func MustCode(tb testing.TB, err error, want string) {
	tb.Helper()
	if got := naskah.ErrorCode(err); got != want {
		tb.Fatalf("got error code %q (%v), want %q", got, err, want)
	}
}

func testRoundTrip(t *testing.T, s storage.Store) {
	for _, tt := range []struct {
		name    string
		size    int
		unsized bool
	}{
		{"Empty", 0, false},
		{"EmptyUnsized", 0, true},
		{"Small", 1000, false},
		{"SmallUnsized", 1000, true},
		{"20MB", 20 << 20, false},
		{"20MBUnsized", 20 << 20, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			data := Data(tt.size, uint64(tt.size))
			key := "roundtrip/" + tt.name + ".pdf"
			opts := storage.PutOptions{
				Size: int64(tt.size), ContentType: "application/pdf",
				Metadata: map[string]string{"Kind": "draft"},
			}
			if tt.unsized {
				opts.Size = -1
			}
			var r io.Reader = bytes.NewReader(data)
			if tt.unsized {
				r = Unsized(r)
			}
			put, err := s.Put(context.Background(), key, r, opts)
			if err != nil {
				t.Fatalf("put: %v", err)
			}
			if put.SHA256 != SHA256(data) || put.Size != int64(tt.size) || put.VersionID == "" || put.ETag == "" {
				t.Fatalf("put info: got sha %s size %d version %q etag %q, want sha %s size %d and ids", put.SHA256, put.Size, put.VersionID, put.ETag, SHA256(data), tt.size)
			}
			got, info := MustGet(t, s, key, storage.GetOptions{})
			if !bytes.Equal(got, data) {
				t.Fatalf("got %d bytes (sha %s), want %d (sha %s)", len(got), SHA256(got), len(data), SHA256(data))
			}
			for _, info := range []storage.ObjectInfo{info, mustStat(t, s, key, "")} {
				if info.VersionID != put.VersionID || info.ETag != put.ETag || info.Size != int64(tt.size) || !info.IsLatest {
					t.Fatalf("got info %+v, want version %s etag %s size %d latest", info, put.VersionID, put.ETag, tt.size)
				}
				if info.ContentType != "application/pdf" || info.Metadata["kind"] != "draft" {
					t.Fatalf("got content type %q metadata %v, want application/pdf and kind=draft", info.ContentType, info.Metadata)
				}
				if info.SHA256 != "" && info.SHA256 != put.SHA256 {
					t.Fatalf("got sha %s, want %s", info.SHA256, put.SHA256)
				}
			}
		})
	}
}

func mustStat(tb testing.TB, s storage.Store, key, vid string) storage.ObjectInfo {
	tb.Helper()
	info, err := s.Stat(context.Background(), key, storage.GetOptions{VersionID: vid})
	if err != nil {
		tb.Fatalf("stat %s %q: %v", key, vid, err)
	}
	return info
}

func testVersions(t *testing.T, s storage.Store) {
	ctx := context.Background()
	key := "agreements/a1/documents/draft.pdf"
	var puts []storage.ObjectInfo
	for i := range 3 {
		puts = append(puts, MustPut(t, s, key, []byte("version "+strconv.Itoa(i)), storage.PutOptions{}))
	}
	vs, err := s.ListVersions(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != 3 {
		t.Fatalf("got %d versions, want 3", len(vs))
	}
	for i, v := range vs {
		want := puts[2-i]
		if v.VersionID != want.VersionID || v.IsLatest != (i == 0) || v.DeleteMarker {
			t.Fatalf("version %d: got %s latest=%v marker=%v, want %s latest=%v", i, v.VersionID, v.IsLatest, v.DeleteMarker, want.VersionID, i == 0)
		}
	}
	got, _ := MustGet(t, s, key, storage.GetOptions{VersionID: puts[0].VersionID})
	if string(got) != "version 0" {
		t.Fatalf("got %q, want %q", got, "version 0")
	}

	// A delete marker hides the key but keeps every version.
	if err := s.Delete(ctx, key, storage.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	_, _, err = s.Get(ctx, key, storage.GetOptions{})
	MustCode(t, err, naskah.ENOTFOUND)
	_, err = s.Stat(ctx, key, storage.GetOptions{})
	MustCode(t, err, naskah.ENOTFOUND)
	MustCode(t, s.Delete(ctx, key, storage.DeleteOptions{}), naskah.ENOTFOUND)
	vs, err = s.ListVersions(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != 4 || !vs[0].DeleteMarker || !vs[0].IsLatest || vs[1].VersionID != puts[2].VersionID {
		t.Fatalf("got versions %+v, want a latest delete marker on top of the 3 versions", vs)
	}
	got, _ = MustGet(t, s, key, storage.GetOptions{VersionID: puts[1].VersionID})
	if string(got) != "version 1" {
		t.Fatalf("got %q, want %q", got, "version 1")
	}

	// Removing the marker brings the key back.
	if err := s.Delete(ctx, key, storage.DeleteOptions{VersionID: vs[0].VersionID}); err != nil {
		t.Fatal(err)
	}
	got, info := MustGet(t, s, key, storage.GetOptions{})
	if string(got) != "version 2" || info.VersionID != puts[2].VersionID {
		t.Fatalf("got %q version %s, want %q version %s", got, info.VersionID, "version 2", puts[2].VersionID)
	}

	// Removing a version removes it for good.
	if err := s.Delete(ctx, key, storage.DeleteOptions{VersionID: puts[0].VersionID}); err != nil {
		t.Fatal(err)
	}
	_, _, err = s.Get(ctx, key, storage.GetOptions{VersionID: puts[0].VersionID})
	MustCode(t, err, naskah.ENOTFOUND)
	MustCode(t, s.Delete(ctx, key, storage.DeleteOptions{VersionID: puts[0].VersionID}), naskah.ENOTFOUND)
	if vs, _ := s.ListVersions(ctx, key); len(vs) != 2 {
		t.Fatalf("got %d versions, want 2", len(vs))
	}
}

func testList(t *testing.T, s storage.Store) {
	ctx := context.Background()
	for _, k := range []string{"a/2", "b/1", "a/1", "a/3", "ab/1", "a/sub/x"} {
		MustPut(t, s, k, []byte(k), storage.PutOptions{})
	}
	MustPut(t, s, "a/1", []byte("a/1 again"), storage.PutOptions{})
	if err := s.Delete(ctx, "a/3", storage.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		prefix string
		want   string
	}{
		{"a/", "a/1 a/2 a/sub/x"},
		{"a", "a/1 a/2 a/sub/x ab/1"},
		{"", "a/1 a/2 a/sub/x ab/1 b/1"},
		{"c/", ""},
	} {
		list, err := s.List(ctx, tt.prefix)
		if err != nil {
			t.Fatal(err)
		}
		var keys []string
		for _, o := range list {
			keys = append(keys, o.Key)
			if !o.IsLatest || o.DeleteMarker || o.ETag == "" {
				t.Fatalf("list %q: got %+v, want a live latest version with its ETag", tt.prefix, o)
			}
			// Callers cache by the listed ETag: it must be the one Stat gives.
			if info, err := s.Stat(ctx, o.Key, storage.GetOptions{}); err != nil || info.ETag != o.ETag {
				t.Fatalf("list %q: %s listed with ETag %q, Stat says %q (%v)", tt.prefix, o.Key, o.ETag, info.ETag, err)
			}
			if o.Key == "a/1" && o.Size != int64(len("a/1 again")) {
				t.Fatalf("list: got a/1 size %d, want %d", o.Size, len("a/1 again"))
			}
		}
		if got := strings.Join(keys, " "); got != tt.want {
			t.Fatalf("list %q: got %q, want %q", tt.prefix, got, tt.want)
		}
	}
	_, err := s.List(ctx, "../")
	MustCode(t, err, naskah.EINVALID)
}

func testWrongSHA256(t *testing.T, s storage.Store) {
	ctx := context.Background()
	for _, tt := range []struct {
		name string
		size int
	}{{"Small", 100}, {"Large", 20 << 20}} {
		for _, unsized := range []bool{false, true} {
			data := Data(tt.size, 7)
			key := "sha/" + tt.name + strconv.FormatBool(unsized)
			opts := storage.PutOptions{SHA256: SHA256([]byte("something else"))}
			if unsized {
				opts.Size = -1
			}
			_, err := Put(s, key, data, opts)
			MustCode(t, err, naskah.EINVALID)
			_, err = s.Stat(ctx, key, storage.GetOptions{})
			MustCode(t, err, naskah.ENOTFOUND)
			_, err = s.ListVersions(ctx, key)
			MustCode(t, err, naskah.ENOTFOUND)

			// On top of an existing version nothing changes either.
			first := MustPut(t, s, key, []byte("first"), storage.PutOptions{})
			_, err = Put(s, key, data, opts)
			MustCode(t, err, naskah.EINVALID)
			if vs, _ := s.ListVersions(ctx, key); len(vs) != 1 || vs[0].VersionID != first.VersionID {
				t.Fatalf("%s: got versions %+v, want only %s", key, vs, first.VersionID)
			}
			// The right checksum is accepted.
			opts.SHA256 = SHA256(data)
			if info := MustPut(t, s, key, data, opts); info.SHA256 != opts.SHA256 {
				t.Fatalf("got sha %s, want %s", info.SHA256, opts.SHA256)
			}
		}
	}
	_, err := Put(s, "sha/bad", []byte("x"), storage.PutOptions{SHA256: "ABC"})
	MustCode(t, err, naskah.EINVALID)
}

func testWrongSize(t *testing.T, s storage.Store) {
	ctx := context.Background()
	for _, size := range []int64{5, 20} {
		_, err := s.Put(ctx, "size/x", Unsized(strings.NewReader("0123456789")), storage.PutOptions{Size: size})
		MustCode(t, err, naskah.EINVALID)
	}
	_, err := s.Stat(ctx, "size/x", storage.GetOptions{})
	MustCode(t, err, naskah.ENOTFOUND)
}

func testConditional(t *testing.T, s storage.Store) {
	ctx := context.Background()
	key := "agreements/c1/record.json"
	_, err := Put(s, key, []byte(`{"n":0}`), storage.PutOptions{IfMatch: "nope"})
	MustCode(t, err, naskah.ECONFLICT)
	v1 := MustPut(t, s, key, []byte(`{"n":1}`), storage.PutOptions{IfNoneMatch: true})
	_, err = Put(s, key, []byte(`{"n":1}`), storage.PutOptions{IfNoneMatch: true})
	MustCode(t, err, naskah.ECONFLICT)
	v2 := MustPut(t, s, key, []byte(`{"n":2}`), storage.PutOptions{IfMatch: v1.ETag})
	_, err = Put(s, key, []byte(`{"n":3}`), storage.PutOptions{IfMatch: v1.ETag})
	MustCode(t, err, naskah.ECONFLICT)
	got, info := MustGet(t, s, key, storage.GetOptions{})
	if string(got) != `{"n":2}` || info.ETag != v2.ETag {
		t.Fatalf("got %s etag %s, want {\"n\":2} etag %s", got, info.ETag, v2.ETag)
	}
	_, err = Put(s, key, []byte("x"), storage.PutOptions{IfMatch: v2.ETag, IfNoneMatch: true})
	MustCode(t, err, naskah.EINVALID)

	// After a delete, create-only works again and IfMatch does not.
	if err := s.Delete(ctx, key, storage.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	_, err = Put(s, key, []byte(`{"n":3}`), storage.PutOptions{IfMatch: v2.ETag})
	MustCode(t, err, naskah.ECONFLICT)
	MustPut(t, s, key, []byte(`{"n":0}`), storage.PutOptions{IfNoneMatch: true})
}

// testConcurrentCounter: 50 goroutines increment a counter in one record
// by read-modify-conditional-write until each has won once.
func testConcurrentCounter(t *testing.T, s storage.Store) {
	ctx := context.Background()
	const workers = 50
	key := "agreements/counter/record.json"
	MustPut(t, s, key, []byte("0"), storage.PutOptions{IfNoneMatch: true})
	var (
		wg        sync.WaitGroup
		mu        sync.Mutex
		wins      int
		conflicts int
		errs      []error
	)
	for range workers {
		wg.Go(func() {
			for attempt := 0; attempt < 1000; attempt++ {
				b, info, err := get(ctx, s, key)
				if err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
					return
				}
				n, _ := strconv.Atoi(string(b))
				_, err = Put(s, key, []byte(strconv.Itoa(n+1)), storage.PutOptions{IfMatch: info.ETag})
				mu.Lock()
				switch naskah.ErrorCode(err) {
				case "":
					wins++
				case naskah.ECONFLICT:
					conflicts++
				default:
					errs = append(errs, err)
				}
				mu.Unlock()
				if err == nil || naskah.ErrorCode(err) != naskah.ECONFLICT {
					return
				}
			}
		})
	}
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("got %d non-conflict errors, first: %v; want only conflicts", len(errs), errs[0])
	}
	b, _ := MustGet(t, s, key, storage.GetOptions{})
	if string(b) != strconv.Itoa(wins) || wins != workers {
		t.Fatalf("got counter %s after %d wins, want %d", b, wins, workers)
	}
	vs, err := s.ListVersions(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != workers+1 {
		t.Fatalf("got %d versions, want %d", len(vs), workers+1)
	}
	t.Logf("%d wins, %d conflicts", wins, conflicts)
}

func get(ctx context.Context, s storage.Store, key string) ([]byte, storage.ObjectInfo, error) {
	rc, info, err := s.Get(ctx, key, storage.GetOptions{})
	if err != nil {
		return nil, info, err
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	return b, info, err
}

func testRetention(t *testing.T, s storage.Store) {
	ctx := context.Background()
	key := "agreements/r1/documents/signed.pdf"
	data := []byte("%PDF signed text")
	until := time.Now().Add(time.Hour).Truncate(time.Second)
	signed := MustPut(t, s, key, data, storage.PutOptions{RetainUntil: until})
	if !signed.RetainUntil.Equal(until) {
		t.Fatalf("got retain until %v, want %v", signed.RetainUntil, until)
	}
	if info := mustStat(t, s, key, ""); !info.RetainUntil.Equal(until) {
		t.Fatalf("stat: got retain until %v, want %v", info.RetainUntil, until)
	}

	MustCode(t, s.Delete(ctx, key, storage.DeleteOptions{VersionID: signed.VersionID}), naskah.ERETAINED)
	MustCode(t, s.Delete(ctx, key, storage.DeleteOptions{}), naskah.ERETAINED)
	got, _ := MustGet(t, s, key, storage.GetOptions{})
	if !bytes.Equal(got, data) {
		t.Fatalf("got %q, want %q", got, data)
	}

	// A new version on top is allowed; the retained one stays as it was.
	MustPut(t, s, key, []byte("later"), storage.PutOptions{})
	MustCode(t, s.Delete(ctx, key, storage.DeleteOptions{VersionID: signed.VersionID}), naskah.ERETAINED)
	if err := s.Delete(ctx, key, storage.DeleteOptions{}); err != nil {
		t.Fatalf("delete marker over an unretained latest: %v", err)
	}
	MustCode(t, s.Delete(ctx, key, storage.DeleteOptions{VersionID: signed.VersionID}), naskah.ERETAINED)
	got, info := MustGet(t, s, key, storage.GetOptions{VersionID: signed.VersionID})
	if !bytes.Equal(got, data) || info.SHA256 != "" && info.SHA256 != SHA256(data) {
		t.Fatalf("got %q sha %s, want %q", got, info.SHA256, data)
	}

	_, err := Put(s, "r/past", data, storage.PutOptions{RetainUntil: time.Now().Add(-time.Hour)})
	MustCode(t, err, naskah.EINVALID)
}

// testRetainLater: retention set on an existing version (after the record
// that references it committed) behaves like retention given at Put, can be
// extended but never shortened, and needs a real version.
func testRetainLater(t *testing.T, s storage.Store) {
	ctx := context.Background()
	key := "agreements/r2/documents/signed.pdf"
	data := []byte("%PDF signed later")
	v := MustPut(t, s, key, data, storage.PutOptions{})
	if info := mustStat(t, s, key, v.VersionID); !info.RetainUntil.IsZero() {
		t.Fatalf("a version put without retention says retained until %v", info.RetainUntil)
	}
	until := time.Now().Add(time.Hour).Truncate(time.Second)
	if err := s.Retain(ctx, key, v.VersionID, until); err != nil {
		t.Fatalf("retain: %v", err)
	}
	if info := mustStat(t, s, key, v.VersionID); !info.RetainUntil.Equal(until) || !info.Retained(time.Now()) {
		t.Fatalf("after retain: got retain until %v, want %v", info.RetainUntil, until)
	}
	MustCode(t, s.Delete(ctx, key, storage.DeleteOptions{VersionID: v.VersionID}), naskah.ERETAINED)
	MustCode(t, s.Delete(ctx, key, storage.DeleteOptions{}), naskah.ERETAINED)

	// Repeating the same date is a no-op; a later one extends; an earlier
	// one is refused and changes nothing.
	if err := s.Retain(ctx, key, v.VersionID, until); err != nil {
		t.Fatalf("retain again with the same date: %v", err)
	}
	later := until.Add(time.Hour)
	if err := s.Retain(ctx, key, v.VersionID, later); err != nil {
		t.Fatalf("extend: %v", err)
	}
	MustCode(t, s.Retain(ctx, key, v.VersionID, until), naskah.ERETAINED)
	if info := mustStat(t, s, key, v.VersionID); !info.RetainUntil.Equal(later) {
		t.Fatalf("after a refused shortening: got retain until %v, want %v", info.RetainUntil, later)
	}
	// A sub-second date is kept rounded up, never shorter.
	odd := later.Add(time.Hour + 300*time.Millisecond)
	if err := s.Retain(ctx, key, v.VersionID, odd); err != nil {
		t.Fatalf("extend to %v: %v", odd, err)
	}
	if info := mustStat(t, s, key, v.VersionID); info.RetainUntil.Before(odd) || info.RetainUntil.After(odd.Add(time.Second)) {
		t.Fatalf("got retain until %v, want %v rounded up to the second", info.RetainUntil, odd)
	}
	got, _ := MustGet(t, s, key, storage.GetOptions{VersionID: v.VersionID})
	if !bytes.Equal(got, data) {
		t.Fatalf("got %q, want %q", got, data)
	}
	MustCode(t, s.Delete(ctx, key, storage.DeleteOptions{VersionID: v.VersionID}), naskah.ERETAINED)

	// Other versions of the key are untouched and still removable.
	other := MustPut(t, s, key, []byte("unsigned"), storage.PutOptions{})
	if info := mustStat(t, s, key, other.VersionID); !info.RetainUntil.IsZero() {
		t.Fatalf("the next version inherited retention until %v", info.RetainUntil)
	}
	if err := s.Delete(ctx, key, storage.DeleteOptions{VersionID: other.VersionID}); err != nil {
		t.Fatalf("delete an unretained version beside a retained one: %v", err)
	}

	// Missing versions, delete markers and bad arguments.
	MustCode(t, s.Retain(ctx, "agreements/r2/missing.pdf", v.VersionID, later), naskah.ENOTFOUND)
	gone := MustPut(t, s, "r2/gone", []byte("x"), storage.PutOptions{})
	MustPut(t, s, "r2/gone", []byte("y"), storage.PutOptions{})
	if err := s.Delete(ctx, "r2/gone", storage.DeleteOptions{VersionID: gone.VersionID}); err != nil {
		t.Fatal(err)
	}
	MustCode(t, s.Retain(ctx, "r2/gone", gone.VersionID, later), naskah.ENOTFOUND)
	if err := s.Delete(ctx, "r2/gone", storage.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	vs, err := s.ListVersions(ctx, "r2/gone")
	if err != nil || len(vs) == 0 || !vs[0].DeleteMarker {
		t.Fatalf("got versions %+v (%v), want a delete marker first", vs, err)
	}
	MustCode(t, s.Retain(ctx, "r2/gone", vs[0].VersionID, later), naskah.ENOTFOUND)
	MustCode(t, s.Retain(ctx, key, "", later), naskah.EINVALID)
	MustCode(t, s.Retain(ctx, key, v.VersionID, time.Now().Add(-time.Hour)), naskah.EINVALID)
	MustCode(t, s.Retain(ctx, "../x", v.VersionID, later), naskah.EINVALID)
}

func testBadKeys(t *testing.T, s storage.Store) {
	ctx := context.Background()
	for _, key := range []string{"", "..", "../x", "a/../b", "a/..", "/a", "a\\b", "a//b", "a/", "./a", "a\x00b", strings.Repeat("k", 1025)} {
		_, err := Put(s, key, []byte("x"), storage.PutOptions{})
		MustCode(t, err, naskah.EINVALID)
		_, _, err = s.Get(ctx, key, storage.GetOptions{})
		MustCode(t, err, naskah.EINVALID)
		_, err = s.Stat(ctx, key, storage.GetOptions{})
		MustCode(t, err, naskah.EINVALID)
		_, err = s.ListVersions(ctx, key)
		MustCode(t, err, naskah.EINVALID)
		MustCode(t, s.Delete(ctx, key, storage.DeleteOptions{}), naskah.EINVALID)
	}
	MustPut(t, s, "a..b/c.d/..e", []byte("dots inside names are fine"), storage.PutOptions{})
}

func testNotFound(t *testing.T, s storage.Store) {
	ctx := context.Background()
	_, _, err := s.Get(ctx, "missing", storage.GetOptions{})
	MustCode(t, err, naskah.ENOTFOUND)
	_, err = s.Stat(ctx, "missing", storage.GetOptions{})
	MustCode(t, err, naskah.ENOTFOUND)
	_, err = s.ListVersions(ctx, "missing")
	MustCode(t, err, naskah.ENOTFOUND)
	MustCode(t, s.Delete(ctx, "missing", storage.DeleteOptions{}), naskah.ENOTFOUND)

	v1 := MustPut(t, s, "nf", []byte("1"), storage.PutOptions{})
	MustPut(t, s, "nf", []byte("2"), storage.PutOptions{})
	if err := s.Delete(ctx, "nf", storage.DeleteOptions{VersionID: v1.VersionID}); err != nil {
		t.Fatal(err)
	}
	_, _, err = s.Get(ctx, "nf", storage.GetOptions{VersionID: v1.VersionID})
	MustCode(t, err, naskah.ENOTFOUND)
	_, err = s.Stat(ctx, "nf", storage.GetOptions{VersionID: v1.VersionID})
	MustCode(t, err, naskah.ENOTFOUND)
}

func testPresign(t *testing.T, s storage.Store) {
	p, ok := s.(storage.Presigner)
	if !ok {
		t.Skip("store has no Presigner")
	}
	info := MustPut(t, s, "presign/a.pdf", []byte("presigned"), storage.PutOptions{})
	MustPut(t, s, "presign/a.pdf", []byte("newer"), storage.PutOptions{})
	url, err := p.PresignGet(context.Background(), "presign/a.pdf", info.VersionID, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || string(b) != "presigned" {
		t.Fatalf("got %d %q, want 200 %q", resp.StatusCode, b, "presigned")
	}
	_, err = p.PresignGet(context.Background(), "../x", "", time.Minute)
	MustCode(t, err, naskah.EINVALID)
}
