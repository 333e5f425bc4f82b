package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/bpom/naskah"
	"github.com/bpom/naskah/pipeline/pdf"
	"github.com/bpom/naskah/pipeline/pdf/pkcs11"
	"golang.org/x/term"
)

// pdfCommands are the PDF pipeline's operator commands: development keys,
// stamping, signing and verification of files on disk.
func pdfCommands() []namedCommand {
	return []namedCommand{
		{"keys", command{summary: "create development signing keys (keys init --dir DIR)", run: runKeys}},
		{"stamp", command{summary: "stamp a PDF with a step's marks (draft, final-draft, signing, copy)", run: runStamp}},
		{"sign", command{summary: "sign a PDF with an official's PKCS#12 keystore", run: runSign}},
		{"verify", command{summary: "verify a PDF's signatures against trust roots (exit 0 only if valid)", run: runVerify}},
		{"extend", command{summary: "add long-term validation data (B-LT) and a document timestamp (B-LTA) to a signed PDF", run: runExtend}},
	}
}

// usageError is a command-line mistake: exit status 2.
func usageError(format string, args ...any) error {
	return &exitError{code: 2, err: fmt.Errorf(format, args...)}
}

// parseArgs parses flags wherever they appear among the positional
// arguments ("verify FILE --json" as well as "verify --json FILE").
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, &exitError{code: 0, err: errors.New("")}
			}
			return nil, &exitError{code: 2, err: errors.New("")} // flag already printed why
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func runKeys(ctx context.Context, args []string, out, errOut io.Writer) error {
	fs := flag.NewFlagSet("keys init", flag.ContinueOnError)
	fs.SetOutput(errOut)
	dir := fs.String("dir", "", "directory for the development CA and keystores (created)")
	if len(args) == 0 || args[0] != "init" {
		return usageError("usage: naskah keys init --dir DIR")
	}
	pos, err := parseArgs(fs, args[1:])
	if err != nil {
		return err
	}
	if *dir == "" || len(pos) > 0 {
		return usageError("usage: naskah keys init --dir DIR")
	}
	pki, err := pdf.GenerateDevPKI(*dir, nil, time.Now())
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "Development keys (not for real documents) in %s:\n", pki.Dir)
	fmt.Fprintf(out, "  trust root (verify --roots): %s\n", pki.CACert)
	fmt.Fprintf(out, "  CA private key:              %s\n", pki.CAKey)
	for _, ks := range pki.Keystores {
		fmt.Fprintf(out, "  %-12s %s  (%s, %s)\n", ks.Official.ID, ks.Path, ks.Official.Name, ks.Official.Title)
	}
	fmt.Fprintf(out, "  passphrases: %s\n", pki.Passphrase)
	fmt.Fprintf(out, "Sign with: NASKAH_SIGN_PASSPHRASE=... naskah sign --keystore %s -o signed.pdf in.pdf\n", pki.Keystores[0].Path)
	return nil
}

func runStamp(ctx context.Context, args []string, out, errOut io.Writer) error {
	fs := flag.NewFlagSet("stamp", flag.ContinueOnError)
	fs.SetOutput(errOut)
	kind := fs.String("kind", "", "marks to stamp: draft, final-draft, signing or copy")
	output := fs.String("o", "", "output file (required)")
	sop := fs.String("sop", "", "SOP code (draft)")
	number := fs.String("number", "", "agreement number (draft, signing, copy of a signed file)")
	version := fs.String("version", "", "document version (draft)")
	step := fs.String("step", "", "SOP step (draft)")
	date := fs.String("date", "", "date YYYY-MM-DD (draft; default today)")
	url := fs.String("url", "", "public verification URL for the QR code (signing; named on a copy of a signed file)")
	who := fs.String("who", "", "who downloads the copy (copy)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || *output == "" {
		return usageError("usage: naskah stamp --kind draft|final-draft|signing|copy [flags] -o OUT.pdf IN.pdf")
	}
	data, err := readInput(pos[0])
	if err != nil {
		return err
	}
	var res []byte
	switch *kind {
	case "draft", "final-draft":
		d := time.Now()
		if *date != "" {
			if d, err = time.Parse(time.DateOnly, *date); err != nil {
				return usageError("--date %q: want YYYY-MM-DD", *date)
			}
		}
		wm := pdf.WatermarkDraft
		if *kind == "final-draft" {
			wm = pdf.WatermarkFinalDraft
		}
		res, err = pdf.StampDraft(ctx, data, pdf.DraftMarks{Watermark: wm, SOPCode: *sop, AgreementNumber: *number, Version: *version, Step: *step, Date: d})
	case "signing":
		res, err = pdf.StampForSigning(ctx, data, pdf.SigningMarks{VerifyURL: *url, AgreementNumber: *number})
	case "copy":
		marks := pdf.CopyMarks{Who: *who, When: time.Now()}
		// A copy of a signed file names it, so verify recognises the copy.
		if rep, verr := pdf.Verify(ctx, data, pdf.VerifyOptions{}); verr == nil && len(rep.Signatures) > 0 {
			sum := sha256.Sum256(data)
			marks.Of = &pdf.CopyOf{Number: *number, Version: 1, SHA256: hex.EncodeToString(sum[:]), VerifyURL: *url}
		}
		res, err = pdf.StampUncontrolledCopy(ctx, data, marks)
	default:
		return usageError("--kind %q: want draft, final-draft, signing or copy", *kind)
	}
	if err != nil {
		return err
	}
	return writeOutput(*output, res)
}

