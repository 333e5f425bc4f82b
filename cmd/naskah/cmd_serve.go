package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/bpom/naskah/pipeline"
)

// configFlags parses the common -config flag and loads the configuration.
func configFlags(name string, args []string, errOut io.Writer, extra func(fs *flag.FlagSet)) (Config, *flag.FlagSet, error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(errOut)
	file := fs.String("config", "", "YAML config file (default $NASKAH_CONFIG)")
	dataDir := fs.String("data", "", "data directory (default $NASKAH_DATA_DIR or ./naskah-data)")
	if extra != nil {
		extra(fs)
	}
	if err := fs.Parse(args); err != nil {
		return Config{}, fs, &exitError{code: 2}
	}
	cfg, err := LoadConfig(*file, os.Getenv)
	if err != nil {
		return cfg, fs, err
	}
	if *dataDir != "" {
		cfg.DataDir = *dataDir
	}
	return cfg, fs, nil
}

func serveCommand() namedCommand {
	return namedCommand{"serve", command{
		summary: "run the service (embedded storage and index unless MinIO / Meilisearch are configured)",
		run: func(ctx context.Context, args []string, out, errOut io.Writer) error {
			var listen string
			cfg, _, err := configFlags("serve", args, errOut, func(fs *flag.FlagSet) {
				fs.StringVar(&listen, "listen", "", "listen address (default $NASKAH_LISTEN or 127.0.0.1:8080)")
			})
			if err != nil {
				return err
			}
			if listen != "" {
				cfg.Listen = listen
			}
			m := &Main{Config: cfg, Out: out}
			defer m.Close()
			if err := m.Run(ctx); err != nil {
				return err
			}
			fmt.Fprintf(out, "Naskah berjalan di http://%s  (Ctrl+C untuk berhenti)\n", m.Addr)
			<-ctx.Done()
			return nil
		},
	}}
}

func fsckCommand() namedCommand {
	return namedCommand{"fsck", command{
		summary: "check every record against storage (exit 1 when a problem is found; -repair applies missing retention and rebuilds a damaged index)",
		run: func(ctx context.Context, args []string, out, errOut io.Writer) error {
			var repair, deep bool
			var rate float64
			cfg, _, err := configFlags("fsck", args, errOut, func(fs *flag.FlagSet) {
				fs.Float64Var(&rate, "rate", 0, "with -deep: read at most this many MB per second (0: no bound), to run beside a busy service")
				fs.BoolVar(&repair, "repair", false, "apply the retention that committed signed texts and CTCs lack")
				fs.BoolVar(&deep, "deep", false, "read every referenced version in full and check its SHA-256 (finds bit rot)")
			})
			if err != nil {
				return err
			}
			m, err := openForFsck(ctx, cfg, repair, out, errOut)
			if err != nil {
				return err
			}
			defer m.Close()
			opts := pipeline.FsckOptions{Repair: repair, Deep: deep, RateMBps: rate}
			var bar *progressbar.ProgressBar
			if deep {
				opts.Progress = func(done, total int) {
					if bar == nil {
						bar = progressbar.NewOptions(total, progressbar.OptionSetWriter(errOut), progressbar.OptionSetDescription("fsck -deep"))
					}
					_ = bar.Set(done)
				}
			}
			start := time.Now()
			rep, err := m.Engine.FsckWith(ctx, opts)
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "%d agreements, %d document versions, %d index updates pending\n", rep.Agreements, rep.Versions, rep.Pending)
			if err := repairIndex(ctx, m, repair, out); err != nil {
				return err
			}
			if deep {
				secs := time.Since(start).Seconds()
				fmt.Fprintf(out, "deep: read %.1f MB in %.1f s (%.1f MB/s)\n", float64(rep.DeepBytes)/1e6, secs, float64(rep.DeepBytes)/1e6/max(secs, 1e-9))
			}
			for _, f := range rep.Findings {
				fmt.Fprintf(out, "%-7s %s %s: %s\n", f.Severity, f.AgreementID, f.Key, f.Problem)
			}
			if !rep.Clean() {
				return &exitError{code: 1, err: fmt.Errorf("problems found")}
			}
			fmt.Fprintln(out, "clean")
			return nil
		},
	}}
}

func reindexCommand() namedCommand {
	return namedCommand{"reindex", command{
		summary: "rebuild the search index from storage (-from-scratch: move the embedded index aside first)",
		run: func(ctx context.Context, args []string, out, errOut io.Writer) error {
			var fromScratch bool
			cfg, _, err := configFlags("reindex", args, errOut, func(fs *flag.FlagSet) {
				fs.BoolVar(&fromScratch, "from-scratch", false, "move the embedded index directory aside (renamed, not deleted) and build a new one")
			})
			if err != nil {
				return err
			}
			m := &Main{Config: cfg, Out: out, FromScratch: fromScratch}
			defer m.Close()
			if err := m.Open(ctx); err != nil {
				return err
			}
			var bar *progressbar.ProgressBar
			n, err := m.Engine.Reindex(ctx, func(done, total int) {
				if bar == nil {
					bar = progressbar.NewOptions(total, progressbar.OptionSetWriter(errOut), progressbar.OptionSetDescription("reindex"))
				}
				_ = bar.Set(done)
			})
			if err != nil {
				return err
			}
			m.rebuilt()
			fmt.Fprintf(out, "\nreindexed %d agreements\n", n)
			return nil
		},
	}}
}

// openMain loads the configuration and opens storage, index and engine for
// an operator command; the caller closes it.
func openMain(ctx context.Context, name string, args []string, out, errOut io.Writer) (*Main, error) {
	cfg, _, err := configFlags(name, args, errOut, nil)
	if err != nil {
		return nil, err
	}
	m := &Main{Config: cfg, Out: out}
	if err := m.Open(ctx); err != nil {
		m.Close()
		return nil, err
	}
	return m, nil
}
