package pdf

import (
	"crypto/x509"
	"errors"
)

// The indications of ETSI EN 319 102-1 (clause 5.1.3).
const (
	TotalPassed   = "TOTAL_PASSED"
	TotalFailed   = "TOTAL_FAILED"
	Indeterminate = "INDETERMINATE"
)

// indicate records a verdict; the first of the gravest is kept
// (TOTAL_FAILED over INDETERMINATE).
func (sr *SignatureReport) indicate(ind, sub string) {
	if sr.Indication == "" || sr.Indication == Indeterminate && ind == TotalFailed {
		sr.Indication, sr.SubIndication = ind, sub
	}
}

// conclude sets the indication once a signature is checked: what was
// recorded, else TOTAL_PASSED when nothing is wrong, else INDETERMINATE
// SIG_CONSTRAINTS_FAILURE (a problem with no sub-indication of its own,
// such as a /Name naming someone else or an invalid timestamp).
func (sr *SignatureReport) conclude() {
	switch {
	case sr.Indication != "":
	case len(sr.Problems) == 0 && sr.DigestIntact && sr.Trusted:
		sr.Indication = TotalPassed
	default:
		sr.Indication, sr.SubIndication = Indeterminate, "SIG_CONSTRAINTS_FAILURE"
	}
	if sr.Indication != TotalPassed && sr.Indication != "" && len(sr.Problems) == 0 {
		sr.Problems = append(sr.Problems, "the signature is "+sr.Indication+" ("+sr.SubIndication+")")
	}
}

// chainIndication classifies a failed chain check. An expired
// certificate without a proof of existence is OUT_OF_BOUNDS_NO_POE (the
// signature may well have been made in time: not proved, not forged);
// with one, the certificate had expired when the signature existed
// (EXPIRED). Anything else is NO_CERTIFICATE_CHAIN_FOUND.
func chainIndication(err error, poe bool) (string, string) {
	var ie x509.CertificateInvalidError
	if errors.As(err, &ie) {
		switch {
		case ie.Reason == x509.Expired && !poe:
			return Indeterminate, "OUT_OF_BOUNDS_NO_POE"
		case ie.Reason == x509.Expired:
			return TotalFailed, "EXPIRED"
		}
	}
	return Indeterminate, "NO_CERTIFICATE_CHAIN_FOUND"
}
