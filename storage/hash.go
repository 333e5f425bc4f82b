package storage

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"

	"github.com/bpom/naskah"
)

// HashReader computes the SHA-256 of a Put stream and enforces PutOptions:
// if the length or the expected SHA-256 is wrong, the Read that would have
// delivered the last bytes returns the error instead, so a backend never
// sees a complete body and commits nothing.
type HashReader struct {
	r    io.Reader
	h    hash.Hash
	n    int64
	size int64 // -1: unknown
	want string
	key  string
	err  error // sticky: io.EOF after a good end
}

// NewHashReader wraps r for a Put of key with the given size (-1 unknown)
// and expected SHA-256 ("" to only compute it).
func NewHashReader(r io.Reader, key string, size int64, want string) *HashReader {
	return &HashReader{r: r, h: sha256.New(), size: size, want: want, key: key}
}

// NewSizeReader is NewHashReader without hashing, for when the backend
// computes the SHA-256 itself; Sum returns "".
func NewSizeReader(r io.Reader, key string, size int64) *HashReader {
	return &HashReader{r: r, size: size, key: key}
}

func (h *HashReader) Read(p []byte) (int, error) {
	if h.err != nil {
		return 0, h.err
	}
	if h.size >= 0 && int64(len(p)) > h.size-h.n {
		p = p[:h.size-h.n]
	}
	n, err := h.r.Read(p)
	if h.h != nil {
		h.h.Write(p[:n])
	}
	h.n += int64(n)
	if h.size >= 0 && h.n == h.size {
		// Known size reached: probe for excess bytes, then check the sum.
		var b [1]byte
		if m, _ := io.ReadFull(h.r, b[:]); m > 0 {
			h.err = naskah.Errorf(naskah.EINVALID, "put %s: the stream is longer than the declared size %d; send the exact size or -1", h.key, h.size)
			return 0, h.err
		}
		if h.err = h.check(); h.err != nil {
			return 0, h.err
		}
		h.err = io.EOF
		return n, io.EOF
	}
	switch {
	case err == io.EOF && h.size >= 0:
		h.err = naskah.Errorf(naskah.EINVALID, "put %s: the stream ended after %d bytes but the declared size is %d; send the exact size or -1", h.key, h.n, h.size)
		return 0, h.err
	case err == io.EOF:
		if h.err = h.check(); h.err != nil {
			return 0, h.err
		}
		h.err = io.EOF
		return n, io.EOF
	case err != nil:
		h.err = fmt.Errorf("read body of %s: %w", h.key, err)
		return n, h.err
	}
	return n, nil
}

func (h *HashReader) check() error {
	if h.want != "" && h.Sum() != h.want {
		return naskah.Errorf(naskah.EINVALID, "put %s: SHA-256 of the data is %s but %s was expected; the upload was corrupted or the checksum is wrong, upload again", h.key, h.Sum(), h.want)
	}
	return nil
}

// Sum returns the lowercase hex SHA-256 of the bytes read so far.
func (h *HashReader) Sum() string {
	if h.h == nil {
		return ""
	}
	return hex.EncodeToString(h.h.Sum(nil))
}

// N returns the number of bytes read so far.
func (h *HashReader) N() int64 { return h.n }

// Err returns the error that ended the stream, nil if none yet or it ended well.
func (h *HashReader) Err() error {
	if h.err == io.EOF {
		return nil
	}
	return h.err
}

// Done reports whether the stream ended with the right size and checksum.
func (h *HashReader) Done() bool { return h.err == io.EOF }

// VerifyReader returns rc wrapped so that, at EOF, a length other than size
// or a SHA-256 other than want (lowercase hex) is reported as an EINTERNAL
// "checksum mismatch" error instead of io.EOF.
func VerifyReader(rc io.ReadCloser, key, versionID string, size int64, want string) io.ReadCloser {
	return &verifyReader{rc: rc, h: sha256.New(), key: key, vid: versionID, size: size, want: want}
}

type verifyReader struct {
	rc       io.ReadCloser
	h        hash.Hash
	key, vid string
	n, size  int64
	want     string
	err      error
}

func (v *verifyReader) Read(p []byte) (int, error) {
	if v.err != nil {
		return 0, v.err
	}
	n, err := v.rc.Read(p)
	v.h.Write(p[:n])
	v.n += int64(n)
	if err == io.EOF {
		got := hex.EncodeToString(v.h.Sum(nil))
		switch {
		case v.n != v.size:
			err = naskah.Errorf(naskah.EINTERNAL, "checksum mismatch: %s version %s has %d bytes, %d were stored; the stored copy is damaged, restore it from backup", v.key, v.vid, v.n, v.size)
		case got != v.want:
			err = naskah.Errorf(naskah.EINTERNAL, "checksum mismatch: %s version %s has SHA-256 %s, %s was stored; the stored copy is damaged, restore it from backup", v.key, v.vid, got, v.want)
		}
	}
	if err != nil {
		v.err = err
	}
	return n, err
}

func (v *verifyReader) Close() error { return v.rc.Close() }
