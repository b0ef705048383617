package web

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/phoneflash/phoneflash/appliance/session"
)

// Summary is the bench in one line, above the phones: how many are done
// (and how many of those with a warning), registering, on their way, and
// waiting for a person, and the time a phone takes from first seen to done.
type Summary struct {
	Phones      int     `json:"phones"`
	Done        int     `json:"done"`
	Warnings    int     `json:"warnings"` // done, with a warning: no account, not registered, a long password
	Registering int     `json:"registering"`
	Working     int     `json:"working"` // on their way: powered to stepping
	Person      int     `json:"person"`  // failed or needs-reset: a person must act
	PerPhone    float64 `json:"per_phone_s"`
	Target      string  `json:"target"` // the loads phones end on: their targets, else the bench's
	Text        string  `json:"text"`
}

// Warned says whether a done phone has a warning: a result other than
// plain done, or a reason (no account, not registered, the password).
func Warned(p session.Phone) bool {
	return p.Stage == session.StageDone && (p.Reason != "" || (p.Result != "" && p.Result != "done"))
}

// Summarize counts the phones for the summary line. The target line names
// the loads the phones end on (one per family), else target, the bench's.
func Summarize(phones []session.Phone, target string) Summary {
	s := Summary{Phones: len(phones), Target: target}
	var took time.Duration
	var targets []string
	for _, p := range phones {
		if p.Target != "" && !slices.Contains(targets, p.Target) {
			targets = append(targets, p.Target)
		}
		switch p.Stage {
		case session.StageDone:
			s.Done++
			if Warned(p) {
				s.Warnings++
			}
			if !p.Started.IsZero() && p.Since.After(p.Started) {
				took += p.Since.Sub(p.Started)
			}
		case session.StageRegistering:
			s.Registering++
		case session.StageFailed, session.StageNeedsReset:
			s.Person++
		case session.StageEmpty:
		default:
			s.Working++
		}
	}
	if s.Done > 0 {
		s.PerPhone = (took / time.Duration(s.Done)).Seconds()
	}
	if len(targets) > 0 {
		slices.Sort(targets)
		s.Target = strings.Join(targets, ", ")
	}
	s.Text = s.text()
	return s
}

func (s Summary) text() string {
	if s.Phones == 0 {
		return "no phones yet"
	}
	var parts []string
	if s.Done > 0 {
		done := fmt.Sprintf("%d done", s.Done)
		if s.Warnings > 0 {
			done += fmt.Sprintf(" (%d with a warning)", s.Warnings)
		}
		parts = append(parts, done)
	}
	for _, c := range []struct {
		n    int
		what string
	}{{s.Registering, "registering"}, {s.Working, "on their way"}, {s.Person, "needing a person"}} {
		if c.n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", c.n, c.what))
		}
	}
	out := fmt.Sprintf("%d phone%s", s.Phones, plural(s.Phones))
	if len(parts) > 0 {
		out += ": " + strings.Join(parts, ", ")
	}
	if s.Done > 0 {
		out += "; " + roughly(time.Duration(s.PerPhone*float64(time.Second))) + " per phone"
	}
	return out
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// roughly is a duration as a person reads it: 45 s, 3 min 12 s, 1 h 5 min.
func roughly(d time.Duration) string {
	s := int(d.Round(time.Second).Seconds())
	switch {
	case s < 60:
		return fmt.Sprintf("%d s", s)
	case s < 3600:
		return fmt.Sprintf("%d min %d s", s/60, s%60)
	}
	return fmt.Sprintf("%d h %d min", s/3600, s%3600/60)
}

func (s *Server) summary(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, Summarize(s.opt.Phones.Snapshot(), s.opt.Target))
}
