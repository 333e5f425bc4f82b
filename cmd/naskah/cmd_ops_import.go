package main

import (
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/bpom/naskah"
	"github.com/bpom/naskah/pipeline"
)

// importColumns are the CSV columns naskah import reads (header row
// required, any order, unknown columns refused so a typo is not silently
// ignored). The first six are required on every row.
var importColumns = []struct{ name, help string }{
	{"file", "PDF file name, relative to --dir (required)"},
	{"title", "title of the agreement (required)"},
	{"kind", "mou, pks (domestic); mou, agreement, arrangement, loi, rod, mom, other (foreign) (required)"},
	{"partner_name", "the partner (mitra) (required)"},
	{"partner_kind", "business, government, international, society or academia (required)"},
	{"unit", "the owning central unit or UPT (required)"},
	{"scope", "domestic (default) or foreign"},
	{"partner_country", "ISO 3166 alpha-2; required for foreign agreements"},
	{"number", "nomor naskah"},
	{"signatory", "KEPALA, MADYA, PRATAMA or KEPALA_UPT"},
	{"signed_at", "YYYY-MM-DD (Asia/Jakarta)"},
	{"valid_from", "YYYY-MM-DD"},
	{"valid_until", "YYYY-MM-DD"},
}

// importOutcome is what happened to one CSV row.
type importOutcome struct {
	Line   int
	File   string
	Status string // imported, skipped, refused
	ID     string
	Reason string
	Signed bool
}

func importCommand() namedCommand {
	return namedCommand{"import", command{
		summary: "bulk-import signed PDFs with a CSV of their metadata (verified; refused rows reported)",
		run: func(ctx context.Context, args []string, out, errOut io.Writer) error {
			var csvFile, dir, as string
			cfg, fs, err := configFlags("import", args, errOut, func(fs *flag.FlagSet) {
				fs.StringVar(&csvFile, "csv", "", "CSV file of metadata, one row per PDF (required)")
				fs.StringVar(&dir, "dir", ".", "directory the CSV's file column is relative to")
				fs.StringVar(&as, "as", "import", "user name recorded in the audit trail (role ADMIN)")
				fs.Usage = func() {
					fmt.Fprint(fs.Output(), `usage: naskah import --csv FILE [--dir PDFDIR] [-as USER] [-config FILE] [-data DIR]

Imports agreements signed before Naskah: each row's PDF is inspected with
the configured limits (NASKAH_MAX_UPLOAD_MB, NASKAH_MAX_PAGES) and becomes
a completed agreement (step DONE) whose signed text is that PDF, stored
byte for byte under retention (NASKAH_ARCHIVE_YEARS), audited as "import"
and indexed for search.

  - A PDF with digital signatures must verify against the trust roots
    (NASKAH_TRUST_ROOTS): intact, trusted, nothing changed after the last
    signature. Otherwise the row is REFUSED.
  - A PDF without signatures (a scan of a paper original) is imported with
    a WARNING in the report.
  - Broken, truncated, encrypted, empty, oversized or missing files, and
    rows with invalid metadata, are REFUSED with the reason.
  - The agreement id is imp-<first 24 hex digits of the file's SHA-256>:
    running the import again SKIPS what is already there.

The report lists every refused row (line, file, reason); the exit status is
1 when any row was refused, 0 otherwise.

CSV columns (header row required, any order):
`)
					for _, c := range importColumns {
						fmt.Fprintf(fs.Output(), "  %-16s %s\n", c.name, c.help)
					}
					fmt.Fprintln(fs.Output(), "\nflags:")
					fs.PrintDefaults()
				}
			})
			if err != nil {
				return err
			}
			if csvFile == "" {
				fs.Usage()
				return &exitError{code: 2, err: errors.New("--csv FILE is required")}
			}
			rows, err := readImportCSV(csvFile)
			if err != nil {
				return &exitError{code: 2, err: err}
			}
			m := &Main{Config: cfg, Out: out}
			defer m.Close()
			if err := m.Open(ctx); err != nil {
				return err
			}
			actor := naskah.Actor{User: as, Name: "naskah import", Role: naskah.RoleAdmin}
			bar := progressbar.NewOptions(len(rows), progressbar.OptionSetWriter(errOut), progressbar.OptionSetDescription("import"), progressbar.OptionShowCount())
			var res []importOutcome
			for _, r := range rows {
				if err := ctx.Err(); err != nil {
					return err
				}
				o := importRow(ctx, m.Engine, actor, dir, r, m.Config.MaxUploadMB)
				if o.Status == "aborted" {
					// Storage is down: every further row would fail the same way.
					_ = printImportReport(out, res)
					return fmt.Errorf("stopped at line %d (%s): %s; rerun the same command when storage is back (imported rows are skipped)", o.Line, o.File, o.Reason)
				}
				res = append(res, o)
				_ = bar.Add(1)
			}
			// Index now: no worker runs in a command, and the queued updates
			// would otherwise wait for the next serve.
			if _, err := m.Engine.DrainOutbox(ctx); err != nil {
				fmt.Fprintf(errOut, "\nwarning: the search index was not updated (%v): run naskah reindex\n", err)
			}
			return printImportReport(out, res)
		},
	}}
}

type importRowData struct {
	line   int
	fields map[string]string
}

