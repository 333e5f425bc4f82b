//go:build !cgo

package pkcs11_test

import (
	"strings"
	"testing"

	"github.com/bpom/naskah/pipeline/pdf/pkcs11"
)

// TestWithoutCgo: a build that cannot load a PKCS#11 library says so when
// the configuration maps token keys, at start-up rather than at signing.
func TestWithoutCgo(t *testing.T) {
	ps := pkcs11.Config{Module: "/usr/lib/softhsm/libsofthsm2.so", Keys: []pkcs11.Key{{User: "kepala", Token: "t", Label: "k"}}}.Problems()
	if !strings.Contains(strings.Join(ps, "\n"), "built without cgo") {
		t.Fatalf("problems %v, want one saying the build has no cgo", ps)
	}
}
