package pipeline_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bpom/naskah"
	"github.com/bpom/naskah/internal/miniotest"
	"github.com/bpom/naskah/pipeline"
	"github.com/bpom/naskah/storage"
	"github.com/bpom/naskah/storage/local"
)

// faultStore wraps a real store and injects faults at the points that
// matter for retention after commit.
type faultStore struct {
	storage.Store
	failRecord atomic.Bool // record writes fail before reaching the store
	lostRecord atomic.Bool // record writes land, but the caller gets an error
	failRetain atomic.Bool // Retain fails
}

func (f *faultStore) Put(ctx context.Context, key string, r io.Reader, opts storage.PutOptions) (storage.ObjectInfo, error) {
	if strings.HasSuffix(key, "/record.json") {
		if f.failRecord.Load() {
			return storage.ObjectInfo{}, naskah.Errorf(naskah.EUNAVAILABLE, "injected: record write failed")
		}
		if f.lostRecord.Load() {
			if _, err := f.Store.Put(ctx, key, r, opts); err != nil {
				return storage.ObjectInfo{}, err
			}
			return storage.ObjectInfo{}, naskah.Errorf(naskah.EUNAVAILABLE, "injected: the answer to a landed record write was lost")
		}
	}
	return f.Store.Put(ctx, key, r, opts)
}

func (f *faultStore) Retain(ctx context.Context, key, versionID string, until time.Time) error {
	if f.failRetain.Load() {
		return naskah.Errorf(naskah.EUNAVAILABLE, "injected: retain failed")
	}
	return f.Store.Retain(ctx, key, versionID, until)
}

// toSigning carries a domestic agreement to A9, ready to be signed by the
// Kepala UPT.
func toSigning(h *harness, title string) *naskah.Agreement {
	h.t.Helper()
	a, err := h.e.Initiate(context.Background(), upt, naskah.Agreement{Title: title, Kind: naskah.KindPKS, Process: naskah.ProcessDomestic,
		Partner: naskah.Partner{Name: "Universitas Airlangga", Kind: naskah.PartnerAcademia, Country: "ID"}}, "")
	if err != nil {
		h.t.Fatal(err)
	}
	for _, by := range []naskah.Actor{upt, bkh, bkh, bho, bkh} {
		a = h.finish(by, a)
	}
	a = h.act(sestama, a, naskah.ActionApprove, "")
	a = h.finish(bkh, a)
	a = h.finish(upt, a) // A8: the text to sign
	return a
}

func (h *harness) trySign(id, requestID string) (*naskah.Agreement, error) {
	r := h.req(upt, id)
	r.RequestID = requestID
	return h.e.Sign(context.Background(), pipeline.SignRequest{Request: r, Keystore: h.keys["kepala-upt"], Passphrase: h.pass["kepala-upt"]})
}

// signedVersions lists the stored versions of an agreement's signed text
// with their retention (Stat, since S3 listings omit it).
func signedVersions(t *testing.T, st storage.Store, id string) []storage.ObjectInfo {
	t.Helper()
	ctx := context.Background()
	key := naskah.DocumentKey(id, naskah.DocSigned)
	vs, err := st.ListVersions(ctx, key)
	if naskah.ErrorCode(err) == naskah.ENOTFOUND {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var out []storage.ObjectInfo
	for _, v := range vs {
		if v.DeleteMarker {
			continue
		}
		info, err := st.Stat(ctx, key, storage.GetOptions{VersionID: v.VersionID})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, info)
	}
	return out
}

