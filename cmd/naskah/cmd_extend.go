package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/bpom/naskah"
	"github.com/bpom/naskah/pipeline/pdf"
)

// runExtend adds long-term validation data (B-LT) and a document
// timestamp (B-LTA) to the signatures already in a file: ours or others'.
func runExtend(ctx context.Context, args []string, out, errOut io.Writer) error {
	fs := flag.NewFlagSet("extend", flag.ContinueOnError)
	fs.SetOutput(errOut)
	level := fs.String("level", "B-LTA", "B-LT (validation data) or B-LTA (validation data and a document timestamp)")
	tsa := fs.String("tsa", "", "RFC 3161 timestamp authority URL (required for B-LTA)")
	output := fs.String("o", "", "output file (required)")
	rootsFile := fs.String("roots", os.Getenv("NASKAH_TRUST_ROOTS"), "PEM file of trusted roots the signatures and the TSA chain to (default $NASKAH_TRUST_ROOTS)")
	timeout := fs.Duration("timeout", pdf.DefaultSignTimeout, "time limit, TSA, OCSP and CRL requests included")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || *output == "" || *rootsFile == "" {
		return usageError("usage: naskah extend --level B-LT|B-LTA [--tsa URL] --roots ROOTS.pem -o OUT.pdf IN.pdf")
	}
	l, err := pdf.ParseLevel(*level)
	if err != nil {
		return err
	}
	if l != pdf.LevelBLT && l != pdf.LevelBLTA {
		return usageError("naskah extend membuat B-LT atau B-LTA — naskah extend makes B-LT or B-LTA, not %q", *level)
	}
	pemData, err := os.ReadFile(*rootsFile)
	if err != nil {
		return naskah.WrapError(naskah.EINVALID, err, "cannot read the trust roots %s: check the path", *rootsFile)
	}
	roots, err := pdf.LoadRoots(pemData)
	if err != nil {
		return err
	}
	data, err := readInput(pos[0])
	if err != nil {
		return err
	}
	opts := pdf.LTVOptions{Roots: roots, Timeout: *timeout}
	var res []byte
	if l == pdf.LevelBLTA {
		res, err = pdf.AddArchiveTimestamp(ctx, data, *tsa, opts)
	} else {
		res, err = pdf.AddValidationData(ctx, data, opts)
	}
	if err != nil {
		return err
	}
	if err := writeOutput(*output, res); err != nil {
		return err
	}
	fmt.Fprintf(out, "extended to %s: %s (%d bytes added)\n", l, *output, len(res)-len(data))
	return nil
}
