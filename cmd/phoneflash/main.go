// Binary phoneflash is the firmware of the phoneflash bench appliance: it
// takes Cisco CP-7906G / CP-7911G phones from old SCCP firmware to SIP, several
// at a time. `phoneflash serve` runs the appliance; the other subcommands
// manage firmware, show status and run the demo.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// Exit codes. gokrazy restarts a program one second after it exits, unless
// the code is 0 or 125 (gokrazy/gokrazy supervise.go).
const (
	exitOK      = 0   // done: gokrazy does not restart
	exitFailure = 1   // the appliance failed: gokrazy restarts it
	exitUsage   = 2   // bad flags of a subcommand run by hand
	exitConfig  = 125 // serve: a configuration that cannot work; gokrazy does not restart it
	exitStopped = 143 // serve: stopped by SIGTERM or SIGINT (128+15, as a shell reports it); gokrazy's restart starts it again
)

// command is one subcommand.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) int
}

func commands() []command {
	return []command{
		{"serve", "run the appliance: DHCP, TFTP, phone sessions, display", runServe},
		{"firmware", "import, list, verify firmware and plan upgrades", runFirmware},
		{"status", "print every phone's stage and the CSV report", runStatus},
		{"export", "write the office bundle: the phones' TFTP root for the office", runExport},
		{"demo", "run the whole job on simulated hardware (root)", runDemo},
		{"version", "print the version", runVersion},
		{"help", "explain a subcommand", nil},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	name, rest := args[0], args[1:]
	switch name {
	case "help", "-h", "-help", "--help":
		if len(rest) > 0 && rest[0] != "help" {
			return run(ctx, []string{rest[0], "-h"}, stdout, stderr)
		}
		usage(stdout)
		return exitOK
	}
	for _, c := range commands() {
		if c.name == name && c.run != nil {
			return c.run(ctx, rest, stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "phoneflash: unknown subcommand %q; run 'phoneflash help' for the list\n", name)
	return exitUsage
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "phoneflash turns Cisco CP-7906G / CP-7911G phones from SCCP into SIP phones.")
	fmt.Fprintln(w, "\nUsage: phoneflash <subcommand> [flags]\n\nSubcommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'phoneflash <subcommand> -h' for its flags.")
}
