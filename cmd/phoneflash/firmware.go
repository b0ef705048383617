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

// firmwareFlags is a FlagSet with the -firmware and -state flags every
// subcommand has.
func firmwareFlags(name, synopsis, about string, stderr io.Writer) (*flag.FlagSet, *string) {
	fs := newFlags("firmware "+name, fmt.Sprintf("Usage: phoneflash firmware %s %s\n\n%s", name, synopsis, about), stderr)
	dir := fs.String("firmware", permDir+"/firmware", "firmware store `dir`ectory")
	fs.String("state", permDir+"/state", "state `dir`ectory of serve: its "+firmware.ModelFileName+" adds rows to the model table (if it exists)")
	return fs, dir
}

// fail prints a one-line error and returns the failure exit code.
func fail(stderr io.Writer, name string, err error) int {
	fmt.Fprintf(stderr, "phoneflash firmware %s: %s\n", name, strings.ReplaceAll(err.Error(), "\n", "; "))
	return exitFailure
}

// modelTable is the model table of a subcommand's -state: the built-in
// rows and those of its models.json; code is non-zero when a mistake in the
// file ends the command (one line each).
func modelTable(fs *flag.FlagSet, name string, stderr io.Writer) (firmware.Models, int) {
	t, err := appliance.LoadModels(fs.Lookup("state").Value.String())
	if err != nil {
		for _, line := range strings.Split(err.Error(), "\n") {
			fmt.Fprintf(stderr, "phoneflash firmware %s: %s\n", name, line)
		}
		return nil, exitUsage
	}
	return t, exitOK
}

func usageErr(stderr io.Writer, name, format string, args ...any) int {
	fmt.Fprintf(stderr, "phoneflash firmware %s: %s (see phoneflash firmware %s -h)\n", name, fmt.Sprintf(format, args...), name)
	return exitUsage
}

func runFirmwareImport(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs, dir := firmwareFlags("import", "[-firmware DIR] FILE|FOLDER...",
		"Imports the firmware of the SEP-XML 79xx phones (7906/7911, 7941/7961, 7942/7962, 7945/7965,\n"+
			"7970/7971, 7975 and the models of -state's models.json) as Cisco ships it: .cop.sgn, .zip,\n"+
			".tar.gz/.tgz, or a folder of loose .loads/.sbn files; one package holds the term files of\n"+
			"its pair. All or nothing: on error the store is unchanged. The store directory is created\n"+
			"if its parent exists.", stderr)
	if err := fs.Parse(args); err != nil {
		return flagExit(err)
	}
	if fs.NArg() == 0 {
		return usageErr(stderr, "import", "name at least one file or folder to import")
	}
	table, code := modelTable(fs, "import", stderr)
	if table == nil {
		return code
	}
	if err := os.Mkdir(*dir, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
		return fail(stderr, "import", err)
	}
	s, err := firmware.OpenStore(*dir)
	if err != nil {
		return fail(stderr, "import", err)
	}
	s.SetModels(table)
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
		fmt.Fprintf(stdout, "ignored (no load of a model of the table uses them): %s\n", strings.Join(res.Ignored, ", "))
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
// (and -state) and opens its store, which must exist; s is nil when the
// command ends with code.
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
	fs, dirFlag := firmwareFlags("list", "[-firmware DIR] [-state DIR] [-target LOADS]",
		"Prints one line per load: name, protocol, version, models (from the term files and\n"+
			"loadNNN.txt), number of files, total bytes, and how many files match Cisco's known-good SHA-1;\n"+
			"then one line per model: its target and the loads a phone of unknown history goes through,\n"+
			"or which Cisco package to import.", stderr)
	target := fs.String("target", appliance.DefaultTarget, "the `loads` phones end on, per family (as serve -target)")
	if err := fs.Parse(args); err != nil {
		return flagExit(err)
	}
	if fs.NArg() > 0 {
		return usageErr(stderr, "list", "unexpected argument %q", fs.Arg(0))
	}
	targets, err := firmware.ParseTargets(*target)
	if err != nil {
		return usageErr(stderr, "list", "-target: %v", err)
	}
	table, code := modelTable(fs, "list", stderr)
	if table == nil {
		return code
	}
	dir := *dirFlag
	s, code := openExisting("list", dir, stderr)
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
	fmt.Fprintln(stdout)
	writeModelPlans(stdout, table, targets, loads)
	return exitOK
}

// writeModelPlans prints each model's target and the loads a phone of
// unknown history goes through, or the package to import.
func writeModelPlans(w io.Writer, table firmware.Models, targets firmware.Targets, loads []firmware.Load) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "MODEL\tTARGET\tA PHONE OF UNKNOWN HISTORY")
	for _, m := range table {
		t, steps, err := modelPlan(m, targets, firmware.Current{Kind: firmware.CurrentUnknown}, loads)
		how := strings.Join(steps, " > ")
		var h *firmware.ImportHintError
		switch {
		case errors.As(err, &h):
			how = "import " + h.Import
		case err != nil:
			how = err.Error()
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", m.Name, cmpOr(t, "-"), how)
	}
	tw.Flush()
}

// modelPlan is the target of model m and the plan from cur to it.
func modelPlan(m firmware.Model, targets firmware.Targets, cur firmware.Current, loads []firmware.Load) (string, []string, error) {
	t, err := targets.For(m, loads)
	if err != nil {
		return "", nil, err
	}
	steps, err := firmware.Plan(m, cur, t, loads)
	return t, steps, err
}

func cmpOr(s, alt string) string {
	if s == "" {
		return alt
	}
	return s
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
	fs, dir := firmwareFlags("plan", "[-firmware DIR] [-state DIR] -model MODEL [-target LOADS] [-current unknown|old|new|LOAD] [-policy stepping|direct]",
		"Prints the loads a phone goes through, in order, to reach its target, or which Cisco package\n"+
			"to import when the store cannot do it.", stderr)
	model := fs.String("model", "", "phone `model`, a row of the model table: "+firmware.BuiltinModels().Names()+"\n(also 7942, 42, 434, ...) or one of -state's models.json. Required.")
	target := fs.String("target", appliance.DefaultTarget, "the `loads` phones end on, per family (as serve -target)")
	current := fs.String("current", "unknown", "what is known of the phone's load: unknown, old (loader older than 8.3(3)), new (8.3(3) or later), or a load name")
	policy := fs.String("policy", "stepping", "stepping: go through the model's path (the SCCP 8.3(3)-8.5(2) stepping stone of its family) when\nthe phone may be older than 8.3(3); direct: straight to the target")
	if err := fs.Parse(args); err != nil {
		return flagExit(err)
	}
	if fs.NArg() > 0 {
		return usageErr(stderr, "plan", "unexpected argument %q", fs.Arg(0))
	}
	if *model == "" {
		return usageErr(stderr, "plan", "-model is required")
	}
	table, code := modelTable(fs, "plan", stderr)
	if table == nil {
		return code
	}
	m, err := table.Parse(*model)
	if err != nil {
		return usageErr(stderr, "plan", "-model: %v", err)
	}
	targets, err := firmware.ParseTargets(*target)
	if err != nil {
		return usageErr(stderr, "plan", "-target: %v", err)
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
	t, steps, err := modelPlan(m, targets, pol.Assume(cur), s.Loads())
	if err != nil {
		return fail(stderr, "plan", err)
	}
	if len(steps) == 0 {
		fmt.Fprintf(stdout, "the %s already runs %s: nothing to load\n", m, t)
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
