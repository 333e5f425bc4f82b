package minio

import (
	"fmt"
	"net"
	"strings"
	"syscall"
	"testing"

	"github.com/minio/minio-go/v7"

	"github.com/bpom/naskah"
)

// TestMessagesNameNoInternals (issue 14 review): what a user sees of a
// storage error names no endpoint, bucket or object key; the log (the
// error's full text) still does.
func TestMessagesNameNoInternals(t *testing.T) {
	cl, err := minio.New("127.0.0.1:19000", &minio.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s := &Store{bucket: "naskah-bucket", client: cl}
	const key = "agreements/20260101-deadbeef00/record.json"
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: fmt.Errorf("connect: %w", syscall.ECONNREFUSED)}
	for _, c := range []struct {
		name string
		err  error
		code string
	}{
		{"down", s.translate("get", key, refused), naskah.EUNAVAILABLE},
		{"missing", s.translate("get", key, minio.ErrorResponse{Code: "NoSuchKey", StatusCode: 404}), naskah.ENOTFOUND},
		{"conflict", s.translate("put", key, minio.ErrorResponse{Code: "PreconditionFailed", StatusCode: 412}), naskah.ECONFLICT},
		{"retained", s.translate("delete", key, minio.ErrorResponse{Code: "ObjectLocked", StatusCode: 400}), naskah.ERETAINED},
		{"no bucket", s.translate("get", key, minio.ErrorResponse{Code: "NoSuchBucket", StatusCode: 404}), naskah.EUNAVAILABLE},
		{"deleted", fail(naskah.ENOTFOUND, "%s does not exist (deleted)", key), naskah.ENOTFOUND},
	} {
		msg := naskah.ErrorMessage(c.err)
		if naskah.ErrorCode(c.err) != c.code {
			t.Errorf("%s: code %q, want %q", c.name, naskah.ErrorCode(c.err), c.code)
		}
		for _, secret := range []string{"127.0.0.1", "19000", "naskah-bucket", "agreements/", "MinIO", "minio"} {
			if strings.Contains(msg, secret) {
				t.Errorf("%s: the user-facing message %q names %q", c.name, msg, secret)
			}
		}
		if !strings.Contains(msg, " — ") {
			t.Errorf("%s: %q is not Indonesian — English", c.name, msg)
		}
		if !strings.Contains(c.err.Error(), "record.json") {
			t.Errorf("%s: the log text %q lost the key", c.name, c.err.Error())
		}
	}
	if err := s.translate("get", key, refused); !strings.Contains(err.Error(), "127.0.0.1:19000") {
		t.Errorf("the log text of an outage lost the endpoint: %v", err)
	}
}
