package main

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/bpom/naskah"
	"github.com/bpom/naskah/storage"
)

// opsCommands are the operator's commands: backup, restore, import and the
// container health probe.
func opsCommands() []namedCommand {
	return []namedCommand{backupCommand(), restoreCommand(), importCommand(), healthcheckCommand()}
}

// backupFormat names the archive layout; restore refuses any other.
const backupFormat = "naskah-backup/1"

// backupEntry describes one stored version in a backup. It is written as
// the PAX record naskah.entry of the version's tar member (so restore can
// stream) and again, all together, in manifest.json at the end.
type backupEntry struct {
	Seq          int               `json:"seq"` // position in the archive, from 1
	Key          string            `json:"key"`
	Order        int               `json:"order"` // 1 = oldest version of the key
	VersionID    string            `json:"version_id"`
	Size         int64             `json:"size"`
	SHA256       string            `json:"sha256,omitempty"`
	ContentType  string            `json:"content_type,omitempty"`
	Metadata     map[string]string `json:"metadata,omitempty"`
	RetainUntil  *time.Time        `json:"retain_until,omitempty"`
	LastModified time.Time         `json:"last_modified"`
	DeleteMarker bool              `json:"delete_marker,omitempty"`
}

type backupManifest struct {
	Format  string        `json:"format"`
	Created time.Time     `json:"created"`
	Source  string        `json:"source"`
	Entries []backupEntry `json:"entries"`
	// Unreadable lists the versions left out because they could not be
	// read or their bytes did not match their SHA-256 (backup_verify.go).
	Unreadable []unreadableVersion `json:"unreadable,omitempty"`
}

const paxEntry = "NASKAH.entry"

func backupCommand() namedCommand {
	return namedCommand{"backup", command{
		summary: "write every version of every key (records, documents, outbox) to a tar file with checksums",
		run: func(ctx context.Context, args []string, out, errOut io.Writer) error {
			var to, verify string
			var gz bool
			cfg, fs, err := configFlags("backup", args, errOut, func(fs *flag.FlagSet) {
				fs.StringVar(&to, "to", "", "backup file to write (required); a name ending in .gz or .tgz is gzip-compressed")
				fs.StringVar(&verify, "verify", "", "check a backup FILE offline (tar structure, every member's size and SHA-256, the manifest) instead of writing one")
				fs.BoolVar(&gz, "gzip", false, "gzip-compress whatever the file name")
				fs.Usage = func() {
					fmt.Fprint(fs.Output(), `usage: naskah backup --to FILE [-gzip] [-config FILE] [-data DIR]
       naskah backup --verify FILE

Writes every version of every key of the configured store (local data dir
or MinIO bucket) — agreement records, document versions, queued index
updates — oldest first per key, to a tar archive. Each member is one
version; its PAX record NASKAH.entry holds key, version order, size,
SHA-256, content type, metadata, retain-until and the original version id,
and manifest.json at the end lists them all. Bytes are streamed: memory
does not grow with the size of the store. The file is written to FILE.tmp
and renamed when complete. A version that cannot be read, or whose bytes
do not match its SHA-256, is left out and the backup goes on; all such
versions are listed at the end (and in the manifest) and the exit status
is 1: restore the damaged versions from an older backup.

--verify FILE reads a backup without the store: every member's size and
SHA-256 against its NASKAH.entry record, the tar structure, and the
manifest. Exit 1 when anything is damaged, missing or left out.
`)
					fs.PrintDefaults()
				}
			})
			if err != nil {
				return err
			}
			if verify != "" {
				return verifyBackupCommand(verify, out)
			}
			if to == "" {
				fs.Usage()
				return &exitError{code: 2, err: errors.New("--to FILE is required")}
			}
			m := &Main{Config: cfg, Out: out}
			defer m.Close()
			if err := m.Open(ctx); err != nil {
				return err
			}
			gz = gz || strings.HasSuffix(to, ".gz") || strings.HasSuffix(to, ".tgz")
			man, err := writeBackup(ctx, m.Store, storageName(&cfg), to, gz, errOut)
			if err != nil {
				return err
			}
			var n int64
			for _, e := range man.Entries {
				n += e.Size
			}
			fmt.Fprintf(out, "\nbackup %s: %d versions, %d bytes\n", to, len(man.Entries), n)
			return reportUnreadable(man, out)
		},
	}}
}

