package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/phoneflash/phoneflash/appliance"
	"github.com/phoneflash/phoneflash/firmware"
)

// firmwareCommands are the subcommands of `phoneflash firmware`.
func firmwareCommands() []command {
	return []command{
		{"import", "add .cop.sgn, .zip, .tar.gz files or folders to the store", runFirmwareImport},
		{"list", "print the loads in the store", runFirmwareList},
		{"verify", "re-check every file in the store; exit 1 naming problems", runFirmwareVerify},
		{"plan", "print the loads a phone goes through to reach the target", runFirmwarePlan},
	}
}

func firmwareUsage(w io.Writer) {
	fmt.Fprintln(w, "Usage: phoneflash firmware <import|list|verify|plan> [flags]")
	fmt.Fprintln(w, "\nManages the firmware store: one folder per load with a manifest of sizes and hashes.")
	fmt.Fprintln(w, "\nSubcommands:")
	for _, c := range firmwareCommands() {
		fmt.Fprintf(w, "  %-7s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'phoneflash firmware <subcommand> -h' for its flags.")
}

func runFirmware(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		firmwareUsage(stderr)
		return exitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		firmwareUsage(stderr) // like every FlagSet's -h
		return exitOK
	}
	for _, c := range firmwareCommands() {
		if c.name == args[0] {
			return c.run(ctx, args[1:], stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "phoneflash firmware: unknown subcommand %q; want import, list, verify or plan\n", args[0])
	return exitUsage
}

// firmwareFlags is a FlagSet with the -firmware flag every subcommand has.
func firmwareFlags(name, synopsis, about string, stderr io.Writer) (*flag.FlagSet, *string) {
	fs := flag.NewFlagSet("phoneflash firmware "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("firmware", permDir+"/firmware", "firmware store `dir`ectory")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: phoneflash firmware %s %s\n\n%s\n\nFlags:\n", name, synopsis, about)
		fs.PrintDefaults()
	}
	return fs, dir
}

// fail prints a one-line error and returns the failure exit code.
func fail(stderr io.Writer, name string, err error) int {
	fmt.Fprintf(stderr, "phoneflash firmware %s: %s\n", name, strings.ReplaceAll(err.Error(), "\n", "; "))
	return exitFailure
}

func usageErr(stderr io.Writer, name, format string, args ...any) int {
	fmt.Fprintf(stderr, "phoneflash firmware %s: %s (see phoneflash firmware %s -h)\n", name, fmt.Sprintf(format, args...), name)
	return exitUsage
}

func runFirmwareImport(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs, dir := firmwareFlags("import", "[-firmware DIR] FILE|FOLDER...",
		"Imports Cisco 7906/7911 firmware as Cisco ships it: .cop.sgn, .zip, .tar.gz/.tgz, or a folder\n"+
			"of loose .loads/.sbn files. All or nothing: on error the store is unchanged. The store\n"+
			"directory is created if its parent exists.", stderr)
	if err := fs.Parse(args); err != nil {
		return flagExit(err)
	}
	if fs.NArg() == 0 {
		return usageErr(stderr, "import", "name at least one file or folder to import")
	}
	if err := os.Mkdir(*dir, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
		return fail(stderr, "import", err)
	}
	s, err := firmware.OpenStore(*dir)
	if err != nil {
		return fail(stderr, "import", err)
	}
	res, err := s.Import(fs.Args()...)
	if err != nil {
		return fail(stderr, "import", err)
	}
	report := func(verb string, names []string) {
		for _, n := range names {
			l, _ := s.Load(n)
			fmt.Fprintf(stdout, "%s %s (%s %s, models %s, %d files, %d bytes)\n", verb, n, l.Protocol, l.Version, modelsText(l.Models), len(l.Files), l.TotalBytes())
		}
	}
	report("added", res.Added)
	report("updated", res.Updated)
	report("unchanged", res.Unchanged)
	if len(res.Ignored) > 0 {
		fmt.Fprintf(stdout, "ignored (no load for %s uses them): %s\n", firmware.BuiltinModels().Names(), strings.Join(res.Ignored, ", "))
	}
	return exitOK
}

func modelsText(ms []firmware.ModelName) string {
	if len(ms) == 0 {
		return "-"
	}
	var s []string
	for _, m := range ms {
		s = append(s, string(m))
	}
	return strings.Join(s, ",")
}

// openExisting opens a store that must exist (list, verify, plan).
func openExisting(name, dir string, stderr io.Writer) (*firmware.Store, int) {
	s, err := firmware.OpenStore(dir)
	if err != nil {
		return nil, fail(stderr, name, err)
	}
	return s, exitOK
}

// storeCommand parses the flags of a subcommand that takes only -firmware
// and opens its store, which must exist; s is nil when the command ends
// with code.
func storeCommand(name, doc string, args []string, stderr io.Writer) (s *firmware.Store, dir string, code int) {
	fs, dirFlag := firmwareFlags(name, "[-firmware DIR]", doc, stderr)
	if err := fs.Parse(args); err != nil {
		return nil, "", flagExit(err)
	}
	if fs.NArg() > 0 {
		return nil, "", usageErr(stderr, name, "unexpected argument %q", fs.Arg(0))
	}
	s, code = openExisting(name, *dirFlag, stderr)
	return s, *dirFlag, code
}

func runFirmwareList(_ context.Context, args []string, stdout, stderr io.Writer) int {
	s, dir, code := storeCommand("list",
		"Prints one line per load: name, protocol, version, models (from the term files and\n"+
			"loadNNN.txt), number of files, total bytes, and how many files match Cisco's known-good SHA-1.", args, stderr)
	if s == nil {
		return code
	}
	loads := s.Loads()
	if len(loads) == 0 {
		fmt.Fprintf(stdout, "no loads in %s; add some with: phoneflash firmware import -firmware %s FILE...\n", dir, dir)
		return exitOK
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "LOAD\tPROTOCOL\tVERSION\tMODELS\tFILES\tBYTES\tKNOWN-GOOD")
	for _, l := range loads {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\t%d/%d\n", l.Name, l.Protocol, l.Version, modelsText(l.Models), len(l.Files), l.TotalBytes(), l.KnownFiles(), len(l.Files))
	}
	tw.Flush()
	return exitOK
}

func runFirmwareVerify(_ context.Context, args []string, stdout, stderr io.Writer) int {
	s, dir, code := storeCommand("verify",
		"Re-reads every file: each signed file's embedded name must be its own name (a renamed\n"+
			"file is rejected by the phone), every image each .loads names must be present, and each\n"+
			"file must match its manifest. Exits 1 naming every problem.", args, stderr)
	if s == nil {
		return code
	}
	rep := s.Verify()
	for _, k := range rep.Known {
		fmt.Fprintf(stdout, "known-good: %s\n", k)
	}
	if len(rep.Problems) > 0 {
		for _, p := range rep.Problems {
			fmt.Fprintf(stderr, "phoneflash firmware verify: %s\n", p)
		}
		return exitFailure
	}
	fmt.Fprintf(stdout, "ok: %d loads verified in %s\n", rep.Loads, dir)
	return exitOK
}

func runFirmwarePlan(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs, dir := firmwareFlags("plan", "[-firmware DIR] -model MODEL [-target LOAD] [-current unknown|old|new|LOAD] [-policy stepping|direct]",
		"Prints the loads a phone goes through, in order, to reach the target, or what to import\n"+
			"when the store cannot do it.", stderr)
	model := fs.String("model", "", "phone `model`, one of "+firmware.BuiltinModels().Names()+" (also 7906, 06, 369 ...). Required.")
	target := fs.String("target", appliance.DefaultTarget, "the `load` the phone ends on")
	current := fs.String("current", "unknown", "what is known of the phone's load: unknown, old (loader older than 8.3(3)), new (8.3(3) or later), or a load name")
	policy := fs.String("policy", "stepping", "stepping: go through an SCCP 8.3(3)-8.5(2) stepping stone when the phone may be older\nthan 8.3(3); direct: straight to the target")
	if err := fs.Parse(args); err != nil {
		return flagExit(err)
	}
	if fs.NArg() > 0 {
		return usageErr(stderr, "plan", "unexpected argument %q", fs.Arg(0))
	}
	if *model == "" {
		return usageErr(stderr, "plan", "-model is required")
	}
	m, err := firmware.BuiltinModels().Parse(*model)
	if err != nil {
		return usageErr(stderr, "plan", "-model: %v", err)
	}
	cur, err := firmware.ParseCurrent(*current)
	if err != nil {
		return usageErr(stderr, "plan", "-current: %v", err)
	}
	pol, err := firmware.ParsePolicy(*policy)
	if err != nil {
		return usageErr(stderr, "plan", "-policy: %v", err)
	}
	s, code := openExisting("plan", *dir, stderr)
	if s == nil {
		return code
	}
	steps, err := firmware.Plan(m, pol.Assume(cur), *target, s.Loads())
	if err != nil {
		return fail(stderr, "plan", err)
	}
	if len(steps) == 0 {
		fmt.Fprintf(stdout, "the %s already runs %s: nothing to load\n", m, *target)
		return exitOK
	}
	for i, name := range steps {
		role := "target"
		if i < len(steps)-1 {
			role = "stepping stone"
		}
		fmt.Fprintf(stdout, "%d. %s (%s)\n", i+1, name, role)
	}
	return exitOK
}