// mustBeRetained checks the record's signed version is the only stored one,
// retained until the record's date and not deletable.
func mustBeRetained(t *testing.T, st storage.Store, a *naskah.Agreement) {
	t.Helper()
	d := a.Latest(naskah.DocSigned)
	if d == nil || d.RetainUntil == nil {
		t.Fatalf("no signed version with a retention date in the record: %+v", d)
	}
	vs := signedVersions(t, st, a.ID)
	if len(vs) != 1 || vs[0].VersionID != d.VersionID {
		t.Fatalf("stored signed versions %+v, want only the record's %s", vs, d.VersionID)
	}
	if !vs[0].RetainUntil.Equal(*d.RetainUntil) {
		t.Fatalf("signed version retained until %v, record says %v", vs[0].RetainUntil, *d.RetainUntil)
	}
	if err := st.Delete(context.Background(), d.Key, storage.DeleteOptions{VersionID: d.VersionID}); naskah.ErrorCode(err) != naskah.ERETAINED {
		t.Fatalf("delete the signed original: %v, want ERETAINED", err)
	}
}

// findings returns fsck's findings of one agreement at a severity.
func findings(t *testing.T, e *pipeline.Engine, opts pipeline.FsckOptions, id, severity string) []pipeline.Finding {
	t.Helper()
	rep, err := e.FsckWith(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	var out []pipeline.Finding
	for _, f := range rep.Findings {
		if f.AgreementID == id && f.Severity == severity {
			out = append(out, f)
		}
	}
	return out
}

func TestRetentionAfterCommit(t *testing.T) {
	for _, tc := range []struct {
		name string
		open func(t *testing.T) (storage.Store, *miniotest.Server)
	}{
		{"Local", func(t *testing.T) (storage.Store, *miniotest.Server) { return mustLocalStore(t), nil }},
		{"MinIO", mustMinIOStore},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, srv := tc.open(t)
			fs := &faultStore{Store: st}
			h := newHarness(t, fs, srv)
			ctx := context.Background()

			t.Run("RacingSigns", func(t *testing.T) {
				a := toSigning(h, "PKS Balapan Tanda Tangan")
				const n = 4
				var (
					wg   sync.WaitGroup
					mu   sync.Mutex
					wins []*naskah.Agreement
					errs []error
				)
				for i := range n {
					wg.Go(func() {
						got, err := h.trySign(a.ID, fmt.Sprintf("race-%d", i))
						mu.Lock()
						defer mu.Unlock()
						if err != nil {
							errs = append(errs, err)
						} else {
							wins = append(wins, got)
						}
					})
				}
				wg.Wait()
				if len(wins) != 1 {
					t.Fatalf("%d winners (errors %v), want 1", len(wins), errs)
				}
				for _, err := range errs {
					if naskah.ErrorCode(err) != naskah.ECONFLICT {
						t.Fatalf("a losing signer got %v, want a conflict", err)
					}
				}
				mustBeRetained(t, st, wins[0])
				if fs := findings(t, h.e, pipeline.FsckOptions{Deep: true}, a.ID, "error"); len(fs) != 0 {
					t.Fatalf("fsck -deep errors after the race: %+v", fs)
				}
				if fs := findings(t, h.e, pipeline.FsckOptions{}, a.ID, "warning"); len(fs) != 0 {
					t.Fatalf("fsck warnings after the race (leftover versions): %+v", fs)
				}
			})

			t.Run("FailedCommit", func(t *testing.T) {
				a := toSigning(h, "PKS Gagal Simpan")
				fs.failRecord.Store(true)
				_, err := h.trySign(a.ID, "")
				fs.failRecord.Store(false)
				if err == nil {
					t.Fatal("sign with a failing record write succeeded")
				}
				if vs := signedVersions(t, st, a.ID); len(vs) != 0 {
					t.Fatalf("a signature whose commit failed left %+v", vs)
				}
				if cur, _, err := h.e.Load(ctx, a.ID); err != nil || cur.Latest(naskah.DocSigned) != nil || cur.Step != a.Step {
					t.Fatalf("record after the failed commit: %v, step %s, want unchanged at %s", err, cur.Step, a.Step)
				}
				// Signing again works and the new version is retained.
				got, err := h.trySign(a.ID, "")
				if err != nil {
					t.Fatal(err)
				}
				mustBeRetained(t, st, got)
			})

			t.Run("LostCommitAnswer", func(t *testing.T) {
				// The record lands but the answer is lost: the signature is
				// committed, so it is acknowledged and retained, not undone.
				a := toSigning(h, "PKS Jawaban Hilang")
				fs.lostRecord.Store(true)
				got, err := h.trySign(a.ID, "")
				fs.lostRecord.Store(false)
				if err != nil {
					t.Fatalf("sign whose commit landed: %v, want success", err)
				}
				mustBeRetained(t, st, got)
			})

			t.Run("RetainFailsThenFsckRepair", func(t *testing.T) {
				a := toSigning(h, "PKS Retensi Tertunda")
				fs.failRetain.Store(true)
				got, err := h.trySign(a.ID, "")
				fs.failRetain.Store(false)
				if err != nil {
					t.Fatalf("sign whose retention failed after commit: %v, want success (committed)", err)
				}
				d := got.Latest(naskah.DocSigned)
				if vs := signedVersions(t, st, a.ID); len(vs) != 1 || !vs[0].RetainUntil.IsZero() {
					t.Fatalf("stored %+v, want one unretained version", vs)
				}
				errsBefore := findings(t, h.e, pipeline.FsckOptions{}, a.ID, "error")
				if len(errsBefore) != 1 || errsBefore[0].Key != d.Key || !strings.Contains(errsBefore[0].Problem, "not retained") {
					t.Fatalf("fsck: %+v, want one error saying the signed version is not retained", errsBefore)
				}
				if fixed := findings(t, h.e, pipeline.FsckOptions{Repair: true}, a.ID, "repaired"); len(fixed) != 1 {
					t.Fatalf("fsck -repair: %+v, want one repaired finding", fixed)
				}
				if fs := findings(t, h.e, pipeline.FsckOptions{}, a.ID, "error"); len(fs) != 0 {
					t.Fatalf("fsck after repair: %+v", fs)
				}
				mustBeRetained(t, st, got)
			})

			t.Run("RetainFailsThenOutbox", func(t *testing.T) {
				a := toSigning(h, "PKS Retensi Lewat Outbox")
				fs.failRetain.Store(true)
				got, err := h.trySign(a.ID, "")
				fs.failRetain.Store(false)
				if err != nil {
					t.Fatal(err)
				}
				if vs := signedVersions(t, st, a.ID); len(vs) != 1 || !vs[0].RetainUntil.IsZero() {
					t.Fatalf("stored %+v, want one unretained version", vs)
				}
				if _, err := h.e.DrainOutbox(ctx); err != nil {
					t.Fatal(err)
				}
				mustBeRetained(t, st, got)
			})

			t.Run("RetainedOrphanIsAnError", func(t *testing.T) {
				a := toSigning(h, "PKS Yatim Piatu")
				got, err := h.trySign(a.ID, "")
				if err != nil {
					t.Fatal(err)
				}
				// A retained version no record references, as the old code left
				// behind: fsck calls it an error, not a warning.
				key := naskah.DocumentKey(a.ID, naskah.DocSigned)
				body := []byte("%PDF-1.7 orphan")
				orphan, err := st.Put(ctx, key, strings.NewReader(string(body)), storage.PutOptions{Size: int64(len(body)),
					RetainUntil: time.Now().AddDate(5, 0, 0).Truncate(time.Second)}) // past the test clock, which runs ahead
				if err != nil {
					t.Fatal(err)
				}
				errs := findings(t, h.e, pipeline.FsckOptions{Repair: true}, a.ID, "error")
				if len(errs) != 1 || !strings.Contains(errs[0].Problem, orphan.VersionID) || !strings.Contains(errs[0].Problem, "no record references it") {
					t.Fatalf("fsck: %+v, want one error about retained orphan %s", errs, orphan.VersionID)
				}
				// An unretained leftover stays a warning.
				leftover, err := st.Put(ctx, key, strings.NewReader("x"), storage.PutOptions{Size: 1})
				if err != nil {
					t.Fatal(err)
				}
				warns := findings(t, h.e, pipeline.FsckOptions{}, a.ID, "warning")
				if len(warns) != 1 || !strings.Contains(warns[0].Problem, leftover.VersionID) {
					t.Fatalf("fsck warnings: %+v, want one about %s", warns, leftover.VersionID)
				}
				_ = got
			})
		})
	}
}