// listAll returns every version of every live key, oldest first per key,
// with records last: restore remaps the document version ids a record
// names, so it must have written the documents first.
func listAll(ctx context.Context, st storage.Store) ([]backupEntry, error) {
	objs, err := st.List(ctx, "")
	if err != nil {
		return nil, fmt.Errorf("list: %w", err)
	}
	slices.SortStableFunc(objs, func(a, b storage.ObjectInfo) int {
		ra, rb := isRecord(a.Key), isRecord(b.Key)
		switch {
		case ra == rb:
			return strings.Compare(a.Key, b.Key)
		case ra:
			return 1
		}
		return -1
	})
	var entries []backupEntry
	for _, o := range objs {
		vs, err := st.ListVersions(ctx, o.Key)
		if err != nil {
			if naskah.ErrorCode(err) == naskah.ENOTFOUND {
				continue // removed since the listing (an applied outbox entry)
			}
			return nil, fmt.Errorf("list versions of %s: %w", o.Key, err)
		}
		slices.Reverse(vs)
		for i, v := range vs {
			entries = append(entries, backupEntry{Key: v.Key, Order: i + 1, VersionID: v.VersionID, DeleteMarker: v.DeleteMarker,
				Size: v.Size, LastModified: v.LastModified})
		}
	}
	return entries, nil
}

func isRecord(key string) bool {
	return strings.HasPrefix(key, "agreements/") && strings.HasSuffix(key, "/record.json")
}

func writeBackup(ctx context.Context, st storage.Store, source, to string, gz bool, progress io.Writer) (*backupManifest, error) {
	entries, err := listAll(ctx, st)
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(to+".tmp", os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, fmt.Errorf("backup file: %w", err)
	}
	defer os.Remove(to + ".tmp")
	defer f.Close()
	spool, err := newSpool(filepath.Dir(to))
	if err != nil {
		return nil, err
	}
	defer spool.close()
	bw := bufio.NewWriterSize(f, 1<<20)
	var w io.Writer = bw
	var zw *gzip.Writer
	if gz {
		zw = gzip.NewWriter(bw)
		w = zw
	}
	tw := tar.NewWriter(w)
	bar := progressbar.NewOptions(len(entries), progressbar.OptionSetWriter(progress), progressbar.OptionSetDescription("backup"), progressbar.OptionShowCount())
	man := &backupManifest{Format: backupFormat, Created: time.Now().UTC(), Source: source, Entries: []backupEntry{}}
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		done, err := backupVersion(ctx, st, tw, &e, len(man.Entries)+1, spool)
		var bad *unreadableError
		if errors.As(err, &bad) && naskah.ErrorCode(err) == naskah.EUNAVAILABLE {
			// One version, or the whole store? A store that is down
			// ends the backup instead of marking the rest unreadable.
			if _, lerr := st.List(ctx, e.Key); lerr != nil {
				return nil, fmt.Errorf("read %s version %s: %w (and the store does not answer: backup stopped)", e.Key, e.VersionID, err)
			}
		}
		if errors.As(err, &bad) {
			man.Unreadable = append(man.Unreadable, unreadableVersion{Key: e.Key, VersionID: e.VersionID, Problem: bad.Error()})
			_ = bar.Add(1)
			continue
		}
		if err != nil {
			return nil, err
		}
		if done {
			man.Entries = append(man.Entries, e)
		}
		_ = bar.Add(1)
	}
	body, err := json.MarshalIndent(man, "", " ")
	if err != nil {
		return nil, err
	}
	if err := tw.WriteHeader(&tar.Header{Name: "manifest.json", Mode: 0o600, Size: int64(len(body)), ModTime: man.Created, Format: tar.FormatPAX}); err != nil {
		return nil, err
	}
	if _, err := tw.Write(body); err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	if zw != nil {
		if err := zw.Close(); err != nil {
			return nil, err
		}
	}
	if err := bw.Flush(); err != nil {
		return nil, fmt.Errorf("backup file: %w", err)
	}
	if err := f.Sync(); err != nil {
		return nil, fmt.Errorf("backup file: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("backup file: %w", err)
	}
	if err := os.Rename(to+".tmp", to); err != nil {
		return nil, fmt.Errorf("backup file: %w", err)
	}
	return man, nil
}