func runSign(ctx context.Context, args []string, out, errOut io.Writer) error {
	fs := flag.NewFlagSet("sign", flag.ContinueOnError)
	fs.SetOutput(errOut)
	keystore := fs.String("keystore", "", "the official's PKCS#12 keystore (.p12); passphrase from $NASKAH_SIGN_PASSPHRASE or a prompt")
	output := fs.String("o", "", "output file (required)")
	reason := fs.String("reason", "", "reason for signing")
	location := fs.String("location", "", "where the document is signed")
	contact := fs.String("contact", "", "signer's contact information")
	page := fs.Int("page", 0, "page of the visible signature (default: last)")
	rect := fs.String("rect", "", "visible signature box in points: llx,lly,urx,ury (omit for an invisible signature)")
	box := fs.String("box", "", "draw the signature box (certificate holder, WIB time, QR code of this verification URL), placed after the file's earlier signatures")
	specimen := fs.String("specimen", "", "signature or seal image (PNG/JPEG, at most 1 MB) for --box")
	tsa := fs.String("tsa", "", "RFC 3161 timestamp authority URL")
	level := fs.String("level", "", "PAdES baseline level: B-B, B-T, B-LT or B-LTA (default: B-LTA with --tsa and --roots, B-T with --tsa only, else B-B; B-LT and B-LTA need certificates that name OCSP or CRL)")
	revocation := fs.Bool("revocation", false, "embed OCSP/CRL revocation data named by the certificate")
	timeout := fs.Duration("timeout", pdf.DefaultSignTimeout, "time limit for signing, TSA and revocation requests included")
	rootsFile := fs.String("roots", os.Getenv("NASKAH_TRUST_ROOTS"), "PEM file of trusted roots the certificate must chain to (default $NASKAH_TRUST_ROOTS; none: not checked)")
	token := fs.String("token", "", "sign with a key on this PKCS#11 token (label) instead of a keystore; PIN from $NASKAH_SIGN_PIN or a prompt")
	tokenKey := fs.String("key", "", "label of the key on the token")
	tokenKeyID := fs.String("key-id", "", "CKA_ID of the key on the token, hex")
	tokenCert := fs.String("cert", "", "PEM certificate (then chain) of the token key; default: the certificate on the token")
	module := fs.String("module", os.Getenv("NASKAH_PKCS11_MODULE"), "PKCS#11 library of the token ($NASKAH_PKCS11_MODULE)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || *output == "" || (*keystore == "") == (*token == "") {
		return usageError("usage: naskah sign (--keystore FILE.p12 | --token LABEL --key LABEL [--module LIB.so]) [flags] -o OUT.pdf IN.pdf")
	}
	opts := pdf.SignOptions{Reason: *reason, Location: *location, ContactInfo: *contact, Page: *page, TSAURL: *tsa, EmbedRevocation: *revocation, Timeout: *timeout}
	if opts.Level, err = pdf.ParseLevel(*level); err != nil {
		return err
	}
	if *rootsFile != "" {
		pemData, err := os.ReadFile(*rootsFile)
		if err != nil {
			return naskah.WrapError(naskah.EINVALID, err, "cannot read the trust roots %s: check the path", *rootsFile)
		}
		if opts.Roots, err = pdf.LoadRoots(pemData); err != nil {
			return err
		}
	}
	if *rect != "" {
		r, err := parseRect(*rect)
		if err != nil {
			return err
		}
		opts.Visible, opts.Rect = true, r
	}
	data, err := readInput(pos[0])
	if err != nil {
		return err
	}
	if *box != "" {
		if opts.Appearance, err = boxAppearance(ctx, data, *box, *specimen); err != nil {
			return err
		}
		opts.Visible = true
	}
	var signer *pdf.Signer
	if *token != "" {
		tokens, err := pkcs11.New(pkcs11.Config{Module: *module, Keys: []pkcs11.Key{{User: "cli", Token: *token, Label: *tokenKey, ID: *tokenKeyID, Certificate: *tokenCert}}})
		if err != nil {
			return err
		}
		pin, err := secret(errOut, "NASKAH_SIGN_PIN", "Token PIN")
		if err != nil {
			return err
		}
		s, release, err := tokens.Open(ctx, "cli", pin)
		if err != nil {
			return err
		}
		defer release()
		signer = s
	} else {
		p12, err := os.ReadFile(*keystore)
		if err != nil {
			return naskah.WrapError(naskah.EINVALID, err, "cannot read the keystore %s: check the path", *keystore)
		}
		pass, err := passphrase(errOut)
		if err != nil {
			return err
		}
		if signer, err = pdf.LoadPKCS12(p12, pass); err != nil {
			return err
		}
	}
	res, err := pdf.Sign(ctx, data, signer, opts)
	if err != nil {
		return err
	}
	if err := writeOutput(*output, res); err != nil {
		return err
	}
	fmt.Fprintf(out, "signed by %s: %s\n", signer.Certificate.Subject.CommonName, *output)
	return nil
}

