package local

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/bpom/naskah"
)

// openReadOnly loads a snapshot of the store as it is on disk, taking no
// lock and changing nothing: naskah fsck uses it while serve holds the
// store. It is safe beside a writer because a version becomes visible
// only when its .meta is renamed into place (after its data), so the
// snapshot holds committed versions only; an upload in progress (tmp/,
// a .data without .meta) is left alone, not cleaned up.
func (s *Store) openReadOnly() (*Store, error) {
	if _, err := os.Stat(filepath.Join(s.dir, "objects")); errors.Is(err, fs.ErrNotExist) {
		return nil, naskah.Errorf(naskah.ENOTFOUND, "local storage: %s holds no store (no objects directory); check the data directory", s.dir)
	}
	if err := s.load(); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Store) checkWritable() error {
	if s.readOnly {
		return naskah.Errorf(naskah.ECONFLICT, "local storage: %s is open read-only (naskah serve holds it): stop serve to change anything", s.dir)
	}
	return nil
}
