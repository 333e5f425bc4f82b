// Package storage defines Store, the versioned object storage that holds
// agreement records and documents, and the rules every adapter shares: key
// syntax, checksums and retention. Adapters live in subpackages
// (storage/minio, storage/local) and are checked by storage/storagetest.
//
// Retention (the same on every adapter): a version written with RetainUntil
// cannot be removed or changed before that time, by anyone.
//   - Delete with VersionID of a retained version: ERETAINED.
//   - Delete without VersionID (a delete marker) while the latest version is
//     retained: ERETAINED. S3 would allow the marker, but a signed agreement
//     must not disappear from view.
//   - Put on top of a retained latest version: allowed. It adds a version;
//     the retained one stays, readable by its VersionID.
//   - Retain on an existing version sets or extends its retention, never
//     shortens it. Signed texts are written without retention and retained
//     only once the record that references them has committed, so an action
//     that fails leaves nothing undeletable behind.
//
// ETags: an ETag names the latest version for conditional writes. Local
// ETags are unique per version; MinIO ETags are content hashes, so two
// versions with identical bytes share one. Records change on every write
// (history grows), so this does not weaken their conditional updates.
package storage

import (
	"context"
	"io"
	"time"
)

// Store is versioned object storage. All methods are safe for concurrent use
// by multiple goroutines. Every error carries a naskah error code; besides the
// ones listed per method, any method returns EINVALID for a bad key or
// option, EUNAVAILABLE when the backend cannot be reached in time (the call
// is bounded and never hangs; retry later) and EINTERNAL for anything else.
type Store interface {
	// Put writes a new version of key from r and returns its info.
	// opts.Size is the exact length or -1 if unknown (streamed with bounded
	// memory). If opts.SHA256 (lowercase hex) is set and the bytes differ:
	// EINVALID and no version becomes visible; otherwise the SHA-256 is
	// computed and returned. A stream shorter or longer than a known Size:
	// EINVALID. IfMatch: ECONFLICT unless the latest version's ETag equals it
	// (a missing or deleted key is a conflict too, not ENOTFOUND).
	// IfNoneMatch: ECONFLICT if the key has a live latest version. Racing
	// conditional writes on one key: exactly one wins, the others get
	// ECONFLICT. RetainUntil non-zero: the version is retained until then.
	Put(ctx context.Context, key string, r io.Reader, opts PutOptions) (ObjectInfo, error)

	// Get opens the latest version of key, or opts.VersionID. The reader
	// checks the SHA-256 at EOF and fails with EINTERNAL ("checksum
	// mismatch") if the stored bytes changed; close it when done. ENOTFOUND
	// if the key or version does not exist or the latest version is a delete
	// marker (a delete marker asked for by VersionID is ENOTFOUND too).
	Get(ctx context.Context, key string, opts GetOptions) (io.ReadCloser, ObjectInfo, error)

	// Stat returns the info Get would return, without the bytes. ENOTFOUND
	// as for Get.
	Stat(ctx context.Context, key string, opts GetOptions) (ObjectInfo, error)

	// ListVersions returns every version of key, delete markers included
	// (DeleteMarker=true), newest first. ENOTFOUND if the key has none.
	ListVersions(ctx context.Context, key string) ([]ObjectInfo, error)

	// List returns the latest version of every key under prefix whose latest
	// version is not a delete marker, sorted by key. Empty prefix lists all.
	// An empty result is not an error. VersionID, Metadata and SHA256 may
	// be empty in listings (S3's plain listing has no version ids); Stat a
	// key for its full info. ETag is always set.
	List(ctx context.Context, prefix string) ([]ObjectInfo, error)

	// Delete without opts.VersionID adds a delete marker: ENOTFOUND if the key
	// has no live version, ERETAINED if the latest version is retained.
	// With opts.VersionID it removes that version for good: ENOTFOUND if it
	// does not exist, ERETAINED if it is retained.
	Delete(ctx context.Context, key string, opts DeleteOptions) error

	// Retain puts version versionID of key under retention until until
	// (same mode as PutOptions.RetainUntil; the date is kept to the second,
	// rounded up: storage.RetainDate). Setting it on an unretained
	// version or moving it later is allowed, and so is repeating the current
	// date (idempotent); an earlier date than the current one: ERETAINED,
	// nothing changes. ENOTFOUND if the version does not exist or is a
	// delete marker; EINVALID for an empty versionID or a date not in the
	// future.
	Retain(ctx context.Context, key, versionID string, until time.Time) error

	// Close releases the store's resources. Calls after Close fail.
	Close() error
}

// PutOptions configure a Put.
type PutOptions struct {
	Size        int64             // exact length, or -1 if unknown
	ContentType string            // default "application/octet-stream"
	Metadata    map[string]string // user metadata; keys are case-insensitive ASCII
	SHA256      string            // expected lowercase hex SHA-256, or ""
	RetainUntil time.Time         // zero: no retention
	IfMatch     string            // write only if the latest ETag equals this
	IfNoneMatch bool              // write only if the key has no live version
}

// GetOptions select a version; zero value means the latest.
type GetOptions struct {
	VersionID string
}

// DeleteOptions select a version to remove; zero value adds a delete marker.
type DeleteOptions struct {
	VersionID string
}

// ObjectInfo describes one version of an object.
type ObjectInfo struct {
	Key          string
	VersionID    string
	ETag         string
	SHA256       string // lowercase hex
	ContentType  string
	Size         int64
	Metadata     map[string]string // keys canonicalised: lowercase
	LastModified time.Time
	RetainUntil  time.Time // zero: not retained
	IsLatest     bool
	DeleteMarker bool
}

// Retained reports whether the version is under retention at now.
func (o ObjectInfo) Retained(now time.Time) bool {
	return !o.RetainUntil.IsZero() && now.Before(o.RetainUntil)
}

// Presigner is an optional capability of a Store: a time-limited download
// URL for one version, usable without credentials. Check for it with a type
// assertion. ENOTFOUND is not checked; the URL fails when used instead.
type Presigner interface {
	PresignGet(ctx context.Context, key, versionID string, expiry time.Duration) (string, error)
}