// boxAppearance is the signature box of `sign --box`: its place follows
// the signatures already in the file, as the engine's does.
func boxAppearance(ctx context.Context, data []byte, url, specimen string) (*pdf.Appearance, error) {
	info, err := pdf.Inspect(ctx, data, pdf.Limits{})
	if err != nil {
		return nil, err
	}
	a := &pdf.Appearance{Index: info.Signatures, QRURL: url}
	if specimen != "" {
		if a.Specimen, err = os.ReadFile(specimen); err != nil {
			return nil, naskah.WrapError(naskah.EINVALID, err, "cannot read the specimen %s: check the path", specimen)
		}
		if err := pdf.CheckSpecimen(a.Specimen); err != nil {
			return nil, err
		}
	}
	return a, nil
}

// passphrase reads the keystore passphrase from the environment or, on a
// terminal, a prompt without echo. It is never a flag: flags end up in
// shell history and process listings.
func passphrase(errOut io.Writer) (string, error) {
	return secret(errOut, "NASKAH_SIGN_PASSPHRASE", "Keystore passphrase")
}

// secret reads a passphrase or PIN from the environment variable env or a
// prompt, as passphrase does.
func secret(errOut io.Writer, env, prompt string) (string, error) {
	if p, ok := os.LookupEnv(env); ok {
		return p, nil
	}
	fd := int(os.Stdin.Fd())
	fmt.Fprint(errOut, prompt+": ")
	if term.IsTerminal(fd) {
		b, err := term.ReadPassword(fd)
		fmt.Fprintln(errOut)
		if err != nil {
			return "", naskah.WrapError(naskah.EINVALID, err, "cannot read the %s from the terminal", strings.ToLower(prompt))
		}
		return string(b), nil
	}
	line, err := bufio.NewReader(os.Stdin).ReadString('\n')
	if err != nil && line == "" {
		return "", usageError("no %s: set %s or type it at the prompt", strings.ToLower(prompt), env)
	}
	return strings.TrimRight(line, "\r\n"), nil
}

func parseRect(s string) ([4]float64, error) {
	var r [4]float64
	parts := strings.Split(s, ",")
	if len(parts) != 4 {
		return r, usageError("--rect %q: want llx,lly,urx,ury in points", s)
	}
	for i, p := range parts {
		v, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil {
			return r, usageError("--rect %q: want llx,lly,urx,ury in points", s)
		}
		r[i] = v
	}
	return r, nil
}

func runVerify(ctx context.Context, args []string, out, errOut io.Writer) error {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	fs.SetOutput(errOut)
	asJSON := fs.Bool("json", false, "print the report as JSON")
	rootsFile := fs.String("roots", os.Getenv("NASKAH_TRUST_ROOTS"), "PEM file of trusted root certificates (default $NASKAH_TRUST_ROOTS)")
	at := fs.String("at", "", "validate as of this date, YYYY-MM-DD (UTC; default: now); a trusted timestamp still fixes the time of each signature")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError("usage: naskah verify [--at YYYY-MM-DD] [--json] --roots ROOTS.pem FILE.pdf")
	}
	var vopts pdf.VerifyOptions
	if *at != "" {
		t, err := time.Parse(time.DateOnly, *at)
		if err != nil {
			return usageError("tanggal --at %q tidak sah: tulis YYYY-MM-DD — the --at date %q is not valid: write YYYY-MM-DD", *at, *at)
		}
		vopts.Now = func() time.Time { return t }
	}
	if *rootsFile == "" {
		return usageError("no trust roots: give --roots FILE with the CA certificates to trust (e.g. ca.pem from 'naskah keys init')")
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
	vopts.Roots = roots
	rep, err := pdf.Verify(ctx, data, vopts)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else {
		printReport(out, pos[0], rep)
	}
	if !rep.Valid {
		return &exitError{code: 1, err: errors.New("the signatures are not valid")}
	}
	return nil
}

