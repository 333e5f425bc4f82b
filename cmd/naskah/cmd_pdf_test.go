package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/bpom/naskah/pipeline/pdf/pdftest"
)

// runPDF runs one of pdfCommands and returns its exit status as main
// would see it.
func runPDF(t *testing.T, args ...string) (code int, out, errOut string) {
	t.Helper()
	var o, e bytes.Buffer
	for _, c := range pdfCommands() {
		if c.name == args[0] {
			err := c.run(context.Background(), args[1:], &o, &e)
			var ee *exitError
			switch {
			case err == nil:
				return 0, o.String(), e.String()
			case errors.As(err, &ee):
				return ee.code, o.String(), e.String() + ee.Error()
			default:
				return 1, o.String(), e.String() + err.Error()
			}
		}
	}
	t.Fatalf("no command %q", args[0])
	return
}

func TestPDFCommands(t *testing.T) {
	dir := t.TempDir()
	keys := filepath.Join(dir, "keys")
	if code, out, errOut := runPDF(t, "keys", "init", "--dir", keys); code != 0 || !strings.Contains(out, "ca.pem") {
		t.Fatalf("keys init: got %d %q %q, want 0 listing ca.pem", code, out, errOut)
	}
	pass := passphraseOf(t, keys, "kepala.p12")
	in := filepath.Join(dir, "in.pdf")
	if err := os.WriteFile(in, pdftest.PDF(pdftest.Portrait, pdftest.Landscape), 0o644); err != nil {
		t.Fatal(err)
	}
	stamped := filepath.Join(dir, "stamped.pdf")
	signed := filepath.Join(dir, "signed.pdf")
	ca := filepath.Join(keys, "ca.pem")

	t.Setenv("NASKAH_SIGN_PASSPHRASE", pass)
	// A TSA of another test CA; both CAs are the roots of its B-T file.
	tsaPKI := pdftest.MustPKI(t)
	tsa := tsaPKI.MustTSA(t)
	caPEM, err := os.ReadFile(ca)
	if err != nil {
		t.Fatal(err)
	}
	both := filepath.Join(dir, "both.pem")
	if err := os.WriteFile(both, append(caPEM, tsaPKI.CAPEM()...), 0o644); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name string
		args []string
		code int
		want string // in stdout
	}{
		{"draft", []string{"stamp", "--kind", "final-draft", "--sop", "SOP-KS-01", "--number", "HK.01/1/2026", "--version", "2", "--step", "Perumusan", "-o", filepath.Join(dir, "draft.pdf"), in}, 0, ""},
		{"stamp signing", []string{"stamp", in, "--kind", "signing", "--url", "https://naskah.pom.go.id/v/1", "--number", "HK.01/1/2026", "-o", stamped}, 0, ""},
		{"sign", []string{"sign", "--keystore", filepath.Join(keys, "kepala.p12"), "--reason", "Persetujuan", "--location", "Jakarta", "--rect", "340,80,540,130", "-o", signed, stamped}, 0, "signed by"},
		{"sign other roots", []string{"sign", "--keystore", filepath.Join(keys, "kepala.p12"), "--roots", filepath.Join("testdata", "none.pem"), "-o", filepath.Join(dir, "x.pdf"), stamped}, 1, ""},
		{"verify", []string{"verify", signed, "--roots", ca}, 0, "VALID"},
		{"verify names", []string{"verify", signed, "--roots", ca}, 0, "claimed name:"},
		{"sign B-B", []string{"sign", "--keystore", filepath.Join(keys, "kepala.p12"), "--level", "B-B", "--tsa", tsa, "-o", filepath.Join(dir, "bb.pdf"), stamped}, 0, "signed by"},
		{"verify B-B", []string{"verify", filepath.Join(dir, "bb.pdf"), "--roots", ca}, 0, "PAdES level:  B-B"},
		{"sign B-T", []string{"sign", "--keystore", filepath.Join(keys, "kepala.p12"), "--level", "B-T", "--tsa", tsa, "-o", filepath.Join(dir, "bt.pdf"), stamped}, 0, "signed by"},
		{"verify B-T", []string{"verify", filepath.Join(dir, "bt.pdf"), "--roots", both}, 0, "PAdES level:  B-T"},
		{"verify B-T indication", []string{"verify", filepath.Join(dir, "bt.pdf"), "--roots", both}, 0, "indication:   TOTAL_PASSED"},
		{"verify B-T untrusted TSA", []string{"verify", filepath.Join(dir, "bt.pdf"), "--roots", ca}, 1, "indication:   INDETERMINATE SIG_CONSTRAINTS_FAILURE"},
		{"sign default with TSA is B-T", []string{"sign", "--keystore", filepath.Join(keys, "kepala.p12"), "--tsa", tsa, "-o", filepath.Join(dir, "bt2.pdf"), stamped}, 0, "signed by"},
		{"verify default with TSA", []string{"verify", filepath.Join(dir, "bt2.pdf"), "--roots", both}, 0, "PAdES level:  B-T"},
		{"verify B-T in 2040", []string{"verify", "--at", "2040-01-01", filepath.Join(dir, "bt.pdf"), "--roots", both}, 0, "indication:   TOTAL_PASSED"},
		{"verify B-B in 2040", []string{"verify", "--at", "2040-01-01", filepath.Join(dir, "bb.pdf"), "--roots", ca}, 1, "indication:   INDETERMINATE OUT_OF_BOUNDS_NO_POE"},
		{"usage: bad --at", []string{"verify", "--at", "1/1/2040", filepath.Join(dir, "bb.pdf"), "--roots", ca}, 2, ""},
		{"sign B-LTA, certificates without OCSP or CRL", []string{"sign", "--keystore", filepath.Join(keys, "kepala.p12"), "--level", "B-LTA", "--tsa", tsa, "--roots", both, "-o", filepath.Join(dir, "x.pdf"), stamped}, 1, ""},
		{"sign B-T without TSA", []string{"sign", "--keystore", filepath.Join(keys, "kepala.p12"), "--level", "B-T", "-o", filepath.Join(dir, "x.pdf"), stamped}, 1, ""},
		{"sign bad level", []string{"sign", "--keystore", filepath.Join(keys, "kepala.p12"), "--level", "B-X", "-o", filepath.Join(dir, "x.pdf"), stamped}, 1, ""},
		{"sign box", []string{"sign", "--keystore", filepath.Join(keys, "kepala.p12"), "--box", "https://naskah.pom.go.id/verify/1", "-o", filepath.Join(dir, "boxed.pdf"), signed}, 0, "signed by"},
		{"verify box", []string{"verify", filepath.Join(dir, "boxed.pdf"), "--roots", ca}, 0, "VALID"},
		{"sign box bad specimen", []string{"sign", "--keystore", filepath.Join(keys, "kepala.p12"), "--box", "https://naskah.pom.go.id/verify/1", "--specimen", ca, "-o", filepath.Join(dir, "x.pdf"), signed}, 1, ""},
		{"verify json", []string{"verify", "--json", "--roots", ca, signed}, 0, `"valid": true`},
		{"verify unsigned", []string{"verify", "--roots", ca, stamped}, 1, "NOT VALID"},
		{"verify other roots", []string{"verify", "--roots", filepath.Join("testdata", "none.pem"), signed}, 1, ""},
		{"copy", []string{"stamp", "--kind", "copy", "--who", "Siti", "--number", "HK.01/1/2026", "--url", "https://naskah.pom.go.id/v/1", "-o", filepath.Join(dir, "copy.pdf"), signed}, 0, ""},
		{"verify copy", []string{"verify", "--roots", ca, filepath.Join(dir, "copy.pdf")}, 1, "UNCONTROLLED COPY"},
		{"verify copy names the original", []string{"verify", "--roots", ca, filepath.Join(dir, "copy.pdf")}, 1, "copy of:      signed document No. HK.01/1/2026"},
		{"usage: no file", []string{"verify", "--roots", ca}, 2, ""},
		{"usage: no roots", []string{"verify", signed}, 2, ""},
		{"usage: bad kind", []string{"stamp", "--kind", "x", "-o", "x.pdf", in}, 2, ""},
		{"usage: keys", []string{"keys"}, 2, ""},
		{"not a pdf", []string{"stamp", "--kind", "copy", "--who", "x", "-o", filepath.Join(dir, "x.pdf"), ca}, 1, ""},
	}
	t.Setenv("NASKAH_TRUST_ROOTS", "")
	for _, tt := range steps {
		t.Run(tt.name, func(t *testing.T) {
			if tt.name == "verify other roots" || tt.name == "sign other roots" {
				idx := slices.Index(tt.args, filepath.Join("testdata", "none.pem"))
				other := filepath.Join(t.TempDir(), "other.pem")
				os.WriteFile(other, pdftest.MustPKI(t).CAPEM(), 0o644)
				tt.args[idx] = other
			}
			code, out, errOut := runPDF(t, tt.args...)
			if code != tt.code || !strings.Contains(out, tt.want) {
				t.Errorf("got exit %d, stdout %q, stderr %q; want exit %d with %q", code, out, errOut, tt.code, tt.want)
			}
			if tt.name == "verify json" {
				var rep struct {
					Valid      bool
					Signatures []struct {
						Certificate struct{ Subject string }
						Level       string
					}
				}
				if err := json.Unmarshal([]byte(out), &rep); err != nil || len(rep.Signatures) != 1 || !strings.Contains(rep.Signatures[0].Certificate.Subject, "Taruna") || rep.Signatures[0].Level != "B-B" {
					t.Errorf("json: got %+v (%v), want one B-B signature by Taruna", rep, err)
				}
			}
		})
	}

	t.Run("wrong passphrase", func(t *testing.T) {
		t.Setenv("NASKAH_SIGN_PASSPHRASE", "wrong")
		code, _, errOut := runPDF(t, "sign", "--keystore", filepath.Join(keys, "kepala.p12"), "-o", filepath.Join(dir, "x.pdf"), stamped)
		if code != 1 || !strings.Contains(errOut, "passphrase is wrong") || strings.Contains(errOut, pass) {
			t.Errorf("got exit %d %q, want 1 saying the passphrase is wrong", code, errOut)
		}
	})
}

// passphraseOf reads a keystore's passphrase from keys init's list.
func passphraseOf(t *testing.T, dir, keystore string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "passphrases.txt"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if name, pass, ok := strings.Cut(line, "\t"); ok && name == keystore {
			return pass
		}
	}
	t.Fatalf("no passphrase for %s in passphrases.txt", keystore)
	return ""
}
