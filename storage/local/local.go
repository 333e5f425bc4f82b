// Package local implements storage.Store on a directory: the embedded
// default when no MinIO endpoint is configured.
//
// Layout under Dir:
//
//	LOCK                      flock held while a process has the store open
//	tmp/                      uploads in progress (emptied at Open)
//	objects/hh/<sha256(key)>/ one directory per key
//	    <version>.data        the bytes (absent for delete markers)
//	    <version>.meta        JSON ObjectInfo; its rename commits the version
//
// Version ids are fixed-width decimal nanosecond stamps, strictly increasing,
// so names sort by age; a version id is also its ETag. A crash leaves at most
// a .data file without .meta, which is invisible and removed at Open.
package local

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/bpom/naskah"
	"github.com/bpom/naskah/storage"
)

var _ storage.Store = (*Store)(nil)

// Config configures a local Store.
type Config struct {
	Dir string           // created if missing
	Now func() time.Time // clock for retention and LastModified; default time.Now
	// ReadOnly opens a snapshot of the store without its lock, for fsck
	// beside a running serve (readonly.go): nothing is cleaned up or
	// written, and writes are refused.
	ReadOnly bool
}

// Store is a storage.Store on a directory. One process at a time may open a
// directory; within it, a Store is safe for concurrent use.
type Store struct {
	dir  string
	now  func() time.Time
	lock *os.File

	readOnly bool

	commitMu sync.Mutex // serialises changes, so a precondition check and its commit are atomic

	mu      sync.RWMutex // guards the fields below
	index   map[string][]*meta
	lastVID int64
	closed  bool
}

// meta is the on-disk record of one version.
type meta struct {
	Key          string            `json:"key"`
	VersionID    string            `json:"version_id"`
	SHA256       string            `json:"sha256,omitempty"`
	ContentType  string            `json:"content_type,omitempty"`
	Size         int64             `json:"size"`
	Metadata     map[string]string `json:"metadata,omitempty"`
	LastModified time.Time         `json:"last_modified"`
	RetainUntil  time.Time         `json:"retain_until,omitzero"`
	DeleteMarker bool              `json:"delete_marker,omitempty"`
}

// Open opens (creating if needed) the store in cfg.Dir. It fails with
// ECONFLICT if another process, or another Store in this one, has the
// directory open, and EINTERNAL if the directory cannot be used or holds a
// damaged version record.
func Open(cfg Config) (*Store, error) {
	if cfg.Dir == "" {
		return nil, naskah.Errorf(naskah.EINVALID, "local storage: no directory configured; set the data directory")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Store{dir: cfg.Dir, now: cfg.Now, index: map[string][]*meta{}, readOnly: cfg.ReadOnly}
	if cfg.ReadOnly {
		return s.openReadOnly()
	}
	for _, d := range []string{s.dir, s.tmpDir(), filepath.Join(s.dir, "objects")} {
		if err := os.MkdirAll(d, 0o750); err != nil {
			return nil, naskah.WrapError(naskah.EINTERNAL, err, "local storage: cannot create directory %s; check its permissions and free space", d)
		}
	}
	lockPath := filepath.Join(s.dir, "LOCK")
	f, err := os.OpenFile(lockPath, os.O_RDWR|os.O_CREATE, 0o640)
	if err != nil {
		return nil, naskah.WrapError(naskah.EINTERNAL, err, "local storage: cannot open lock file %s; check permissions", lockPath)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, naskah.WrapError(naskah.ECONFLICT, err, "local storage: directory %s is already in use by another naskah process (lock %s held); stop that process or configure a different data directory", s.dir, lockPath)
		}
		return nil, naskah.WrapError(naskah.EINTERNAL, err, "local storage: cannot lock %s", lockPath)
	}
	s.lock = f
	if err := s.load(); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// load empties tmp/, drops uncommitted data files and builds the index.
func (s *Store) load() error {
	if !s.readOnly {
		tmps, _ := os.ReadDir(s.tmpDir())
		for _, e := range tmps {
			os.Remove(filepath.Join(s.tmpDir(), e.Name()))
		}
	}
	dirs, err := filepath.Glob(filepath.Join(s.dir, "objects", "*", "*"))
	if err != nil {
		return naskah.WrapError(naskah.EINTERNAL, err, "local storage: scan %s", s.dir)
	}
	for _, d := range dirs {
		entries, err := os.ReadDir(d)
		if err != nil {
			return naskah.WrapError(naskah.EINTERNAL, err, "local storage: cannot read %s; check permissions", d)
		}
		have := map[string]bool{}
		for _, e := range entries {
			have[e.Name()] = true
		}
		for _, e := range entries {
			name := e.Name()
			switch {
			case strings.HasSuffix(name, ".data") && !have[strings.TrimSuffix(name, ".data")+".meta"]:
				if !s.readOnly {
					os.Remove(filepath.Join(d, name)) // never committed (or, beside a running serve, not yet)
				}
			case strings.HasSuffix(name, ".meta"):
				m, err := readMeta(filepath.Join(d, name))
				if err != nil {
					return err
				}
				s.index[m.Key] = append(s.index[m.Key], m)
				var v int64
				fmt.Sscan(m.VersionID, &v)
				s.lastVID = max(s.lastVID, v)
			}
		}
	}
	for _, vs := range s.index {
		sort.Slice(vs, func(i, j int) bool { return vs[i].VersionID < vs[j].VersionID })
	}
	return nil
}

func readMeta(path string) (*meta, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, naskah.WrapError(naskah.EINTERNAL, err, "local storage: cannot read version record %s", path)
	}
	m := new(meta)
	if err := json.Unmarshal(b, m); err != nil || m.Key == "" || m.VersionID == "" {
		return nil, naskah.WrapError(naskah.EINTERNAL, err, "local storage: version record %s is damaged; restore it from backup or move it away", path)
	}
	return m, nil
}

