// Package minio implements storage.Store on MinIO (or any S3 with
// versioning and object lock) with minio-go.
//
// Checksums: every version's SHA-256 is stored with it and verified on
// read. Where it comes from depends on what is known when the upload starts:
//   - SHA-256 given: user metadata Naskah-Sha256; the client hashes the
//     stream and a mismatch aborts the upload before the server commits it.
//   - known size only: the S3 SHA-256 checksum, computed by minio-go and
//     sent as a trailer; MinIO verifies it and stores it with the object.
//   - neither, up to PartSize: buffered, hashed, sent as one PUT with the
//     metadata.
//   - neither, larger: multipart upload (S3 can only keep a checksum of
//     part checksums for it), then the object tag naskah-sha256 on the
//     version. Until the tag lands Get says EUNAVAILABLE (retry); a crash
//     before it leaves a version Get refuses with EINTERNAL.
//
// Uploads of known size are one streamed PUT (atomic, with conditions
// checked by the server at commit). Uploads of unknown size are multipart
// with PartSize parts, so memory stays bounded (about two parts); conditional
// writes of unknown size must fit in one part (else ETOOLARGE), because
// minio-go sends the conditions only when a multipart upload starts.
package minio

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/minio/minio-go/v7/pkg/tags"

	"github.com/bpom/naskah"
	"github.com/bpom/naskah/storage"
)

var (
	_ storage.Store     = (*Store)(nil)
	_ storage.Presigner = (*Store)(nil)
)

const (
	// DefaultPartSize bounds the memory of an unknown-size upload.
	DefaultPartSize = 16 << 20
	// DefaultTimeout bounds every call except the streaming of bytes.
	DefaultTimeout = 30 * time.Second

	shaMeta = "Naskah-Sha256" // user metadata, canonical header form
	shaTag  = "naskah-sha256"

	// smallSize is how much of an unknown-size stream is buffered to send it
	// as one PUT if it ends there (records do).
	smallSize = 1 << 20

	emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
)

// Config configures a Store.
type Config struct {
	Endpoint  string // host:port
	AccessKey string
	SecretKey string
	Bucket    string
	UseSSL    bool
	Region    string
	PartSize  uint64        // multipart part size for unknown sizes; default DefaultPartSize
	Timeout   time.Duration // per metadata call and per response header; default DefaultTimeout
	Now       func() time.Time
}

// Store is a storage.Store on one MinIO bucket. Safe for concurrent use.
type Store struct {
	client    *minio.Client
	transport *http.Transport
	bucket    string
	partSize  uint64
	timeout   time.Duration
	now       func() time.Time
	bufs      sync.Pool // *[]byte, for unknown-size uploads
}