// TestOutboxDrainLeavesNoVersions: after N actions and one drain, no
// version of the agreement's outbox entry is left to resurrect (issue 15),
// and a second drain applies nothing.
func TestOutboxDrainLeavesNoVersions(t *testing.T) {
	for _, tc := range []struct {
		name string
		open func(t *testing.T) (storage.Store, *miniotest.Server)
	}{
		{"Local", func(t *testing.T) (storage.Store, *miniotest.Server) { return mustLocalStore(t), nil }},
		{"MinIO", mustMinIOStore},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, srv := tc.open(t)
			h := newHarness(t, st, srv)
			ctx := context.Background()
			a := toSigning(h, "PKS Outbox Bersih")
			key := "outbox/" + a.ID + ".json"
			vs, err := st.ListVersions(ctx, key)
			if err != nil || len(vs) < 10 {
				t.Fatalf("outbox versions before the drain: %d (%v), want one per action", len(vs), err)
			}
			if _, err := h.e.DrainOutbox(ctx); err != nil {
				t.Fatal(err)
			}
			if vs, err := st.ListVersions(ctx, key); naskah.ErrorCode(err) != naskah.ENOTFOUND {
				t.Fatalf("%d outbox versions after the drain (%v), want none", len(vs), err)
			}
			if n, err := h.e.DrainOutbox(ctx); err != nil || n != 0 {
				t.Fatalf("second drain applied %d (%v), want 0", n, err)
			}
			if n, _ := h.e.Pending(ctx); n != 0 {
				t.Fatalf("%d pending after the drain, want 0", n)
			}
		})
	}
}

