package storage

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/bpom/naskah"
)

// MaxKeyLen is the longest key in bytes, as on S3.
const MaxKeyLen = 1024

// ValidateKey returns an EINVALID error if key cannot name an object: it
// must be non-empty UTF-8 of at most MaxKeyLen bytes, made of "/"-separated
// non-empty segments other than "." and "..", without NUL or backslash.
// The rules are strict so a key means the same thing on every adapter,
// including a file system.
func ValidateKey(key string) error {
	bad := func(why string) error {
		return naskah.Errorf(naskah.EINVALID, "invalid storage key %q: %s", key, why)
	}
	switch {
	case key == "":
		return bad("the key is empty; give a name such as agreements/<id>/record.json")
	case len(key) > MaxKeyLen:
		return bad(fmt.Sprintf("it is %d bytes long; use at most %d", len(key), MaxKeyLen))
	case !utf8.ValidString(key):
		return bad("it is not valid UTF-8")
	case strings.ContainsAny(key, "\x00\\"):
		return bad("it contains a NUL or backslash; use only / to separate names")
	case strings.HasPrefix(key, "/"):
		return bad("it starts with /; keys are relative, e.g. agreements/<id>/record.json")
	}
	for _, seg := range strings.Split(key, "/") {
		switch seg {
		case "":
			return bad("it has an empty segment (// or a trailing /)")
		case ".", "..":
			return bad(fmt.Sprintf("it has a %q segment; keys cannot refer to other locations", seg))
		}
	}
	return nil
}

// ValidatePrefix is ValidateKey for a List prefix: empty is allowed and a
// trailing / is allowed.
func ValidatePrefix(prefix string) error {
	if prefix == "" {
		return nil
	}
	if err := ValidateKey(strings.TrimSuffix(prefix, "/")); err != nil {
		return naskah.WrapError(naskah.EINVALID, err, "invalid list prefix %q; use a key prefix such as agreements/", prefix)
	}
	return nil
}

// ValidatePut checks key and opts as every adapter must before writing.
func ValidatePut(key string, opts PutOptions, now time.Time) error {
	if err := ValidateKey(key); err != nil {
		return err
	}
	if opts.Size < -1 {
		return naskah.Errorf(naskah.EINVALID, "invalid size %d for %s: give the exact length or -1 if unknown", opts.Size, key)
	}
	if opts.SHA256 != "" && !isLowerHex(opts.SHA256, 64) {
		return naskah.Errorf(naskah.EINVALID, "invalid SHA-256 %q for %s: give 64 lowercase hex digits", opts.SHA256, key)
	}
	if opts.IfMatch != "" && opts.IfNoneMatch {
		return naskah.Errorf(naskah.EINVALID, "put %s: IfMatch and IfNoneMatch together can never both hold; use one", key)
	}
	if !opts.RetainUntil.IsZero() && !opts.RetainUntil.After(now) {
		return naskah.Errorf(naskah.EINVALID, "put %s: retention date %s is not in the future", key, opts.RetainUntil.Format(time.RFC3339))
	}
	for k := range opts.Metadata {
		if k == "" || !isToken(k) {
			return naskah.Errorf(naskah.EINVALID, "put %s: metadata name %q must be ASCII letters, digits or -", key, k)
		}
	}
	return nil
}

func isLowerHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

func isToken(s string) bool {
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '-') {
			return false
		}
	}
	return true
}

// ValidateRetain checks the arguments of Store.Retain.
func ValidateRetain(key, versionID string, until, now time.Time) error {
	if err := ValidateKey(key); err != nil {
		return err
	}
	if versionID == "" {
		return naskah.Errorf(naskah.EINVALID, "retain %s: no version given; retention is set on one version", key)
	}
	if !until.After(now) {
		return naskah.Errorf(naskah.EINVALID, "retain %s: retention date %s is not in the future", key, until.Format(time.RFC3339))
	}
	return nil
}

// ShortenError is the refusal of a Retain that would end retention earlier.
func ShortenError(key, versionID string, cur, until time.Time) error {
	return naskah.Errorf(naskah.ERETAINED, "%s version %s is retained until %s; retention cannot be shortened to %s", key, versionID, cur.Format(time.RFC3339), until.Format(time.RFC3339))
}

// RetainDate is the date Retain keeps: until in UTC, rounded up to the
// second (S3 headers carry seconds), so a retention is never shorter than
// asked and repeating a call with the same date is a no-op on every adapter.
func RetainDate(until time.Time) time.Time {
	t := until.UTC().Truncate(time.Second)
	if t.Before(until) {
		t = t.Add(time.Second)
	}
	return t
}
