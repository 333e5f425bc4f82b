package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"strconv"
	"syscall"
	"time"

	"github.com/bpom/naskah"
	"github.com/bpom/naskah/api"
	"github.com/bpom/naskah/storage"
)

// readyChecks are the conditions /readyz adds to "storage and index
// answer": free disk under the data dir, and a store that takes a write.
func (m *Main) readyChecks() []api.ReadyCheck {
	c := &m.Config
	checks := []api.ReadyCheck{}
	if c.MinFreeMB > 0 {
		checks = append(checks, api.ReadyCheck{Name: "disk", Check: func(context.Context) error { return diskFree(c.DataDir, c.MinFreeMB) }})
	}
	replica := c.Replica
	if replica == "" {
		host, _ := os.Hostname()
		replica = host + "-" + strconv.Itoa(os.Getpid())
	}
	checks = append(checks, api.ReadyCheck{Name: "store_write", Check: func(ctx context.Context) error {
		return storeWriteProbe(ctx, m.Engine.Store, "health/"+replica+".json")
	}})
	return checks
}

// diskFree fails when the file system of dir has less than minMB free for
// this process (Bavail: what an unprivileged writer may use).
func diskFree(dir string, minMB int) error {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return naskah.WrapError(naskah.EUNAVAILABLE, err, "ruang disk %s tidak dapat diperiksa — cannot check free disk space under %s", dir, dir)
	}
	free := st.Bavail * uint64(st.Bsize) >> 20
	if free < uint64(minMB) {
		return naskah.Errorf(naskah.EUNAVAILABLE, "ruang disk kosong di %s tinggal %d MB, di bawah batas %d MB: kosongkan ruang — free disk space under %s is %d MB, below min_free_mb %d: free some space",
			dir, free, minMB, dir, free, minMB)
	}
	return nil
}

// storeWriteProbe writes a small object with a condition (it must not
// exist: the conditional path is what a commit uses) and removes exactly
// that version, within 3 seconds. A version left by a probe that crashed
// midway makes the condition fail once: it is removed and the probe
// retried.
func storeWriteProbe(ctx context.Context, st storage.Store, key string) error {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	body, _ := json.Marshal(map[string]any{"probe": "readyz", "at": time.Now().UTC()})
	put := func() (storage.ObjectInfo, error) {
		return st.Put(ctx, key, bytes.NewReader(body), storage.PutOptions{Size: int64(len(body)), ContentType: "application/json", IfNoneMatch: true})
	}
	info, err := put()
	if naskah.ErrorCode(err) == naskah.ECONFLICT {
		if vs, lerr := st.ListVersions(ctx, key); lerr == nil {
			for _, v := range vs {
				_ = st.Delete(ctx, key, storage.DeleteOptions{VersionID: v.VersionID})
			}
		}
		info, err = put()
	}
	if err != nil {
		return naskah.WrapError(naskah.EUNAVAILABLE, err, "penyimpanan tidak dapat ditulisi — storage does not take writes: %s", naskah.ErrorMessage(err))
	}
	if err := st.Delete(ctx, key, storage.DeleteOptions{VersionID: info.VersionID}); err != nil && naskah.ErrorCode(err) != naskah.ENOTFOUND {
		return naskah.WrapError(naskah.EUNAVAILABLE, err, "penyimpanan tidak dapat menghapus objek uji — storage does not take deletes: %s", naskah.ErrorMessage(err))
	}
	return nil
}