// backupVersion writes one version as a tar member. Its bytes are first
// spooled through a SHA-256 that must match the store's, so that a version
// that cannot be read or has rotted is an *unreadableError, left out
// whole, and the archive stays well formed. It returns false for a version
// removed since the listing (the outbox worker deletes applied entries),
// which is left out rather than failing a live backup.
func backupVersion(ctx context.Context, st storage.Store, tw *tar.Writer, e *backupEntry, seq int, spool *spool) (bool, error) {
	e.Seq = seq
	var body io.Reader
	if !e.DeleteMarker {
		rc, info, err := st.Get(ctx, e.Key, storage.GetOptions{VersionID: e.VersionID})
		if naskah.ErrorCode(err) == naskah.ENOTFOUND {
			return false, nil
		}
		if err != nil {
			if ctx.Err() != nil {
				return false, err
			}
			return false, &unreadableError{fmt.Errorf("read: %w", err)}
		}
		e.Size, e.SHA256, e.ContentType, e.Metadata = info.Size, info.SHA256, info.ContentType, info.Metadata
		if !info.RetainUntil.IsZero() {
			t := info.RetainUntil.UTC()
			e.RetainUntil = &t
		}
		e.LastModified = info.LastModified
		sum, n, err := spool.fill(rc)
		rc.Close()
		switch {
		case err != nil && ctx.Err() != nil:
			return false, err
		case err != nil:
			return false, &unreadableError{err}
		case n != e.Size:
			return false, &unreadableError{fmt.Errorf("read %d bytes, the store says %d", n, e.Size)}
		case e.SHA256 != "" && sum != e.SHA256:
			return false, &unreadableError{fmt.Errorf("SHA-256 %s, the store says %s: the stored bytes are damaged", sum, e.SHA256)}
		}
		e.SHA256 = sum
		if body, err = spool.reader(); err != nil {
			return false, err
		}
	}
	meta, err := json.Marshal(e)
	if err != nil {
		return false, err
	}
	hdr := &tar.Header{Name: fmt.Sprintf("versions/%08d", seq), Mode: 0o600, Size: e.Size, ModTime: e.LastModified,
		Format: tar.FormatPAX, PAXRecords: map[string]string{paxEntry: string(meta)}}
	if e.DeleteMarker {
		hdr.Size = 0
	}
	if err := tw.WriteHeader(hdr); err != nil {
		return false, fmt.Errorf("backup file: %w", err)
	}
	if body == nil {
		return true, nil
	}
	if _, err := io.Copy(tw, body); err != nil {
		return false, fmt.Errorf("backup file: %w", err)
	}
	return true, nil
}