// New connects to MinIO and makes sure the bucket exists with versioning and
// object lock, creating it if missing. EINVALID for a bad config or a bucket
// without them, EUNAVAILABLE if MinIO cannot be reached within the timeout.
func New(ctx context.Context, cfg Config) (*Store, error) {
	switch {
	case cfg.Endpoint == "":
		return nil, naskah.Errorf(naskah.EINVALID, "minio: no endpoint configured; set it to host:port of the MinIO server")
	case cfg.Bucket == "":
		return nil, naskah.Errorf(naskah.EINVALID, "minio: no bucket configured; set the bucket name")
	case cfg.AccessKey == "" || cfg.SecretKey == "":
		return nil, naskah.Errorf(naskah.EINVALID, "minio: access key and secret key are required")
	}
	if cfg.PartSize == 0 {
		cfg.PartSize = DefaultPartSize
	}
	if cfg.PartSize < 5<<20 {
		return nil, naskah.Errorf(naskah.EINVALID, "minio: part size %d is below the S3 minimum of 5 MiB", cfg.PartSize)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	tr, err := minio.DefaultTransport(cfg.UseSSL)
	if err != nil {
		return nil, naskah.WrapError(naskah.EINTERNAL, err, "minio: cannot build the HTTP transport")
	}
	tr.DialContext = (&net.Dialer{Timeout: min(cfg.Timeout, 5*time.Second), KeepAlive: 30 * time.Second}).DialContext
	tr.ResponseHeaderTimeout = cfg.Timeout
	client, err := minio.New(cfg.Endpoint, &minio.Options{
		Creds:           credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Secure:          cfg.UseSSL,
		Region:          cfg.Region,
		Transport:       tr,
		MaxRetries:      2, // the timeout, not retries, bounds a dead server
		TrailingHeaders: true,
	})
	if err != nil {
		return nil, naskah.WrapError(naskah.EINVALID, err, "minio: invalid endpoint %q; use host:port", cfg.Endpoint)
	}
	s := &Store{client: client, transport: tr, bucket: cfg.Bucket, partSize: cfg.PartSize, timeout: cfg.Timeout, now: cfg.Now}
	s.bufs.New = func() any { b := make([]byte, smallSize); return &b }
	if err := s.ensureBucket(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Store) ensureBucket(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	ok, err := s.client.BucketExists(ctx, s.bucket)
	for err != nil && minio.ToErrorResponse(err).Code == "XMinioServerNotInitialized" && ctx.Err() == nil {
		time.Sleep(100 * time.Millisecond) // MinIO just started
		ok, err = s.client.BucketExists(ctx, s.bucket)
	}
	if err != nil {
		return s.translate("check bucket", s.bucket, err)
	}
	if !ok {
		err := s.client.MakeBucket(ctx, s.bucket, minio.MakeBucketOptions{Region: "", ObjectLocking: true})
		if err != nil && minio.ToErrorResponse(err).Code != "BucketAlreadyOwnedByYou" {
			return s.translate("create bucket", s.bucket, err)
		}
	}
	vc, err := s.client.GetBucketVersioning(ctx, s.bucket)
	if err != nil {
		return s.translate("check versioning of", s.bucket, err)
	}
	lock, _, _, _, err := s.client.GetObjectLockConfig(ctx, s.bucket)
	if err != nil && minio.ToErrorResponse(err).Code != "ObjectLockConfigurationNotFoundError" {
		return s.translate("check object lock of", s.bucket, err)
	}
	if !vc.Enabled() || lock != "Enabled" {
		return naskah.Errorf(naskah.EINVALID, "minio: bucket %s exists without versioning and object lock (versioning %q, object lock %q); object lock can only be enabled when a bucket is created, so configure a new bucket name and naskah will create it, or create it with `mc mb --with-lock`", s.bucket, vc.Status, lock)
	}
	return nil
}

// Put implements storage.Store.
func (s *Store) Put(ctx context.Context, key string, r io.Reader, opts storage.PutOptions) (storage.ObjectInfo, error) {
	if err := storage.ValidatePut(key, opts, s.now()); err != nil {
		return storage.ObjectInfo{}, err
	}
	po := minio.PutObjectOptions{
		ContentType:  opts.ContentType,
		UserMetadata: map[string]string{},
		PartSize:     s.partSize,
	}
	if po.ContentType == "" {
		po.ContentType = "application/octet-stream"
	}
	for k, v := range opts.Metadata {
		po.UserMetadata[strings.ToLower(k)] = v
	}
	if opts.Size == 0 && opts.SHA256 == "" {
		opts.SHA256 = emptySHA256 // minio-go sends no checksum for an empty body
	}
	if opts.SHA256 != "" {
		po.UserMetadata[shaMeta] = opts.SHA256
	}
	if !opts.RetainUntil.IsZero() {
		po.Mode = minio.Compliance
		po.RetainUntilDate = opts.RetainUntil.UTC()
	}
	conditional := opts.IfMatch != "" || opts.IfNoneMatch
	if opts.IfMatch != "" {
		po.SetMatchETag(opts.IfMatch)
	}
	if opts.IfNoneMatch {
		po.SetMatchETagExcept("*")
	}
	var (
		hr   *storage.HashReader
		body io.Reader
		size = opts.Size
	)
	switch {
	case size >= 0 && opts.SHA256 != "":
		hr = storage.NewHashReader(r, key, size, opts.SHA256)
		body, po.DisableMultipart = hr, true
	case size >= 0 && (size <= int64(s.partSize) || conditional):
		// One streamed PUT; MinIO stores the SHA-256 it verified from the
		// trailer, atomically with the object.
		hr = storage.NewSizeReader(r, key, size)
		body, po.DisableMultipart, po.Checksum = hr, true, minio.ChecksumSHA256
	case size >= 0:
		// Large: parallel multipart as minio-go does best, SHA-256 as a tag.
		hr = storage.NewHashReader(r, key, size, "")
		body = hr
	default:
		hr = storage.NewHashReader(r, key, size, opts.SHA256)
		limit := smallSize
		if conditional {
			limit = int(s.partSize)
		}
		bp := s.bufs.Get().(*[]byte)
		defer s.bufs.Put(bp)
		if cap(*bp) < limit {
			*bp = make([]byte, limit)
		}
		n, err := io.ReadFull(hr, (*bp)[:limit])
		switch {
		case err == io.EOF || err == io.ErrUnexpectedEOF:
			// It fits in one part: one PUT with the SHA-256 as metadata.
			po.UserMetadata[shaMeta] = hr.Sum()
			body, size, po.DisableMultipart = bytes.NewReader((*bp)[:n]), int64(n), true
		case err != nil:
			return storage.ObjectInfo{}, fmt.Errorf("minio: put %s: %w", key, err)
		case conditional:
			return storage.ObjectInfo{}, fail(naskah.ETOOLARGE, "put %s: conditional writes of unknown size are limited to %d bytes; pass the exact size", key, s.partSize)
		default:
			body = io.MultiReader(bytes.NewReader((*bp)[:n]), hr)
		}
	}
	if size == 0 {
		// minio-go never reads an empty body; check here it is empty.
		if _, err := hr.Read(make([]byte, 1)); err != io.EOF {
			return storage.ObjectInfo{}, fmt.Errorf("minio: put %s: %w", key, err)
		}
	}
	up, err := s.client.PutObject(ctx, s.bucket, key, body, size, po)
	if err != nil {
		// The body's own error (wrong size or checksum) explains more than
		// the upload's.
		if herr := hr.Err(); herr != nil {
			err = herr
		}
		if opts.IfMatch != "" && minio.ToErrorResponse(err).Code == "NoSuchKey" {
			return storage.ObjectInfo{}, naskah.WrapError(naskah.ECONFLICT, fmt.Errorf("minio: put %s: it no longer exists, so ETag %s does not match: %w", key, opts.IfMatch, err), "%s", publicMessage[naskah.ECONFLICT])
		}
		return storage.ObjectInfo{}, s.translate("put", key, err)
	}
	if !hr.Done() {
		return storage.ObjectInfo{}, naskah.Errorf(naskah.EINTERNAL, "minio: put %s: upload finished before the stream ended", key)
	}
	sum := hr.Sum()
	if po.Checksum == minio.ChecksumSHA256 {
		if sum = fullSHA256(up.ChecksumSHA256); sum == "" {
			return storage.ObjectInfo{}, naskah.Errorf(naskah.EINTERNAL, "minio: put %s: the server returned no SHA-256 checksum (got %q); it must support S3 checksums", key, up.ChecksumSHA256)
		}
	}
	if po.UserMetadata[shaMeta] == "" && po.Checksum != minio.ChecksumSHA256 {
		tctx, cancel := context.WithTimeout(ctx, s.timeout)
		defer cancel()
		t, _ := tags.MapToObjectTags(map[string]string{shaTag: sum})
		if err := s.client.PutObjectTagging(tctx, s.bucket, key, t, minio.PutObjectTaggingOptions{VersionID: up.VersionID}); err != nil {
			return storage.ObjectInfo{}, s.translate("record checksum of", key, err)
		}
	}
	md := map[string]string{}
	for k, v := range opts.Metadata {
		md[strings.ToLower(k)] = v
	}
	if len(md) == 0 {
		md = nil
	}
	return storage.ObjectInfo{
		Key: key, VersionID: up.VersionID, ETag: up.ETag, SHA256: sum,
		ContentType: po.ContentType, Size: hr.N(), Metadata: md,
		LastModified: up.LastModified, RetainUntil: po.RetainUntilDate, IsLatest: true,
	}, nil
}

// Get implements storage.Store. The metadata round trips are bounded by the
// timeout; reading the body is bounded by ctx.
func (s *Store) Get(ctx context.Context, key string, opts storage.GetOptions) (io.ReadCloser, storage.ObjectInfo, error) {
	info, err := s.Stat(ctx, key, opts)
	if err != nil {
		return nil, storage.ObjectInfo{}, err
	}
	if info.SHA256 == "" {
		// A large upload of unknown size records its SHA-256 as a tag just
		// after it completes; a missing tag on an old version means that
		// step never happened.
		if s.now().Sub(info.LastModified) < 2*s.timeout {
			return nil, storage.ObjectInfo{}, fail(naskah.EUNAVAILABLE, "get %s: version %s is still being recorded; retry in a few seconds", key, info.VersionID)
		}
		return nil, storage.ObjectInfo{}, naskah.Errorf(naskah.EINTERNAL, "minio: get %s: no checksum recorded for version %s (its upload was interrupted); upload the document again", key, info.VersionID)
	}
	obj, err := s.client.GetObject(ctx, s.bucket, key, minio.GetObjectOptions{VersionID: info.VersionID})
	if err != nil {
		return nil, storage.ObjectInfo{}, s.translate("get", key, err)
	}
	return storage.VerifyReader(objReader{obj, s, key}, key, info.VersionID, info.Size, info.SHA256), info, nil
}

// objReader translates errors met while streaming a body.
type objReader struct {
	obj *minio.Object
	s   *Store
	key string
}

func (o objReader) Read(p []byte) (int, error) {
	n, err := o.obj.Read(p)
	if err != nil && err != io.EOF {
		err = o.s.translate("read", o.key, err)
	}
	return n, err
}

func (o objReader) Close() error { return o.obj.Close() }

// Stat implements storage.Store.
func (s *Store) Stat(ctx context.Context, key string, opts storage.GetOptions) (storage.ObjectInfo, error) {
	if err := storage.ValidateKey(key); err != nil {
		return storage.ObjectInfo{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	oi, err := s.client.StatObject(ctx, s.bucket, key, minio.StatObjectOptions{VersionID: opts.VersionID, Checksum: true})
	if err != nil {
		return storage.ObjectInfo{}, s.translate("stat", key, err)
	}
	if oi.IsDeleteMarker {
		return storage.ObjectInfo{}, fail(naskah.ENOTFOUND, "%s does not exist (deleted)", key)
	}
	info := s.info(key, oi)
	if info.SHA256 == "" && oi.UserTagCount > 0 {
		t, err := s.client.GetObjectTagging(ctx, s.bucket, key, minio.GetObjectTaggingOptions{VersionID: oi.VersionID})
		if err != nil {
			return storage.ObjectInfo{}, s.translate("stat", key, err)
		}
		info.SHA256 = t.ToMap()[shaTag]
	}
	if opts.VersionID != "" {
		// HEAD of a version does not say whether it is the latest.
		latest, err := s.client.StatObject(ctx, s.bucket, key, minio.StatObjectOptions{})
		info.IsLatest = err == nil && latest.VersionID == info.VersionID
	}
	return info, nil
}

// fullSHA256 turns an S3 SHA-256 checksum (base64) into lowercase hex, or
// "" if it is missing or a multipart checksum of checksums ("…-N").
func fullSHA256(b64 string) string {
	b, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(b) != sha256.Size {
		return ""
	}
	return hex.EncodeToString(b)
}

func (s *Store) info(key string, oi minio.ObjectInfo) storage.ObjectInfo {
	info := storage.ObjectInfo{
		Key: key, VersionID: oi.VersionID, ETag: oi.ETag, ContentType: oi.ContentType,
		Size: oi.Size, LastModified: oi.LastModified, IsLatest: true,
	}
	for k, v := range oi.UserMetadata {
		if strings.EqualFold(k, shaMeta) {
			info.SHA256 = v
			continue
		}
		if info.Metadata == nil {
			info.Metadata = map[string]string{}
		}
		info.Metadata[strings.ToLower(k)] = v
	}
	if info.SHA256 == "" {
		info.SHA256 = fullSHA256(oi.ChecksumSHA256)
	}
	if t := oi.Metadata.Get("X-Amz-Object-Lock-Retain-Until-Date"); t != "" {
		info.RetainUntil, _ = time.Parse(time.RFC3339, t)
	}
	return info
}

// ListVersions implements storage.Store.
func (s *Store) ListVersions(ctx context.Context, key string) ([]storage.ObjectInfo, error) {
	if err := storage.ValidateKey(key); err != nil {
		return nil, err
	}
	all, err := s.listVersions(ctx, key)
	if err != nil {
		return nil, err
	}
	var out []storage.ObjectInfo
	for _, o := range all {
		if o.Key == key {
			out = append(out, o)
		}
	}
	if len(out) == 0 {
		return nil, fail(naskah.ENOTFOUND, "%s has no versions", key)
	}
	return out, nil
}

// listVersions lists every version under prefix, as S3 orders them: by key,
// then newest first.
func (s *Store) listVersions(ctx context.Context, prefix string) ([]storage.ObjectInfo, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	var out []storage.ObjectInfo
	for oi := range s.client.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: prefix, Recursive: true, WithVersions: true}) {
		if oi.Err != nil {
			return nil, s.translate("list", prefix, oi.Err)
		}
		out = append(out, storage.ObjectInfo{
			Key: oi.Key, VersionID: oi.VersionID, ETag: oi.ETag, Size: oi.Size,
			LastModified: oi.LastModified, IsLatest: oi.IsLatest, DeleteMarker: oi.IsDeleteMarker,
		})
	}
	return out, nil
}

// List implements storage.Store. It lists current objects only (S3 skips
// keys whose latest version is a delete marker), so its cost does not grow
// with each key's history; such listings carry no VersionID.
func (s *Store) List(ctx context.Context, prefix string) ([]storage.ObjectInfo, error) {
	if err := storage.ValidatePrefix(prefix); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	var out []storage.ObjectInfo
	for oi := range s.client.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: prefix, Recursive: true}) {
		if oi.Err != nil {
			return nil, s.translate("list", prefix, oi.Err)
		}
		out = append(out, storage.ObjectInfo{Key: oi.Key, VersionID: oi.VersionID, ETag: oi.ETag, Size: oi.Size,
			LastModified: oi.LastModified, IsLatest: true})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

// Delete implements storage.Store. Refusing a delete marker over a retained
// latest version needs a HEAD first; a retained version put between the two
// calls could still be hidden (never removed) by the marker.
func (s *Store) Delete(ctx context.Context, key string, opts storage.DeleteOptions) error {
	if err := storage.ValidateKey(key); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	oi, err := s.client.StatObject(ctx, s.bucket, key, minio.StatObjectOptions{VersionID: opts.VersionID})
	marker := err != nil && isDeleteMarker(err)
	switch {
	case err != nil && !(marker && opts.VersionID != ""):
		if marker {
			return fail(naskah.ENOTFOUND, "%s does not exist (already deleted)", key)
		}
		return s.translate("delete", key, err)
	case err == nil && s.info(key, oi).Retained(s.now()):
		if opts.VersionID == "" {
			return fail(naskah.ERETAINED, "%s is retained until %s and cannot be deleted before then", key, s.info(key, oi).RetainUntil.Format(time.RFC3339))
		}
		return fail(naskah.ERETAINED, "%s version %s is retained until %s and cannot be deleted before then", key, opts.VersionID, s.info(key, oi).RetainUntil.Format(time.RFC3339))
	}
	if err := s.client.RemoveObject(ctx, s.bucket, key, minio.RemoveObjectOptions{VersionID: opts.VersionID}); err != nil {
		return s.translate("delete", key, err)
	}
	return nil
}

// Retain implements storage.Store with PutObjectRetention in COMPLIANCE
// mode, the mode Put uses. The HEAD first gives ENOTFOUND for a missing
// version or a delete marker and refuses shortening with a clear message
// (MinIO would refuse it too, in compliance mode, with AccessDenied).
func (s *Store) Retain(ctx context.Context, key, versionID string, until time.Time) error {
	if err := storage.ValidateRetain(key, versionID, until, s.now()); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	oi, err := s.client.StatObject(ctx, s.bucket, key, minio.StatObjectOptions{VersionID: versionID})
	if err != nil {
		if isDeleteMarker(err) {
			return fail(naskah.ENOTFOUND, "%s version %s is a delete marker, not a document", key, versionID)
		}
		return s.translate("retain", key, err)
	}
	if oi.IsDeleteMarker {
		return fail(naskah.ENOTFOUND, "%s version %s is a delete marker, not a document", key, versionID)
	}
	until = storage.RetainDate(until)
	cur := s.info(key, oi).RetainUntil
	switch {
	case !cur.IsZero() && until.Equal(cur):
		return nil
	case until.Before(cur):
		return storage.ShortenError(key, versionID, cur, until)
	}
	mode := minio.Compliance
	err = s.client.PutObjectRetention(ctx, s.bucket, key, minio.PutObjectRetentionOptions{Mode: &mode, RetainUntilDate: &until, VersionID: versionID})
	return s.translate("retain", key, err)
}

func isDeleteMarker(err error) bool {
	r := minio.ToErrorResponse(err)
	return r.Code == "MethodNotAllowed" || r.Server == "" && r.StatusCode == http.StatusMethodNotAllowed
}

// PresignGet implements storage.Presigner. The URL is signed locally.
func (s *Store) PresignGet(ctx context.Context, key, versionID string, expiry time.Duration) (string, error) {
	if err := storage.ValidateKey(key); err != nil {
		return "", err
	}
	q := url.Values{}
	if versionID != "" {
		q.Set("versionId", versionID)
	}
	u, err := s.client.PresignedGetObject(ctx, s.bucket, key, expiry, q)
	if err != nil {
		return "", s.translate("presign", key, err)
	}
	return u.String(), nil
}

// Close releases idle connections.
func (s *Store) Close() error {
	s.transport.CloseIdleConnections()
	return nil
}

// translate gives err a naskah code: MinIO's error code first, then network
// errors and timeouts, else EINTERNAL.
func (s *Store) translate(op, key string, err error) error {
	if err == nil {
		return nil
	}
	var ne *naskah.Error
	if errors.As(err, &ne) {
		return fmt.Errorf("minio: %s %s: %w", op, key, err)
	}
	code, msg := naskah.EINTERNAL, "unexpected error from MinIO; see the log"
	r := minio.ToErrorResponse(err)
	switch r.Code {
	case "NoSuchKey", "NoSuchVersion", "NoSuchObject":
		code, msg = naskah.ENOTFOUND, key+" does not exist"
	case "InvalidArgument":
		if strings.Contains(strings.ToLower(r.Message), "version") {
			code, msg = naskah.ENOTFOUND, key+" has no such version"
		}
	case "PreconditionFailed":
		code, msg = naskah.ECONFLICT, key+" was changed by someone else (or already exists); reload and retry"
	case "ObjectLocked", "InvalidRetentionPeriod":
		code, msg = naskah.ERETAINED, key+" is under retention and cannot be changed"
	case "AccessDenied":
		if strings.Contains(strings.ToLower(r.Message), "worm") || strings.Contains(strings.ToLower(r.Message), "retention") || strings.Contains(strings.ToLower(r.Message), "lock") {
			code, msg = naskah.ERETAINED, key+" is under retention and cannot be changed"
		} else {
			code, msg = naskah.EINTERNAL, "MinIO refused access; check the access key's permissions on bucket "+s.bucket
		}
	case "NoSuchBucket":
		code, msg = naskah.EUNAVAILABLE, "bucket "+s.bucket+" does not exist; restart naskah to create it"
	case "XAmzContentChecksumMismatch", "BadDigest", "XAmzContentSHA256Mismatch", "IncompleteBody":
		code, msg = naskah.EINVALID, "the upload of "+key+" was corrupted in transit; upload again"
	case "EntityTooLarge":
		code, msg = naskah.ETOOLARGE, key+" is larger than the server accepts"
	case "SlowDownRead", "SlowDownWrite", "XMinioReadQuorum", "XMinioWriteQuorum", "XMinioAdminConfigNoQuorum":
		// MinIO answers a lost read or write quorum (too many drives or
		// nodes down) with SlowDownRead / SlowDownWrite.
		code, msg = naskah.EUNAVAILABLE, "MinIO has too few drives or nodes online (no quorum); retry later"
	case "SlowDown", "ServiceUnavailable", "XMinioServerNotInitialized", "RequestTimeout", "InternalError", "XMinioStorageFull":
		code, msg = naskah.EUNAVAILABLE, "MinIO is busy or not ready; retry later"
	case "":
		var nerr net.Error
		switch {
		case errors.Is(err, context.DeadlineExceeded), errors.As(err, &nerr), errors.Is(err, syscall.ECONNREFUSED),
			errors.Is(err, syscall.ECONNRESET), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.EPIPE):
			code, msg = naskah.EUNAVAILABLE, "MinIO at "+s.client.EndpointURL().Host+" cannot be reached or did not answer in time; check that it is running, then retry"
		case errors.Is(err, context.Canceled):
			code, msg = naskah.EUNAVAILABLE, "the request was cancelled"
		}
	}
	if code == naskah.EINTERNAL && r.StatusCode == http.StatusServiceUnavailable {
		// A HEAD has no body to name the code: 503 is MinIO without quorum or not ready.
		code, msg = naskah.EUNAVAILABLE, "MinIO is busy, not ready or without quorum; retry later"
	}
	if code == naskah.EINTERNAL && strings.Contains(strings.ToLower(r.Message), "worm protected") {
		// MinIO's object-lock refusal, whatever code it comes with.
		code, msg = naskah.ERETAINED, key+" is under retention and cannot be changed"
	}
	// The user sees only the code's generic message; what happened to
	// which key on which server stays in the cause, for the log.
	public := publicMessage[code]
	if public == "" {
		public = msg // EINTERNAL: ErrorMessage shows naskah.InternalMessage
	}
	return naskah.WrapError(code, fmt.Errorf("minio: %s %s: %s: %w", op, key, msg, err), "%s", public)
}

// publicMessage is what a user sees for a storage error of each code:
// never an endpoint, a bucket or an object key (those are in the cause).
var publicMessage = map[string]string{
	naskah.EUNAVAILABLE: "Penyimpanan sementara tidak tersedia: coba lagi sebentar lagi — Storage is temporarily unavailable: try again shortly",
	naskah.ENOTFOUND:    "Data yang diminta tidak ada di penyimpanan — The requested data does not exist in storage",
	naskah.ECONFLICT:    "Data ini baru saja diubah oleh permintaan lain: muat ulang lalu coba lagi — This data was just changed by another request: reload and try again",
	naskah.ERETAINED:    "Dokumen ini dalam masa retensi dan tidak dapat diubah atau dihapus — This document is under retention and cannot be changed or deleted",
	naskah.EINVALID:     "Unggahan rusak dalam perjalanan: unggah lagi — The upload was corrupted in transit: upload again",
	naskah.ETOOLARGE:    "Berkas lebih besar daripada yang diterima penyimpanan — The file is larger than storage accepts",
}

// fail is a storage error of code whose detail (keys, versions, dates)
// goes to the cause only.
func fail(code, format string, args ...any) *naskah.Error {
	return naskah.WrapError(code, fmt.Errorf("minio: "+format, args...), "%s", publicMessage[code])
}
