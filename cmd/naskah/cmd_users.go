package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/user"
	"sort"
	"text/tabwriter"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/bpom/naskah"
	"github.com/bpom/naskah/api"
	"github.com/bpom/naskah/pipeline"
)

const usersUsage = `usage: naskah users cert add --user U --cert FILE [--force] [-config FILE] [-data DIR]
       naskah users cert list [--user U] [-config FILE] [-data DIR]
       naskah users cert revoke --user U --fingerprint F [--reason R] [-config FILE] [-data DIR]

Signing certificates bound to accounts, in the configured store (local data
dir or MinIO bucket), so every replica sees them. Only a certificate
registered to the acting user (and not revoked) signs in Naskah. add takes
one certificate, PEM or DER; revoke keeps the certificate listed with who
revoked it, when and why. The operator acts as ADMIN. add refuses a
certificate whose holder (CN) is not the account's name in the users file
(titles, case and spaces aside) unless --force confirms it (recorded).
`

func usersCommand() namedCommand {
	return namedCommand{"users", command{
		summary: "signing certificates of users: users cert add|list|revoke",
		run: func(ctx context.Context, args []string, out, errOut io.Writer) error {
			if len(args) < 2 || args[0] != "cert" {
				fmt.Fprint(errOut, usersUsage)
				return &exitError{code: 2, err: errors.New("use: naskah users cert add|list|revoke")}
			}
			verb := args[1]
			var userName, certFile, fingerprint, reason string
			var force bool
			cfg, fs, err := configFlags("users cert "+verb, args[2:], errOut, func(fs *flag.FlagSet) {
				fs.StringVar(&userName, "user", "", "the account (username)")
				if verb == "add" {
					fs.StringVar(&certFile, "cert", "", "certificate file, PEM or DER")
					fs.BoolVar(&force, "force", false, "register although the certificate holder is not the account's name (recorded)")
				}
				if verb == "revoke" {
					fs.StringVar(&fingerprint, "fingerprint", "", "SHA-256 fingerprint (hex, colons allowed) as listed")
					fs.StringVar(&reason, "reason", "", "why it is revoked")
				}
				fs.Usage = func() { fmt.Fprint(fs.Output(), usersUsage); fs.PrintDefaults() }
			})
			if err != nil {
				return err
			}
			need := func(ok bool, what string) error {
				if !ok {
					fs.Usage()
					return &exitError{code: 2, err: errors.New(what)}
				}
				return nil
			}
			switch verb {
			case "add":
				err = errors.Join(need(userName != "", "--user is required"), need(certFile != "", "--cert FILE is required"))
			case "revoke":
				err = errors.Join(need(userName != "", "--user is required"), need(fingerprint != "", "--fingerprint is required"))
			case "list":
			default:
				err = need(false, fmt.Sprintf("unknown verb %q: use add, list or revoke", verb))
			}
			if err != nil {
				return err
			}
			m := &Main{Config: cfg, Out: out}
			defer m.Close()
			if err := m.Open(ctx); err != nil {
				return err
			}
			m.Engine.AccountName = cliAccountNames(&m.Config)
			return runUsersCert(ctx, m.Engine, verb, userName, certFile, fingerprint, reason, force, out)
		},
	}}
}

func operator() naskah.Actor {
	name := "operator"
	if u, err := user.Current(); err == nil && u.Username != "" {
		name = u.Username
	}
	return naskah.Actor{User: "cli:" + name, Role: naskah.RoleAdmin}
}

// cliAccountNames reads the accounts' names from the users file, or the
// demo users of the data dir; none known: the holder is not compared.
func cliAccountNames(c *Config) func(string) string {
	names := map[string]string{}
	if c.UsersFile != "" {
		var us []api.User
		if data, err := os.ReadFile(c.UsersFile); err == nil && yaml.Unmarshal(data, &us) == nil {
			for _, u := range us {
				names[u.Username] = u.Name
			}
		}
	} else if data, err := os.ReadFile(c.path("demo", "users.json")); err == nil {
		var us []api.DemoUser
		if json.Unmarshal(data, &us) == nil {
			for _, u := range us {
				names[u.User.Username] = u.User.Name
			}
		}
	}
	return func(user string) string { return names[user] }
}

func runUsersCert(ctx context.Context, e *pipeline.Engine, verb, userName, certFile, fingerprint, reason string, force bool, out io.Writer) error {
	switch verb {
	case "add":
		data, err := os.ReadFile(certFile)
		if err != nil {
			return fmt.Errorf("certificate: %w", err)
		}
		c, err := e.RegisterCertificateWith(ctx, operator(), userName, data, pipeline.RegisterOptions{Force: force})
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "terdaftar — registered for %s:\n", userName)
		printCerts(out, map[string][]pipeline.Certificate{userName: {*c}})
	case "revoke":
		c, err := e.RevokeCertificate(ctx, operator(), userName, fingerprint, reason)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "dicabut — revoked for %s:\n", userName)
		printCerts(out, map[string][]pipeline.Certificate{userName: {*c}})
	case "list":
		all := map[string][]pipeline.Certificate{}
		if userName != "" {
			cs, err := e.Certificates(ctx, userName)
			if err != nil {
				return err
			}
			all[userName] = cs
		} else {
			var err error
			if all, err = e.AllCertificates(ctx); err != nil {
				return err
			}
		}
		printCerts(out, all)
	}
	return nil
}

func printCerts(out io.Writer, all map[string][]pipeline.Certificate) {
	users := make([]string, 0, len(all))
	for u := range all {
		users = append(users, u)
	}
	sort.Strings(users)
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "USER\tSTATUS\tFINGERPRINT (SHA-256)\tSUBJECT\tNIK\tISSUER\tSERIAL\tVALID")
	for _, u := range users {
		for _, c := range all[u] {
			status := "active"
			if !c.Active() {
				status = fmt.Sprintf("revoked %s by %s: %s", c.RevokedAt.Format(time.DateOnly), c.RevokedBy, orDashCLI(c.RevokeReason))
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s – %s\n", u, status, c.Fingerprint, c.Subject, orDashCLI(c.NIK), c.Issuer, c.Serial,
				c.NotBefore.Format(time.DateOnly), c.NotAfter.Format(time.DateOnly))
		}
	}
	tw.Flush()
}

func orDashCLI(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
