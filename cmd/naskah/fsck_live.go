package main

import (
	"context"
	"fmt"
	"io"

	"github.com/bpom/naskah"
)

// openForFsck opens the store for fsck. When naskah serve holds the
// embedded store (its lock), fsck checks a read-only snapshot of it
// instead — taken without the lock, changing nothing — and opens no index
// (serve holds that too; fsck does not need it). -repair writes, so it
// still needs serve stopped.
func openForFsck(ctx context.Context, cfg Config, repair bool, out, errOut io.Writer) (*Main, error) {
	m := &Main{Config: cfg, Out: out}
	err := m.Open(ctx)
	if err == nil {
		return m, nil
	}
	m.Close()
	if naskah.ErrorCode(err) != naskah.ECONFLICT || cfg.MinIO.Endpoint != "" {
		return nil, err
	}
	if repair {
		return nil, &exitError{code: 1, err: fmt.Errorf("naskah serve is using %s: stop it to run fsck -repair (fsck without -repair checks the store while serve runs)", storageName(&cfg))}
	}
	fmt.Fprintf(errOut, "naskah serve sedang memakai penyimpanan ini: memeriksa salinan baca-saja — naskah serve is using this store: checking a read-only snapshot of %s\n", storageName(&cfg))
	m = &Main{Config: cfg, Out: out, ReadOnly: true}
	if err := m.Open(ctx); err != nil {
		m.Close()
		return nil, err
	}
	return m, nil
}
