package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/bpom/naskah"
	"github.com/bpom/naskah/pipeline"
)

// naskah fsck runs beside a serve that holds the embedded store: it checks
// a read-only snapshot (finding bit rot with -deep) while serve keeps
// taking uploads; -repair is refused with what to do.
func TestFsckWhileServeRuns(t *testing.T) {
	clearNaskahEnv(t)
	cfg := DefaultConfig()
	cfg.DataDir, cfg.Listen, cfg.LogLevel = t.TempDir(), "127.0.0.1:0", "error"
	populate(t, cfg)
	key, vid := rotVersion(t, cfg)
	m := &Main{Config: cfg, Out: io.Discard}
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer m.Close()

	// serve keeps writing while fsck reads.
	ctx := context.Background()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var writes int
	var werr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			a, err := m.Engine.Initiate(ctx, opsUnit, naskah.Agreement{Title: fmt.Sprintf("Kerja sama fsck %d", i), Kind: naskah.KindMoU, Process: naskah.ProcessDomestic,
				Partner: naskah.Partner{Name: "Universitas Airlangga", Kind: naskah.PartnerAcademia}}, "")
			if err == nil {
				_, err = m.Engine.Upload(ctx, pipeline.Request{Actor: opsUnit, ID: a.ID}, pipeline.Upload{Kind: naskah.DocNotaDinas, FileName: "x.pdf",
					Body: bytes.NewReader(textPDF(fmt.Sprintf("fsckhidup%d", i)))})
			}
			if err != nil {
				werr = err
				return
			}
			writes++
		}
	}()
	out := mustRun(t, 1, "fsck", "-deep", "-data", cfg.DataDir)
	out2 := mustRun(t, 0, "fsck", "-data", cfg.DataDir)
	close(stop)
	wg.Wait()
	if werr != nil {
		t.Fatalf("serve's writes during fsck: %v", werr)
	}
	if !strings.Contains(out, "read-only snapshot") || !strings.Contains(out, key) || !strings.Contains(out, vid) {
		t.Fatalf("fsck -deep beside serve: %s, want a read-only check naming %s %s", out, key, vid)
	}
	if !strings.Contains(out2, "clean") {
		t.Fatalf("fsck beside serve: %s", out2)
	}
	if out := mustRun(t, 1, "fsck", "-repair", "-data", cfg.DataDir); !strings.Contains(out, "stop it to run fsck -repair") {
		t.Fatalf("fsck -repair beside serve: %s", out)
	}
	t.Logf("fsck -deep beside serve found the rotted %s while serve committed %d uploads; first line: %s", key, writes, strings.SplitN(out, "\n", 2)[0])
}
