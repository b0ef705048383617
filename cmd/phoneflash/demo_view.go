package main

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/phoneflash/phoneflash/appliance/session"
	"github.com/phoneflash/phoneflash/appliance/status"
)

// demoView shows the bench in the terminal: on a TTY the OLED as text and
// the table of phones, redrawn in place at most 4 times a second; otherwise
// (CI, tests, a pipe) one line per stage change.
type demoView struct {
	out    io.Writer
	tty    bool
	start  time.Time
	oled   func() string
	header string

	mu     sync.Mutex
	snap   status.Snapshot
	dirty  bool
	shown  map[string]string // MAC -> the stage line printed last (no TTY)
	events []string          // what the demo did, newest last (TTY)
}

func newDemoView(out io.Writer, tty bool, oled func() string, header string) *demoView {
	return &demoView{out: out, tty: tty, start: time.Now(), oled: oled, header: header, shown: map[string]string{}}
}

// update takes a new snapshot; without a TTY it prints the phones whose
// stage (or reason) changed.
func (v *demoView) update(s status.Snapshot) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.snap, v.dirty = s, true
	if v.tty {
		return
	}
	for _, pv := range s.Ports {
		for _, ph := range pv.Phones {
			line := stageLine(pv.Index, ph)
			if v.shown[ph.MAC] == line {
				continue
			}
			v.shown[ph.MAC] = line
			fmt.Fprintf(v.out, "%6.1fs  %s\n", time.Since(v.start).Seconds(), line)
		}
	}
}

// note tells what the demo itself did (the operator's keyed reset).
func (v *demoView) note(msg string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if !v.tty {
		fmt.Fprintf(v.out, "%6.1fs  %s\n", time.Since(v.start).Seconds(), msg)
		return
	}
	v.events = append(v.events, fmt.Sprintf("%6.1fs  %s", time.Since(v.start).Seconds(), msg))
	v.dirty = true
}

// stageLine is a phone's stage as one line: port, MAC, model, stage, the
// file in flight and the reason.
func stageLine(port int, ph session.Phone) string {
	s := fmt.Sprintf("port %d  %s  %-8s  %s", port+1, ph.MAC, dash(ph.Model), ph.Stage)
	if ph.Stage == session.StageLoading && ph.FileCount > 0 {
		s += fmt.Sprintf(" file %d/%d", ph.FileIndex, ph.FileCount)
	}
	if ph.Load != "" {
		s += "  on " + ph.Load
	}
	if ph.Result != "" && ph.Stage == session.StageDone {
		s += "  result: " + ph.Result
	}
	if ph.Reason != "" {
		s += "  (" + ph.Reason + ")"
	}
	return s
}

// draw redraws the screen when something changed (TTY only).
func (v *demoView) draw() {
	v.mu.Lock()
	defer v.mu.Unlock()
	if !v.tty || !v.dirty {
		return
	}
	v.dirty = false
	var b strings.Builder
	b.WriteString("\x1b[H\x1b[2J")
	b.WriteString(v.header)
	fmt.Fprintf(&b, "\nOLED (%.0f s):\n", time.Since(v.start).Seconds())
	b.WriteString(v.oled())
	b.WriteString("\n")
	writePhoneTable(&b, v.snap)
	for _, e := range v.events {
		b.WriteString(e + "\n")
	}
	io.WriteString(v.out, b.String())
}

// writePhoneTable writes the table of phones: port, MAC, model, stage,
// file k/n, bytes/total and reason.
func writePhoneTable(w io.Writer, s status.Snapshot) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PORT\tMAC\tMODEL\tSTAGE\tLOAD\tFILE\tBYTES\tREASON")
	for _, pv := range s.Ports {
		if len(pv.Phones) == 0 {
			fmt.Fprintf(tw, "%d\t-\t-\t%s\t-\t-\t-\t-\n", pv.Index+1, session.StageEmpty)
		}
		for _, ph := range pv.Phones {
			file, bytes := "-", "-"
			if ph.FileCount > 0 {
				file = fmt.Sprintf("%d/%d", ph.FileIndex, ph.FileCount)
			}
			if ph.Total > 0 {
				bytes = fmt.Sprintf("%d/%d", ph.Bytes, ph.Total)
			}
			stage := string(ph.Stage)
			if ph.Stage == session.StageDone && ph.Result != "" {
				stage = ph.Result
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", pv.Index+1, ph.MAC, dash(ph.Model), stage,
				dash(ph.Load), file, bytes, dash(ph.Reason))
		}
	}
	tw.Flush()
}