// printReport writes the human form of a verification report.
func printReport(w io.Writer, name string, rep *pdf.Report) {
	verdict := "VALID: every signature is intact and trusted, nothing changed after the last one"
	if !rep.Valid {
		verdict = "NOT VALID"
	}
	if rep.CopyOf != nil {
		verdict = "NOT VALID: an UNCONTROLLED COPY, not the signed original"
	}
	fmt.Fprintf(w, "%s (%d bytes): %s\n", name, rep.Size, verdict)
	if c := rep.CopyOf; c != nil {
		fmt.Fprintf(w, "  copy of:      signed document No. %s (agreement %s), signed version v%d\n", orDash(c.Number), orDash(c.AgreementID), c.Version)
		fmt.Fprintf(w, "  original:     SHA-256 %s\n", c.SHA256)
		fmt.Fprintf(w, "  verify at:    %s (as stated in the copy; check it is your organisation's site)\n", orDash(c.VerifyURL))
	}
	for _, p := range rep.Problems {
		fmt.Fprintf(w, "  ! %s\n", p)
	}
	yes := func(b bool) string {
		if b {
			return "yes"
		}
		return "NO"
	}
	for i, s := range rep.Signatures {
		// The signer is the certificate's holder; /Name is only a claim.
		fmt.Fprintf(w, "\nSignature %d: %s\n", i+1, orDash(s.SignerName))
		if s.SignerOrganization != "" {
			fmt.Fprintf(w, "  organisation: %s\n", s.SignerOrganization)
		}
		if s.SignerSerialNumber != "" {
			fmt.Fprintf(w, "  NIK/serial:   %s\n", s.SignerSerialNumber)
		}
		if s.ClaimedName != "" {
			fmt.Fprintf(w, "  claimed name: %s (written by the signer, not checked)\n", s.ClaimedName)
		}
		if s.Certificate != nil {
			fmt.Fprintf(w, "  certificate:  %s\n  issued by:    %s\n  valid:        %s to %s\n", s.Certificate.Subject, s.Certificate.Issuer,
				s.Certificate.NotBefore.Format(time.DateOnly), s.Certificate.NotAfter.Format(time.DateOnly))
		}
		fmt.Fprintf(w, "  reason:       %s\n  location:     %s\n", orDash(s.Reason), orDash(s.Location))
		if !s.SigningTime.IsZero() {
			fmt.Fprintf(w, "  signed at:    %s (claimed by the signer)\n", s.SigningTime.Format(time.RFC3339))
		}
		fmt.Fprintf(w, "  intact:       %s\n  trusted:      %s\n", yes(s.DigestIntact), yes(s.Trusted))
		if s.CoversWholeFile {
			fmt.Fprintf(w, "  covers:       the whole file\n")
		} else {
			fmt.Fprintf(w, "  covers:       all but the last %d bytes\n", s.AppendedBytes)
		}
		if ts := s.Timestamp; ts != nil {
			fmt.Fprintf(w, "  timestamp:    %s by %s (valid %s, trusted %s)\n", ts.Time.Format(time.RFC3339), orDash(ts.Authority), yes(ts.Valid), yes(ts.Trusted))
		} else {
			fmt.Fprintf(w, "  timestamp:    none\n")
		}
		fmt.Fprintf(w, "  revocation:   %s\n", s.Revocation)
		fmt.Fprintf(w, "  PAdES level:  %s\n", orDash(string(s.Level)))
		fmt.Fprintf(w, "  indication:   %s %s\n", s.Indication, s.SubIndication)
		if !s.ProofOfExistence.IsZero() {
			fmt.Fprintf(w, "  existed by:   %s (trusted timestamp: validity and revocation judged then)\n", s.ProofOfExistence.Format(time.RFC3339))
		}
		for _, p := range s.Problems {
			fmt.Fprintf(w, "  ! %s\n", p)
		}
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func readInput(name string) ([]byte, error) {
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, naskah.WrapError(naskah.EINVALID, err, "cannot read %s: check the path", name)
	}
	return b, nil
}

// writeOutput writes through a temporary file and a rename, so a failed
// run never leaves half a PDF under the output name.
func writeOutput(name string, b []byte) error {
	tmp := name + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return naskah.WrapError(naskah.EINVALID, err, "cannot write %s: check the directory", name)
	}
	if err := os.Rename(tmp, name); err != nil {
		os.Remove(tmp)
		return naskah.WrapError(naskah.EINVALID, err, "cannot write %s: check the directory", name)
	}
	return nil
}
