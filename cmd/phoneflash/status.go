package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/phoneflash/phoneflash/appliance"
	"github.com/phoneflash/phoneflash/appliance/session"
	"github.com/phoneflash/phoneflash/internal/atomicfile"
)

// runStatus prints every phone of the journal and optionally writes the CSV
// report. It only reads the journal, so it works while the appliance runs.
func runStatus(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("status", "Usage: phoneflash status [-state DIR] [-csv FILE]\n\nPrints every phone the appliance has handled, with its stage, load, account and\nthe reason for anything a person must do. Works while the appliance runs or not.", stderr)
	state := fs.String("state", permDir+"/state", "the appliance's state `dir`ectory (the -state of phoneflash serve); its journal/ holds every phone's history")
	csvFile := fs.String("csv", "", "also write the report to this `file` (one line per phone: mac, model, from_load, to_load,\naccount, result, duration_s, registration, extension, pbx, registered_at); - writes it to standard output instead of the table")
	if err := fs.Parse(args); err != nil {
		return flagExit(err)
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "phoneflash status: unexpected argument %q; see phoneflash status -h\n", fs.Arg(0))
		return exitUsage
	}
	hs, err := appliance.Histories(*state)
	if err != nil {
		fmt.Fprintf(stderr, "phoneflash status: -state %s: %v\n", *state, err)
		return exitFailure
	}
	if *csvFile == "-" {
		if err := session.WriteCSV(stdout, hs); err != nil {
			fmt.Fprintf(stderr, "phoneflash status: %v\n", err)
			return exitFailure
		}
		return exitOK
	}
	printTable(stdout, hs)
	if *csvFile != "" {
		if err := writeReport(*csvFile, hs); err != nil {
			fmt.Fprintf(stderr, "phoneflash status: -csv %s: %v\n", *csvFile, err)
			return exitFailure
		}
	}
	return exitOK
}

func printTable(w io.Writer, hs []session.History) {
	if len(hs) == 0 {
		fmt.Fprintln(w, "no phones handled yet")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "MAC\tPORT\tMODEL\tSTAGE\tFROM\tLOAD\tTARGET\tACCOUNT\tRESULT\tTIME\tREGISTRATION\tREASON")
	for _, h := range hs {
		s := session.Summarize(h)
		reason := s.Reason
		if s.Restarts > 0 {
			reason = strings.TrimPrefix(reason+fmt.Sprintf("; %d appliance restart(s)", s.Restarts), "; ")
		}
		if s.Damaged > 0 {
			reason = strings.TrimPrefix(reason+fmt.Sprintf("; %d torn journal line(s) skipped", s.Damaged), "; ")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", s.MAC, dash(s.Port), dash(s.Model), s.Stage,
			dash(s.From), dash(s.Load), dash(s.Target), dash(s.Account), s.Result, s.Duration(), dash(registration(s)), dash(reason))
	}
	tw.Flush()
}

// registration is the phone's registration in a few words: its state, the
// extension and PBX, and when it registered.
func registration(s session.Summary) string {
	r := s.Registration
	if r == nil {
		return ""
	}
	cols := s.RegistrationColumns()
	out := strings.TrimSpace(strings.Join(cols[:2], " "))
	if cols[2] != "" {
		out += "@" + cols[2]
	}
	if cols[3] != "" {
		out += " " + cols[3]
	}
	return out
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// writeReport writes the CSV report atomically: a reader never sees half a
// file.
func writeReport(name string, hs []session.History) error {
	return atomicfile.Write(name, 0o644, func(w io.Writer) error { return session.WriteCSV(w, hs) })
}
