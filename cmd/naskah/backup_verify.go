package main

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
)

// unreadableVersion is a version a backup left out: it could not be read,
// or its bytes did not match its SHA-256.
type unreadableVersion struct {
	Key       string `json:"key"`
	VersionID string `json:"version_id"`
	Problem   string `json:"problem"`
}

// unreadableError marks a version the backup skips (and goes on).
type unreadableError struct{ err error }

func (e *unreadableError) Error() string { return e.err.Error() }
func (e *unreadableError) Unwrap() error { return e.err }

// reportUnreadable lists the versions left out; exit 1 when there are any.
func reportUnreadable(man *backupManifest, out io.Writer) error {
	if len(man.Unreadable) == 0 {
		return nil
	}
	fmt.Fprintf(out, "%d versions could not be read and are NOT in this backup:\n", len(man.Unreadable))
	for _, u := range man.Unreadable {
		fmt.Fprintf(out, "  %s version %s: %s\n", u.Key, u.VersionID, u.Problem)
	}
	return &exitError{code: 1, err: fmt.Errorf("%d versions unreadable: restore them from an older backup (naskah fsck -deep lists them)", len(man.Unreadable))}
}

// spool holds one version's bytes between the store and the archive: in
// memory up to spoolMem, in a temp file beside the backup beyond.
type spool struct {
	dir  string
	mem  bytes.Buffer
	file *os.File
	big  bool
}

const spoolMem = 8 << 20

func newSpool(dir string) (*spool, error) { return &spool{dir: dir}, nil }

// fill copies r into the spool and returns its SHA-256 and length.
func (s *spool) fill(r io.Reader) (string, int64, error) {
	h := sha256.New()
	s.mem.Reset()
	s.big = false
	n, err := io.Copy(&s.mem, io.TeeReader(io.LimitReader(r, spoolMem), h))
	if err != nil {
		return "", n, err
	}
	if n == spoolMem {
		if s.file == nil {
			if s.file, err = os.CreateTemp(s.dir, ".naskah-backup-spool-*"); err != nil {
				return "", n, fmt.Errorf("backup spool: %w", err)
			}
		}
		if err := s.file.Truncate(0); err != nil {
			return "", n, err
		}
		if _, err := s.file.Seek(0, io.SeekStart); err != nil {
			return "", n, err
		}
		m, err := io.Copy(s.file, io.TeeReader(r, h))
		n += m
		if err != nil {
			return "", n, err
		}
		s.big = true
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

func (s *spool) reader() (io.Reader, error) {
	if !s.big {
		return bytes.NewReader(s.mem.Bytes()), nil
	}
	if _, err := s.file.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	return io.MultiReader(bytes.NewReader(s.mem.Bytes()), s.file), nil
}

func (s *spool) close() {
	if s.file != nil {
		s.file.Close()
		os.Remove(s.file.Name())
	}
}

// verifyReport is what verifyBackup found.
type verifyReport struct {
	Members, Bytes int64
	Problems       []string
	Unreadable     []unreadableVersion
}

// verifyBackup reads a backup file without any store: every member's
// bytes against its NASKAH.entry (size, SHA-256), member order, and the
// manifest against the members.
func verifyBackup(file string) (*verifyReport, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, fmt.Errorf("backup file: %w", err)
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 1<<20)
	var r io.Reader = br
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("backup file %s: %w", file, err)
		}
		defer zr.Close()
		r = zr
	}
	rep := &verifyReport{}
	tr := tar.NewReader(r)
	var man *backupManifest
	seen := map[int]backupEntry{}
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			rep.Problems = append(rep.Problems, fmt.Sprintf("tar structure broken after %d members: %v (the file is truncated or damaged)", rep.Members, err))
			return rep, nil
		}
		if hdr.Name == "manifest.json" {
			man = &backupManifest{}
			if err := json.NewDecoder(tr).Decode(man); err != nil {
				rep.Problems = append(rep.Problems, fmt.Sprintf("manifest.json: %v", err))
				man = nil
			}
			continue
		}
		rep.Members++
		var e backupEntry
		if err := json.Unmarshal([]byte(hdr.PAXRecords[paxEntry]), &e); err != nil || e.Key == "" {
			rep.Problems = append(rep.Problems, fmt.Sprintf("member %s has no %s record: not a naskah backup member", hdr.Name, paxEntry))
			continue
		}
		if want := fmt.Sprintf("versions/%08d", e.Seq); hdr.Name != want {
			rep.Problems = append(rep.Problems, fmt.Sprintf("member %s says it is number %d", hdr.Name, e.Seq))
		}
		seen[e.Seq] = e
		h := sha256.New()
		n, err := io.Copy(h, tr)
		rep.Bytes += n
		switch {
		case err != nil:
			rep.Problems = append(rep.Problems, fmt.Sprintf("member %s (%s): %v (the file is truncated or damaged)", hdr.Name, e.Key, err))
			return rep, nil
		case e.DeleteMarker:
		case n != e.Size:
			rep.Problems = append(rep.Problems, fmt.Sprintf("member %s (%s version %d): %d bytes, its record says %d", hdr.Name, e.Key, e.Order, n, e.Size))
		case hex.EncodeToString(h.Sum(nil)) != e.SHA256:
			rep.Problems = append(rep.Problems, fmt.Sprintf("member %s (%s version %d): SHA-256 does not match its record: the bytes are damaged", hdr.Name, e.Key, e.Order))
		}
	}
	if man == nil {
		rep.Problems = append(rep.Problems, "no manifest.json: the backup is incomplete (interrupted) or not a naskah backup")
		return rep, nil
	}
	if man.Format != backupFormat {
		rep.Problems = append(rep.Problems, fmt.Sprintf("manifest format %q, want %q", man.Format, backupFormat))
	}
	if int64(len(man.Entries)) != rep.Members {
		rep.Problems = append(rep.Problems, fmt.Sprintf("the manifest lists %d versions, the file holds %d", len(man.Entries), rep.Members))
	}
	for _, me := range man.Entries {
		e, ok := seen[me.Seq]
		if !ok {
			rep.Problems = append(rep.Problems, fmt.Sprintf("manifest entry %d (%s) has no member", me.Seq, me.Key))
		} else if e.Key != me.Key || e.SHA256 != me.SHA256 || e.Size != me.Size {
			rep.Problems = append(rep.Problems, fmt.Sprintf("manifest entry %d (%s) differs from its member's record", me.Seq, me.Key))
		}
	}
	rep.Unreadable = man.Unreadable
	return rep, nil
}

func verifyBackupCommand(file string, out io.Writer) error {
	rep, err := verifyBackup(file)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "%s: %d versions, %d bytes read\n", file, rep.Members, rep.Bytes)
	for _, p := range rep.Problems {
		fmt.Fprintf(out, "damaged: %s\n", p)
	}
	for _, u := range rep.Unreadable {
		fmt.Fprintf(out, "left out when written (unreadable): %s version %s: %s\n", u.Key, u.VersionID, u.Problem)
	}
	switch {
	case len(rep.Problems) > 0:
		return &exitError{code: 1, err: fmt.Errorf("backup %s is damaged: %d problems", file, len(rep.Problems))}
	case len(rep.Unreadable) > 0:
		return &exitError{code: 1, err: fmt.Errorf("backup %s is sound but incomplete: %d versions were unreadable when it was written", file, len(rep.Unreadable))}
	}
	fmt.Fprintln(out, "ok: every member matches its SHA-256 and the manifest")
	return nil
}
