//go:build !cgo

package pkcs11

import (
	"context"

	"github.com/bpom/naskah"
	"github.com/bpom/naskah/pipeline/pdf"
)

// built: without cgo, no PKCS#11 library can be loaded.
const built = false

// open: a PKCS#11 library is C, loaded through cgo; this build has none.
func open(ctx context.Context, module string, k key, pin string) (*pdf.Signer, func(), error) {
	return nil, nil, naskah.Errorf(naskah.EUNAVAILABLE, "Server ini dibangun tanpa dukungan token PKCS#11 (cgo): tandatangani dengan berkas sertifikat, atau minta administrator memasang versi dengan cgo — This server was built without PKCS#11 token support (cgo): sign with a keystore file, or ask the administrator to install a cgo build")
}