// TestFsckDeepFindsBitRot: one flipped byte in a stored version passes the
// metadata check but not fsck -deep (issue 15).
func TestFsckDeepFindsBitRot(t *testing.T) {
	dir := t.TempDir()
	st, err := local.Open(local.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	h := newHarness(t, st, nil)
	ctx := context.Background()
	a := toSigning(h, "PKS Bit Busuk")
	a = h.sign(upt, "kepala-upt", a)
	rep, err := h.e.FsckWith(ctx, pipeline.FsckOptions{Deep: true})
	if err != nil || !rep.Clean() || rep.DeepBytes == 0 {
		t.Fatalf("deep fsck of a sound store: %v clean=%v bytes=%d %+v", err, rep != nil && rep.Clean(), rep.DeepBytes, rep)
	}
	d := a.Latest(naskah.DocTextToSign)
	sum := sha256.Sum256([]byte(d.Key))
	path := filepath.Join(dir, "objects", hex.EncodeToString(sum[:])[:2], hex.EncodeToString(sum[:]), d.VersionID+".data")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0x01
	if err := os.WriteFile(path, b, 0o640); err != nil {
		t.Fatal(err)
	}
	if fs := findings(t, h.e, pipeline.FsckOptions{}, a.ID, "error"); len(fs) != 0 {
		t.Fatalf("the metadata check now sees bit rot (%+v): update this test's premise", fs)
	}
	var calls atomic.Int64
	fs := findings(t, h.e, pipeline.FsckOptions{Deep: true, Progress: func(done, total int) { calls.Add(1) }}, a.ID, "error")
	if len(fs) != 1 || fs[0].Key != d.Key || !strings.Contains(fs[0].Problem, "damaged") || !strings.Contains(fs[0].Problem, d.VersionID) {
		t.Fatalf("deep fsck after a flipped byte: %+v, want one error naming %s %s", fs, d.Key, d.VersionID)
	}
	if calls.Load() == 0 {
		t.Fatal("deep fsck reported no progress")
	}
}
