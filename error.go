package naskah

import (
	"errors"
	"fmt"
	"time"
)

// Error codes: a closed set. Anything else is EINTERNAL, and a user sees
// InternalMessage while the log keeps the detail.
const (
	EINVALID      = "invalid"
	EUNAUTHORIZED = "unauthorized"
	EFORBIDDEN    = "forbidden"
	ENOTFOUND     = "not_found"
	ECONFLICT     = "conflict"
	ERETAINED     = "retained" // an object under retention (object lock) cannot be changed
	ETOOLARGE     = "too_large"
	EUNAVAILABLE  = "unavailable"  // a backend is down, without quorum or saturated: retry later
	ERATELIMITED  = "rate_limited" // too many attempts from this client or for this account: wait
	EINTERNAL     = "internal"
)

// Codes lists every error code, for tables that must cover them all.
var Codes = []string{EINVALID, EUNAUTHORIZED, EFORBIDDEN, ENOTFOUND, ECONFLICT, ERETAINED, ETOOLARGE, EUNAVAILABLE, ERATELIMITED, EINTERNAL}

// InternalMessage is what a user sees for an EINTERNAL error: its own
// message may name buckets, hosts or keys, so it stays in the log.
const InternalMessage = "Terjadi kesalahan internal; rinciannya dicatat di log server — Internal error; the details are in the server log"

// Error is the one error type a user sees. Message says what was wrong and
// what to do; Err keeps the cause for the log.
type Error struct {
	Code    string
	Message string
	Err     error
	// RetryAfter, when positive, is how long the client should wait
	// before retrying (ERATELIMITED, EUNAVAILABLE).
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// WrapError returns an *Error with the code and message that keeps err as
// its cause (shown in logs, never to users).
func WrapError(code string, err error, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Err: err}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL
// for any other non-nil error, and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the user-facing message of err: the message of its
// first *Error, or InternalMessage for an EINTERNAL *Error and for anything
// else. Callers log err itself when they need the detail.
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) && e.Code != EINTERNAL {
		return e.Message
	}
	return InternalMessage
}

// RetryAfter returns the RetryAfter of the first *Error in err's chain
// that sets one, or 0.
func RetryAfter(err error) time.Duration {
	for err != nil {
		if e, ok := err.(*Error); ok && e.RetryAfter > 0 {
			return e.RetryAfter
		}
		err = errors.Unwrap(err)
	}
	return 0
}
