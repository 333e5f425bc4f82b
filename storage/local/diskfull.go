package local

import (
	"errors"
	"syscall"

	"github.com/bpom/naskah"
)

// DiskFullMessage leads the error of a write refused for want of space.
const DiskFullMessage = "ruang disk penyimpanan penuh: kosongkan ruang lalu coba lagi; tidak ada yang tersimpan sebagian — the storage disk is full: free some space and try again; nothing was stored in part"

// writeError is the error of a failed write: EUNAVAILABLE when the disk
// (or the quota) is full — the caller may retry once space is freed, and
// nothing was committed — else EINTERNAL with msg.
func writeError(err error, format string, args ...any) error {
	if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) {
		return naskah.WrapError(naskah.EUNAVAILABLE, err, "%s", DiskFullMessage)
	}
	return naskah.WrapError(naskah.EINTERNAL, err, format, args...)
}