func restoreCommand() namedCommand {
	return namedCommand{"restore", command{
		summary: "restore a backup file into an EMPTY store, remapping version ids inside records",
		run: func(ctx context.Context, args []string, out, errOut io.Writer) error {
			var from string
			var noReindex bool
			cfg, fs, err := configFlags("restore", args, errOut, func(fs *flag.FlagSet) {
				fs.StringVar(&from, "from", "", "backup file written by naskah backup (required; gzip is detected)")
				fs.BoolVar(&noReindex, "no-reindex", false, "skip rebuilding the search index afterwards")
				fs.Usage = func() {
					fmt.Fprint(fs.Output(), `usage: naskah restore --from FILE [-no-reindex] [-config FILE] [-data DIR]

Writes every version of the backup into the configured store, which must
be empty (a fresh data dir or a new bucket): a non-empty store is refused.
Versions are written oldest first per key, each with its content type,
metadata and retain-until (a retention already past is not re-applied);
every version's bytes are checked against the SHA-256 in the backup. The
store assigns new version ids, so each record's references to document
versions are rewritten to the new ids (nothing else in the record
changes). Then the search index is rebuilt. Run naskah fsck afterwards.
Exit 1 on any checksum mismatch or unresolved reference.
`)
					fs.PrintDefaults()
				}
			})
			if err != nil {
				return err
			}
			if from == "" {
				fs.Usage()
				return &exitError{code: 2, err: errors.New("--from FILE is required")}
			}
			m := &Main{Config: cfg, Out: out}
			defer m.Close()
			if err := m.Open(ctx); err != nil {
				return err
			}
			n, err := restoreBackup(ctx, m.Store, from, errOut)
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "\nrestored %d versions from %s\n", n, from)
			if !noReindex {
				k, err := m.Engine.Reindex(ctx, nil)
				if err != nil {
					return fmt.Errorf("restored, but the index was not rebuilt (run naskah reindex): %w", err)
				}
				m.rebuilt()
				fmt.Fprintf(out, "reindexed %d agreements\n", k)
			}
			return nil
		},
	}}
}

// restoreBackup streams the archive into st; see restoreCommand.
func restoreBackup(ctx context.Context, st storage.Store, from string, progress io.Writer) (int, error) {
	if objs, err := st.List(ctx, ""); err != nil {
		return 0, fmt.Errorf("check the target store: %w", err)
	} else if len(objs) > 0 {
		return 0, &exitError{code: 1, err: fmt.Errorf("the target store is not empty (%d keys, e.g. %s): restore only into a fresh data dir or a new bucket", len(objs), objs[0].Key)}
	}
	f, err := os.Open(from)
	if err != nil {
		return 0, fmt.Errorf("backup file: %w", err)
	}
	defer f.Close()
	fi, _ := f.Stat()
	bar := progressbar.NewOptions64(fi.Size(), progressbar.OptionSetWriter(progress), progressbar.OptionSetDescription("restore"), progressbar.OptionShowBytes(true))
	br := bufio.NewReaderSize(io.TeeReader(f, bar), 1<<20)
	var r io.Reader = br
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return 0, fmt.Errorf("backup file: %w", err)
		}
		defer zr.Close()
		r = zr
	}
	tr := tar.NewReader(r)
	ids := map[string]string{} // key \x00 old version id → new version id
	now := time.Now()
	n := 0
	var man *backupManifest
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return n, fmt.Errorf("backup file %s: %w (is it complete?)", from, err)
		}
		if hdr.Name == "manifest.json" {
			man = &backupManifest{}
			if err := json.NewDecoder(tr).Decode(man); err != nil {
				return n, fmt.Errorf("backup manifest: %w", err)
			}
			continue
		}
		var e backupEntry
		if err := json.Unmarshal([]byte(hdr.PAXRecords[paxEntry]), &e); err != nil || e.Key == "" {
			return n, fmt.Errorf("backup file %s: member %s has no %s record: not a naskah backup", from, hdr.Name, paxEntry)
		}
		if err := restoreVersion(ctx, st, tr, e, ids, now); err != nil {
			return n, err
		}
		n++
	}
	if man == nil || man.Format != backupFormat {
		return n, fmt.Errorf("backup file %s has no %s manifest: it is incomplete or not a naskah backup", from, backupFormat)
	}
	if len(man.Entries) != n {
		return n, fmt.Errorf("backup file %s: restored %d versions, the manifest lists %d", from, n, len(man.Entries))
	}
	return n, nil
}

