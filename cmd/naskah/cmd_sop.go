package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/bpom/naskah"
)

// sopCommand prints processes A, B and C as a table to hold against the SOP.
func sopCommand() namedCommand {
	return namedCommand{"sop", command{
		summary: "print the SOP's processes A, B and C (step, actor, inputs, outputs, HK)",
		run: func(ctx context.Context, args []string, out, errOut io.Writer) error {
			fs := flag.NewFlagSet("sop", flag.ContinueOnError)
			fs.SetOutput(errOut)
			process := fs.String("process", "", "only this process: A, B or C")
			if err := fs.Parse(args); err != nil {
				return &exitError{code: 2}
			}
			p := naskah.Process(strings.ToUpper(*process))
			if p != "" && naskah.FirstStep(p) == "" {
				return &exitError{code: 2, err: fmt.Errorf("unknown process %q: use A, B or C", *process)}
			}
			printSOP(out, p)
			return nil
		},
	}}
}

func printSOP(out io.Writer, only naskah.Process) {
	fmt.Fprintf(out, "SOP %s — Penyusunan Perjanjian Kerja Sama\n", naskah.SOPCode)
	for _, p := range []naskah.Process{naskah.ProcessDomestic, naskah.ProcessForeign, naskah.ProcessMonitoring} {
		if only != "" && p != only {
			continue
		}
		fmt.Fprintf(out, "\n%s. %s\n", p, p.Title())
		tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "STEP\tACTIVITY\tACTOR\tINPUTS\tOUTPUTS\tHK\tDECISION")
		for _, s := range naskah.Steps(p) {
			hk := "-"
			if s.HK > 0 {
				hk = fmt.Sprint(s.HK)
			}
			switch s.ID {
			case naskah.StepDraftReview:
				hk = "5 (UPT) / 10 (pusat)"
			case naskah.StepForeignSigning:
				hk = "tanggal penandatanganan"
			}
			actors := roles(s.Actors)
			switch s.ID {
			case naskah.StepLeadershipApproval:
				actors += " (SESTAMA bila Kepala UPT menandatangani)"
			case naskah.StepPrepareSigning, naskah.StepDelivery:
				actors += " (UPT bila Kepala UPT menandatangani)"
			case naskah.StepForeignSigning:
				actors += " + MITRA"
			}
			if s.ID == naskah.StepDelivery {
				actors += "; tanda tangan: penandatangan + MITRA"
			}
			decision := ""
			if s.Decision() {
				decision = fmt.Sprintf("%s → %s; %s → %s", s.ApproveLabel, s.Next, s.RejectLabel, s.RejectTo)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", s.ID, s.Activity, actors, kinds(s.Inputs), kinds(append(append([]naskah.DocumentKind{}, s.Outputs...), s.Optional...)), hk, decision)
		}
		tw.Flush()
	}
	fmt.Fprintln(out, "\nHK = hari kerja (Senin–Jumat, di luar libur nasional dan cuti bersama). Dokumen opsional ditampilkan bersama keluaran.")
}

func roles(rs []naskah.Role) string {
	s := make([]string, len(rs))
	for i, r := range rs {
		s[i] = string(r)
	}
	return strings.Join(s, "/")
}

func kinds(ks []naskah.DocumentKind) string {
	if len(ks) == 0 {
		return "-"
	}
	s := make([]string, len(ks))
	for i, k := range ks {
		s[i] = k.Title()
	}
	return strings.Join(s, "; ")
}