func (s *Store) tmpDir() string { return filepath.Join(s.dir, "tmp") }

func (s *Store) keyDir(key string) string {
	h := sha256.Sum256([]byte(key))
	x := hex.EncodeToString(h[:])
	return filepath.Join(s.dir, "objects", x[:2], x)
}

func (s *Store) dataPath(key, vid string) string {
	return filepath.Join(s.keyDir(key), vid+".data")
}

func (s *Store) metaPath(key, vid string) string {
	return filepath.Join(s.keyDir(key), vid+".meta")
}

func (s *Store) checkOpen() error {
	if s.closed {
		return naskah.Errorf(naskah.EUNAVAILABLE, "local storage: the store is closed")
	}
	return nil
}

// latest returns the newest version of key, or nil. Callers hold mu.
func (s *Store) latest(key string) *meta {
	vs := s.index[key]
	if len(vs) == 0 {
		return nil
	}
	return vs[len(vs)-1]
}

// nextVID returns a version id above every existing one. Callers hold commitMu.
func (s *Store) nextVID() string {
	v := max(s.now().UnixNano(), time.Now().UnixNano(), s.lastVID+1)
	s.lastVID = v
	return fmt.Sprintf("%020d", v)
}

// Put implements storage.Store. The bytes go to a temp file outside any
// lock; only the precondition check and the renames are serialised.
func (s *Store) Put(ctx context.Context, key string, r io.Reader, opts storage.PutOptions) (storage.ObjectInfo, error) {
	if err := storage.ValidatePut(key, opts, s.now()); err != nil {
		return storage.ObjectInfo{}, err
	}
	if err := s.checkWritable(); err != nil {
		return storage.ObjectInfo{}, err
	}
	s.mu.RLock()
	err := s.checkOpen()
	s.mu.RUnlock()
	if err != nil {
		return storage.ObjectInfo{}, err
	}
	tmp, err := os.CreateTemp(s.tmpDir(), "put-*")
	if err != nil {
		return storage.ObjectInfo{}, writeError(err, "local storage: cannot create a temp file in %s; check free space and permissions", s.tmpDir())
	}
	committed := false
	defer func() {
		if !committed {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	hr := storage.NewHashReader(ctxReader{ctx, r}, key, opts.Size, opts.SHA256)
	if _, err := io.Copy(tmp, hr); err != nil {
		if naskah.ErrorCode(err) == naskah.EINTERNAL {
			err = writeError(err, "local storage: reading the upload of %s or writing it to disk failed; check free space and retry", key)
		}
		return storage.ObjectInfo{}, fmt.Errorf("local: put %s: %w", key, err)
	}
	if err := tmp.Sync(); err != nil {
		return storage.ObjectInfo{}, writeError(err, "local storage: fsync of %s failed; check the disk", key)
	}
	if err := tmp.Close(); err != nil {
		return storage.ObjectInfo{}, writeError(err, "local storage: close of %s failed; check the disk", key)
	}
	ct := opts.ContentType
	if ct == "" {
		ct = "application/octet-stream"
	}
	m := &meta{
		Key: key, SHA256: hr.Sum(), Size: hr.N(), ContentType: ct,
		Metadata: canonical(opts.Metadata), RetainUntil: opts.RetainUntil.UTC(),
	}

	s.commitMu.Lock()
	defer s.commitMu.Unlock()
	s.mu.RLock()
	err = s.checkOpen()
	cur := s.latest(key)
	s.mu.RUnlock()
	if err != nil {
		return storage.ObjectInfo{}, err
	}
	live := cur != nil && !cur.DeleteMarker
	switch {
	case opts.IfNoneMatch && live:
		return storage.ObjectInfo{}, naskah.Errorf(naskah.ECONFLICT, "%s already exists (version %s); read it and update it with its ETag instead", key, cur.VersionID)
	case opts.IfMatch != "" && !live:
		return storage.ObjectInfo{}, naskah.Errorf(naskah.ECONFLICT, "%s no longer exists, so ETag %s does not match; reload and retry", key, opts.IfMatch)
	case opts.IfMatch != "" && cur.VersionID != opts.IfMatch:
		return storage.ObjectInfo{}, naskah.Errorf(naskah.ECONFLICT, "%s was changed by someone else (ETag %s, you had %s); reload and retry", key, cur.VersionID, opts.IfMatch)
	}
	m.VersionID = s.nextVID()
	m.LastModified = s.now().UTC()
	if !opts.RetainUntil.IsZero() {
		os.Chmod(tmp.Name(), 0o440) // a hint to humans; Delete enforces retention
	}
	if err := s.commit(m, tmp.Name()); err != nil {
		return storage.ObjectInfo{}, err
	}
	committed = true
	return m.info(true), nil
}

// commit makes version m visible: data rename, dir fsync, meta write and
// rename, dir fsync. The meta rename is the commit point. Callers hold
// commitMu.
func (s *Store) commit(m *meta, dataTmp string) error {
	dir := s.keyDir(m.Key)
	fail := func(err error) error {
		return writeError(err, "local storage: cannot commit %s; check free space and permissions of %s", m.Key, s.dir)
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fail(err)
	}
	if err := syncDir(filepath.Dir(dir)); err != nil {
		return fail(err)
	}
	if dataTmp != "" {
		if err := os.Rename(dataTmp, s.dataPath(m.Key, m.VersionID)); err != nil {
			return fail(err)
		}
		if err := syncDir(dir); err != nil {
			return fail(err)
		}
	}
	b, err := json.Marshal(m)
	if err != nil {
		return fail(err)
	}
	mt, err := os.CreateTemp(s.tmpDir(), "meta-*")
	if err != nil {
		return fail(err)
	}
	_, err = mt.Write(b)
	if err == nil {
		err = mt.Sync()
	}
	if cerr := mt.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(mt.Name(), s.metaPath(m.Key, m.VersionID))
	}
	if err == nil {
		err = syncDir(dir)
	}
	if err != nil {
		os.Remove(mt.Name())
		os.Remove(s.dataPath(m.Key, m.VersionID))
		return fail(err)
	}
	s.mu.Lock()
	s.index[m.Key] = append(s.index[m.Key], m)
	s.mu.Unlock()
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// find returns the requested version (latest if vid is empty) or an
// ENOTFOUND error; delete markers are not found.
func (s *Store) find(key, vid string) (*meta, bool, error) {
	if err := storage.ValidateKey(key); err != nil {
		return nil, false, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := s.checkOpen(); err != nil {
		return nil, false, err
	}
	vs := s.index[key]
	for i := len(vs) - 1; i >= 0; i-- {
		if vid == "" || vs[i].VersionID == vid {
			if vs[i].DeleteMarker {
				break
			}
			return vs[i], i == len(vs)-1, nil
		}
	}
	if vid != "" {
		return nil, false, naskah.Errorf(naskah.ENOTFOUND, "%s has no version %s", key, vid)
	}
	return nil, false, naskah.Errorf(naskah.ENOTFOUND, "%s does not exist", key)
}

// Get implements storage.Store.
func (s *Store) Get(ctx context.Context, key string, opts storage.GetOptions) (io.ReadCloser, storage.ObjectInfo, error) {
	m, latest, err := s.find(key, opts.VersionID)
	if err != nil {
		return nil, storage.ObjectInfo{}, fmt.Errorf("local: get: %w", err)
	}
	f, err := os.Open(s.dataPath(key, m.VersionID))
	if errors.Is(err, fs.ErrNotExist) { // removed after find
		return nil, storage.ObjectInfo{}, fmt.Errorf("local: get: %w", naskah.Errorf(naskah.ENOTFOUND, "%s version %s was just deleted", key, m.VersionID))
	} else if err != nil {
		return nil, storage.ObjectInfo{}, naskah.WrapError(naskah.EINTERNAL, err, "local storage: cannot open %s version %s; check permissions", key, m.VersionID)
	}
	return storage.VerifyReader(f, key, m.VersionID, m.Size, m.SHA256), m.info(latest), nil
}

// Stat implements storage.Store.
func (s *Store) Stat(ctx context.Context, key string, opts storage.GetOptions) (storage.ObjectInfo, error) {
	m, latest, err := s.find(key, opts.VersionID)
	if err != nil {
		return storage.ObjectInfo{}, fmt.Errorf("local: stat: %w", err)
	}
	return m.info(latest), nil
}

// ListVersions implements storage.Store.
func (s *Store) ListVersions(ctx context.Context, key string) ([]storage.ObjectInfo, error) {
	if err := storage.ValidateKey(key); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := s.checkOpen(); err != nil {
		return nil, err
	}
	vs := s.index[key]
	if len(vs) == 0 {
		return nil, naskah.Errorf(naskah.ENOTFOUND, "%s has no versions", key)
	}
	out := make([]storage.ObjectInfo, 0, len(vs))
	for i := len(vs) - 1; i >= 0; i-- {
		out = append(out, vs[i].info(i == len(vs)-1))
	}
	return out, nil
}

// List implements storage.Store.
func (s *Store) List(ctx context.Context, prefix string) ([]storage.ObjectInfo, error) {
	if err := storage.ValidatePrefix(prefix); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := s.checkOpen(); err != nil {
		return nil, err
	}
	var out []storage.ObjectInfo
	for key := range s.index {
		if m := s.latest(key); m != nil && !m.DeleteMarker && strings.HasPrefix(key, prefix) {
			out = append(out, m.info(true))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

// Delete implements storage.Store.
func (s *Store) Delete(ctx context.Context, key string, opts storage.DeleteOptions) error {
	if err := storage.ValidateKey(key); err != nil {
		return err
	}
	if err := s.checkWritable(); err != nil {
		return err
	}
	s.commitMu.Lock()
	defer s.commitMu.Unlock()
	s.mu.RLock()
	err := s.checkOpen()
	vs := s.index[key]
	s.mu.RUnlock()
	if err != nil {
		return err
	}
	now := s.now()
	if opts.VersionID == "" {
		cur := s.latest(key)
		switch {
		case cur == nil || cur.DeleteMarker:
			return naskah.Errorf(naskah.ENOTFOUND, "%s does not exist", key)
		case cur.info(true).Retained(now):
			return naskah.Errorf(naskah.ERETAINED, "%s is retained until %s and cannot be deleted before then", key, cur.RetainUntil.Format(time.RFC3339))
		}
		return s.commit(&meta{Key: key, VersionID: s.nextVID(), LastModified: now.UTC(), DeleteMarker: true}, "")
	}
	i := sort.Search(len(vs), func(i int) bool { return vs[i].VersionID >= opts.VersionID })
	if i == len(vs) || vs[i].VersionID != opts.VersionID {
		return naskah.Errorf(naskah.ENOTFOUND, "%s has no version %s", key, opts.VersionID)
	}
	m := vs[i]
	if m.info(false).Retained(now) {
		return naskah.Errorf(naskah.ERETAINED, "%s version %s is retained until %s and cannot be deleted before then", key, m.VersionID, m.RetainUntil.Format(time.RFC3339))
	}
	if err := os.Remove(s.metaPath(key, m.VersionID)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return naskah.WrapError(naskah.EINTERNAL, err, "local storage: cannot delete %s version %s; check permissions", key, m.VersionID)
	}
	syncDir(s.keyDir(key))
	os.Remove(s.dataPath(key, m.VersionID))
	s.mu.Lock()
	rest := append(append([]*meta{}, vs[:i]...), vs[i+1:]...)
	if len(rest) == 0 {
		delete(s.index, key)
		os.Remove(s.keyDir(key))
	} else {
		s.index[key] = rest
	}
	s.mu.Unlock()
	return nil
}

// Retain implements storage.Store. The version's record is rewritten with
// the new date (write to tmp, rename over, fsync the directory), so a crash
// leaves either the old or the new record, never a torn one.
func (s *Store) Retain(ctx context.Context, key, versionID string, until time.Time) error {
	if err := storage.ValidateRetain(key, versionID, until, s.now()); err != nil {
		return err
	}
	if err := s.checkWritable(); err != nil {
		return err
	}
	s.commitMu.Lock()
	defer s.commitMu.Unlock()
	s.mu.RLock()
	err := s.checkOpen()
	vs := s.index[key]
	s.mu.RUnlock()
	if err != nil {
		return err
	}
	i := sort.Search(len(vs), func(i int) bool { return vs[i].VersionID >= versionID })
	if i == len(vs) || vs[i].VersionID != versionID || vs[i].DeleteMarker {
		return naskah.Errorf(naskah.ENOTFOUND, "%s has no version %s", key, versionID)
	}
	until = storage.RetainDate(until)
	old := vs[i]
	switch {
	case until.Equal(old.RetainUntil):
		return nil
	case until.Before(old.RetainUntil):
		return storage.ShortenError(key, versionID, old.RetainUntil, until)
	}
	m := *old
	m.RetainUntil = until
	if err := s.writeMeta(&m); err != nil {
		return err
	}
	os.Chmod(s.dataPath(key, versionID), 0o440) // a hint to humans; Delete enforces retention
	s.mu.Lock()
	nvs := slices.Clone(s.index[key])
	for j := range nvs {
		if nvs[j].VersionID == versionID {
			nvs[j] = &m
		}
	}
	s.index[key] = nvs
	s.mu.Unlock()
	return nil
}

// writeMeta replaces the record of an existing version atomically.
// Callers hold commitMu.
func (s *Store) writeMeta(m *meta) error {
	fail := func(err error) error {
		return writeError(err, "local storage: cannot update %s version %s; check free space and permissions of %s", m.Key, m.VersionID, s.dir)
	}
	b, err := json.Marshal(m)
	if err != nil {
		return fail(err)
	}
	mt, err := os.CreateTemp(s.tmpDir(), "meta-*")
	if err != nil {
		return fail(err)
	}
	_, err = mt.Write(b)
	if err == nil {
		err = mt.Sync()
	}
	if cerr := mt.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(mt.Name(), s.metaPath(m.Key, m.VersionID))
	}
	if err == nil {
		err = syncDir(s.keyDir(m.Key))
	}
	if err != nil {
		os.Remove(mt.Name())
		return fail(err)
	}
	return nil
}

// Close releases the directory lock. Calls after Close fail with EUNAVAILABLE.
func (s *Store) Close() error {
	s.commitMu.Lock()
	defer s.commitMu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || s.lock == nil {
		s.closed = true
		return nil
	}
	s.closed = true
	syscall.Flock(int(s.lock.Fd()), syscall.LOCK_UN)
	return s.lock.Close()
}

func (m *meta) info(latest bool) storage.ObjectInfo {
	return storage.ObjectInfo{
		Key: m.Key, VersionID: m.VersionID, ETag: m.VersionID, SHA256: m.SHA256,
		ContentType: m.ContentType, Size: m.Size, Metadata: maps.Clone(m.Metadata),
		LastModified: m.LastModified, RetainUntil: m.RetainUntil,
		IsLatest: latest, DeleteMarker: m.DeleteMarker,
	}
}

func canonical(md map[string]string) map[string]string {
	if len(md) == 0 {
		return nil
	}
	out := make(map[string]string, len(md))
	for k, v := range md {
		out[strings.ToLower(k)] = v
	}
	return out
}

// ctxReader stops a long upload when ctx is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, naskah.WrapError(naskah.EUNAVAILABLE, err, "upload cancelled or timed out")
	}
	return c.r.Read(p)
}
