package minio

import (
	"net/http"
	"testing"

	"github.com/minio/minio-go/v7"

	"github.com/bpom/naskah"
)

// TestTranslateQuorum: MinIO without read or write quorum (its
// SlowDownRead / SlowDownWrite answers, or a bare 503 to a HEAD) is
// EUNAVAILABLE, so the API answers 503 with Retry-After, not 500.
func TestTranslateQuorum(t *testing.T) {
	s := &Store{bucket: "naskah"}
	for _, r := range []minio.ErrorResponse{
		{Code: "SlowDownWrite", StatusCode: http.StatusServiceUnavailable, Message: "Resource requested is unwritable, please reduce your request rate"},
		{Code: "SlowDownRead", StatusCode: http.StatusServiceUnavailable},
		{Code: "XMinioServerNotInitialized", StatusCode: http.StatusServiceUnavailable},
		{Code: "SomethingNew", StatusCode: http.StatusServiceUnavailable},
	} {
		err := s.translate("put", "agreements/x/record.json", r)
		if got := naskah.ErrorCode(err); got != naskah.EUNAVAILABLE {
			t.Errorf("%s: got %q (%v), want %q", r.Code, got, err, naskah.EUNAVAILABLE)
		}
	}
	err := s.translate("get", "k", minio.ErrorResponse{Code: "AccessDenied", StatusCode: http.StatusForbidden, Message: "Access Denied."})
	if got := naskah.ErrorCode(err); got != naskah.EINTERNAL {
		t.Errorf("AccessDenied: got %q, want %q", got, naskah.EINTERNAL)
	}
}
