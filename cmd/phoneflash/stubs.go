package main

import (
	"context"
	"flag"
	"fmt"
	"io"
)

// Subcommands that later pieces of work build. Each already answers -h.

func runDemo(_ context.Context, args []string, _, stderr io.Writer) int {
	return stub("demo", "[flags]", "Runs the whole job on simulated hardware in network namespaces (needs root).", args, stderr)
}

func stub(name, synopsis, about string, args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("phoneflash "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: phoneflash %s %s\n\n%s\n", name, synopsis, about)
	}
	if err := fs.Parse(args); err != nil {
		return flagExit(err)
	}
	return notBuilt(name, stderr)
}