func restoreVersion(ctx context.Context, st storage.Store, r io.Reader, e backupEntry, ids map[string]string, now time.Time) error {
	if e.DeleteMarker {
		err := st.Delete(ctx, e.Key, storage.DeleteOptions{})
		if err != nil && naskah.ErrorCode(err) != naskah.ENOTFOUND {
			return fmt.Errorf("restore delete marker of %s: %w", e.Key, err)
		}
		return nil
	}
	opts := storage.PutOptions{Size: e.Size, ContentType: e.ContentType, Metadata: e.Metadata, SHA256: e.SHA256}
	if e.RetainUntil != nil && e.RetainUntil.After(now) {
		opts.RetainUntil = *e.RetainUntil
	}
	body := r
	if isRecord(e.Key) {
		data, err := io.ReadAll(io.LimitReader(r, e.Size+1))
		if err != nil {
			return fmt.Errorf("read %s from the backup: %w", e.Key, err)
		}
		if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != e.SHA256 {
			return fmt.Errorf("%s version %d: the backup's bytes do not match its SHA-256: the file is damaged", e.Key, e.Order)
		}
		if data, err = remapRecord(data, ids); err != nil {
			return fmt.Errorf("%s version %d: %w", e.Key, e.Order, err)
		}
		body, opts.Size, opts.SHA256 = bytes.NewReader(data), int64(len(data)), ""
	}
	info, err := st.Put(ctx, e.Key, body, opts)
	if err != nil {
		if naskah.ErrorCode(err) == naskah.EINVALID && opts.SHA256 != "" {
			return fmt.Errorf("%s version %d: %w (the backup's bytes do not match their SHA-256: the file is damaged)", e.Key, e.Order, err)
		}
		return fmt.Errorf("restore %s version %d: %w", e.Key, e.Order, err)
	}
	ids[e.Key+"\x00"+e.VersionID] = info.VersionID
	return nil
}

// remapRecord rewrites the storage version ids a record names to the ids
// the restored versions got. It edits the JSON text in place rather than
// re-encoding the record, so every other byte (and field this binary may
// not know) stays as it was.
func remapRecord(data []byte, ids map[string]string) ([]byte, error) {
	var a struct {
		Documents []struct {
			Key       string `json:"key"`
			VersionID string `json:"version_id"`
		} `json:"documents"`
	}
	if err := json.Unmarshal(data, &a); err != nil {
		return nil, fmt.Errorf("record is not JSON: %w", err)
	}
	var pairs []string
	for _, d := range a.Documents {
		nid, ok := ids[d.Key+"\x00"+d.VersionID]
		if !ok {
			return nil, fmt.Errorf("record names %s version %s, which is not in the backup", d.Key, d.VersionID)
		}
		oldJ, _ := json.Marshal(d.VersionID)
		newJ, _ := json.Marshal(nid)
		pairs = append(pairs, `"version_id":`+string(oldJ), `"version_id":`+string(newJ))
	}
	if len(pairs) == 0 {
		return data, nil
	}
	// One pass: an old id that equals another's new id is not rewritten twice.
	return []byte(strings.NewReplacer(pairs...).Replace(string(data))), nil
}

func healthcheckCommand() namedCommand {
	return namedCommand{"healthcheck", command{
		summary: "probe a running service's /healthz (for container HEALTHCHECKs; exit 1 if unhealthy)",
		run: func(ctx context.Context, args []string, out, errOut io.Writer) error {
			fs := flag.NewFlagSet("healthcheck", flag.ContinueOnError)
			fs.SetOutput(errOut)
			url := fs.String("url", "http://127.0.0.1:8080/healthz", "URL to GET; 200 is healthy (use /readyz to include storage and index)")
			timeout := fs.Duration("timeout", 3*time.Second, "give up after this long")
			if err := fs.Parse(args); err != nil {
				return &exitError{code: 2}
			}
			ctx, cancel := context.WithTimeout(ctx, *timeout)
			defer cancel()
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, *url, nil)
			if err != nil {
				return &exitError{code: 2, err: err}
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				return &exitError{code: 1, err: err}
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
			if resp.StatusCode != http.StatusOK {
				return &exitError{code: 1, err: fmt.Errorf("%s: %s %s", *url, resp.Status, bytes.TrimSpace(body))}
			}
			fmt.Fprintf(out, "%s\n", bytes.TrimSpace(body))
			return nil
		},
	}}
}

// within reports whether name, relative to dir, stays inside it.
func within(dir, name string) (string, bool) {
	if !filepath.IsLocal(name) {
		return "", false
	}
	return filepath.Join(dir, name), true
}
