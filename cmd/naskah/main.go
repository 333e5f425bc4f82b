// Command naskah is the one binary of Naskah: the service and the operator's
// commands. main only handles signals and exit codes.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"syscall"
)

// command is one subcommand: it gets its own arguments and writes to out.
type command struct {
	summary string
	run     func(ctx context.Context, args []string, out, errOut io.Writer) error
}

// commands lists every subcommand; files in this package add to it in
// commandTable so that no init() registration is needed.
func commands() map[string]command {
	m := map[string]command{}
	for _, c := range commandTable() {
		m[c.name] = c.command
	}
	return m
}

type namedCommand struct {
	name string
	command
}

// exitError carries a specific exit status (verify's "invalid" is 1, usage is 2).
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, out, errOut io.Writer) int {
	cmds := commands()
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(errOut, cmds)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	c, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(errOut, "naskah: unknown command %q\n\n", args[0])
		usage(errOut, cmds)
		return 2
	}
	if err := c.run(ctx, args[1:], out, errOut); err != nil {
		var ee *exitError
		if errors.As(err, &ee) {
			if ee.err != nil && ee.err.Error() != "" {
				fmt.Fprintf(errOut, "naskah %s: %v\n", args[0], ee.err)
			}
			return ee.code
		}
		fmt.Fprintf(errOut, "naskah %s: %v\n", args[0], err)
		return 1
	}
	return 0
}

func usage(w io.Writer, cmds map[string]command) {
	fmt.Fprintln(w, "usage: naskah <command> [flags]\n\ncommands:")
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, cmds[n].summary)
	}
	fmt.Fprintln(w, "\nRun 'naskah <command> -h' for a command's flags.")
}