func readImportCSV(file string) ([]importRowData, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, fmt.Errorf("csv: %w", err)
	}
	defer f.Close()
	cr := csv.NewReader(f)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("csv %s: no header row: %w", file, err)
	}
	known := map[string]bool{}
	for _, c := range importColumns {
		known[c.name] = true
	}
	for i, h := range header {
		header[i] = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		if !known[header[i]] {
			return nil, fmt.Errorf("csv %s: unknown column %q: see naskah import -h for the columns", file, h)
		}
	}
	for _, req := range importColumns[:6] {
		if !contains(header, req.name) {
			return nil, fmt.Errorf("csv %s: the column %q is missing", file, req.name)
		}
	}
	var rows []importRowData
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("csv %s: %w", file, err)
		}
		line, _ := cr.FieldPos(0)
		r := importRowData{line: line, fields: map[string]string{}}
		for i, v := range rec {
			if i < len(header) {
				r.fields[header[i]] = strings.TrimSpace(v)
			}
		}
		if strings.Join(rec, "") == "" {
			continue
		}
		rows = append(rows, r)
	}
	return rows, nil
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// importRow imports one row; every failure becomes a refusal with its reason.
func importRow(ctx context.Context, e *pipeline.Engine, actor naskah.Actor, dir string, r importRowData, maxMB int) importOutcome {
	f := r.fields
	o := importOutcome{Line: r.line, File: f["file"], Status: "refused"}
	a, err := rowAgreement(f)
	if err != nil {
		o.Reason = err.Error()
		return o
	}
	path, ok := within(dir, f["file"])
	if !ok {
		o.Reason = "the file name must be relative to --dir and stay inside it"
		return o
	}
	data, err := readFileLimited(path, int64(maxMB)<<20)
	if err != nil {
		o.Reason = err.Error()
		return o
	}
	got, err := e.Import(ctx, actor, a, data)
	switch {
	case err == nil:
		o.Status, o.ID = "imported", got.ID
	case naskah.ErrorCode(err) == naskah.ECONFLICT && got != nil:
		o.Status, o.ID = "skipped", got.ID
	case naskah.ErrorCode(err) == naskah.EUNAVAILABLE:
		o.Reason, o.Status = err.Error(), "aborted"
		return o
	case naskah.ErrorCode(err) == naskah.EINTERNAL:
		o.Reason = err.Error()
		return o
	default:
		o.Reason = naskah.ErrorMessage(err)
		return o
	}
	if d := got.Latest(naskah.DocSigned); d != nil {
		o.Signed = len(d.Signers) > 0
	}
	return o
}

func rowAgreement(f map[string]string) (naskah.Agreement, error) {
	var problems []string
	for _, c := range importColumns[:6] {
		if f[c.name] == "" {
			problems = append(problems, c.name+" is empty")
		}
	}
	a := naskah.Agreement{Title: f["title"], Kind: naskah.AgreementKind(strings.ToLower(f["kind"])), Scope: naskah.Scope(strings.ToLower(f["scope"])),
		Partner: naskah.Partner{Name: f["partner_name"], Kind: naskah.PartnerKind(strings.ToLower(f["partner_kind"])), Country: strings.ToUpper(f["partner_country"])},
		Unit:    f["unit"], Number: f["number"], Signatory: naskah.Signatory(strings.ToUpper(f["signatory"]))}
	if a.Scope == naskah.ScopeDomestic && a.Partner.Country == "" {
		a.Partner.Country = "ID"
	}
	for _, d := range []struct {
		col string
		to  **time.Time
	}{{"signed_at", &a.SignedAt}, {"valid_from", &a.ValidFrom}, {"valid_until", &a.ValidUntil}} {
		if v := f[d.col]; v != "" {
			t, err := time.ParseInLocation("2006-01-02", v, naskah.Jakarta)
			if err != nil {
				problems = append(problems, fmt.Sprintf("%s %q is not a date YYYY-MM-DD", d.col, v))
				continue
			}
			*d.to = &t
		}
	}
	if len(problems) > 0 {
		return a, errors.New(strings.Join(problems, "; "))
	}
	return a, nil
}

// readFileLimited reads a PDF, refusing one over the upload limit before
// reading it whole.
func readFileLimited(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("the file does not exist")
		}
		return nil, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && max > 0 && fi.Size() > max {
		return nil, fmt.Errorf("the file is %d MB, more than the %d MB limit (NASKAH_MAX_UPLOAD_MB)", fi.Size()>>20, max>>20)
	}
	return io.ReadAll(f)
}

func printImportReport(out io.Writer, res []importOutcome) error {
	var imported, skipped, unsigned, refused int
	for _, o := range res {
		switch o.Status {
		case "imported":
			imported++
		case "skipped":
			skipped++
		case "refused":
			refused++
		}
		if o.Status != "refused" && !o.Signed {
			unsigned++
		}
	}
	fmt.Fprintf(out, "\nimport: %d rows, %d imported, %d skipped (imported before), %d refused\n", len(res), imported, skipped, refused)
	for _, o := range res {
		switch {
		case o.Status == "refused":
			fmt.Fprintf(out, "REFUSED  line %d  %s: %s\n", o.Line, o.File, o.Reason)
		case o.Status == "imported" && !o.Signed:
			fmt.Fprintf(out, "WARNING  line %d  %s: no digital signature (imported as a scan) → %s\n", o.Line, o.File, o.ID)
		}
	}
	if refused > 0 {
		return &exitError{code: 1, err: fmt.Errorf("%d of %d rows refused", refused, len(res))}
	}
	return nil
}
