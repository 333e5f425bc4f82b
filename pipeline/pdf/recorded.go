package pdf

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
)

// certFingerprint is the SHA-256 of a certificate's DER, lowercase hex: the
// key of VerifyOptions.SignedAt.
func certFingerprint(c *x509.Certificate) string {
	s := sha256.Sum256(c.Raw)
	return hex.EncodeToString(s[:])
}
