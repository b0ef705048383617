package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/phoneflash/phoneflash/appliance/session"
)

// The demo's verdict, and the tests', takes two witnesses: the appliance's
// journal and each simulated phone's own result file (phonesim -result).
// A phone counts as expected only when both say so.

// phoneResult is what phoneflash reads of a phonesim run's result file:
// the phone's own account of how it ended.
type phoneResult struct {
	MAC       string `json:"mac"`
	State     string `json:"state"` // the phone's last state: done, unprovisioned, ...
	Load      string `json:"load"`  // the load in its flash
	Exit      string `json:"exit"`  // until, signal, power-cut, error
	Error     string `json:"error"`
	Resets    int    `json:"resets"`
	PowerCuts int    `json:"power_cuts"`
	Requests  []struct {
		Name, Outcome string
	} `json:"requests"`
	DHCP []struct {
		Discovers, Requests int
	} `json:"dhcp"`
	Config *phoneConfig `json:"config"`       // the SIP config check, on a SIP load
	SIP    *phoneSIP    `json:"registration"` // its registration, once provisioned
}

// phoneSIP is the phone's own account of its registration.
type phoneSIP struct {
	State     string `json:"state"`     // registered, refused, unreachable, ...
	Registrar string `json:"registrar"` // host:port
}

// phoneConfig is the phone's check of the SIP config it was given.
type phoneConfig struct {
	Outcome  string `json:"outcome"`   // provisioned, unprovisioned
	Password string `json:"password"`  // ok, too-long, truncated, missing
	AuthName string `json:"auth_name"` // the line's account
	Reason   string `json:"reason"`
}

// readPhoneResult reads the result file a phonesim run wrote at its end.
func readPhoneResult(name string) (phoneResult, error) {
	var r phoneResult
	b, err := os.ReadFile(name)
	if err == nil {
		err = json.Unmarshal(b, &r)
	}
	if err != nil {
		return phoneResult{}, fmt.Errorf("phone result: %w", err)
	}
	return r, nil
}

// line is the phone's SIP line as the phone has it: "1001", "1001 without
// a password", or "" for none.
func (r phoneResult) line() string {
	switch {
	case r.Config == nil || r.Config.Outcome != "provisioned":
		return ""
	case r.Config.Password == "ok":
		return r.Config.AuthName
	}
	return strings.TrimSpace(r.Config.AuthName + " without a password")
}

// String is the phone's own result in a few words.
func (r phoneResult) String() string {
	if r.State == "" {
		return "no result"
	}
	if l := r.line(); l != "" {
		return r.State + ", line " + l
	}
	return r.State + ", no line"
}

// phoneWant is what a phone itself must say at the end.
type phoneWant struct {
	State     string // phonesim's final state (its -until)
	Line      string // phoneResult.line()
	Registrar string // where it registered (or tried to), host:port
}

// registrar is where the phone registered, or tried to.
func (r phoneResult) registrar() string {
	if r.SIP == nil {
		return ""
	}
	return r.SIP.Registrar
}

// disagreements lists where r differs from w on the target load.
func (w phoneWant) disagreements(r phoneResult, target string) []string {
	var out []string
	if r.State != w.State {
		out = append(out, fmt.Sprintf("state %s, want %s", orDash(r.State), w.State))
	}
	if r.Load != target {
		out = append(out, fmt.Sprintf("load %s, want %s", orDash(r.Load), target))
	}
	if r.line() != w.Line {
		out = append(out, fmt.Sprintf("line %q, want %q", r.line(), w.Line))
	}
	if r.registrar() != w.Registrar {
		out = append(out, fmt.Sprintf("registrar %q, want %q", r.registrar(), w.Registrar))
	}
	return out
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// demoResult is one phone's line of the final report.
type demoResult struct {
	Phone    demoPhone
	Model    string
	Result   string // the appliance's; "" when the phone never showed up
	Reason   string
	Loads    []string // from-load first
	Duration time.Duration
	Restarts int
	Own      phoneResult // the phone's
	OwnErr   error       // reading the phone's result
}

// Disagreements says who disagrees with the expected outcome: the
// appliance, the phone, or both; nil when both agree with it.
func (r demoResult) Disagreements() []string {
	var out []string
	if r.Result != r.Phone.Want {
		out = append(out, fmt.Sprintf("appliance: %s, want %s", orDash(r.Result), r.Phone.Want))
	}
	if r.OwnErr != nil {
		return append(out, "phone: "+r.OwnErr.Error())
	}
	for _, d := range r.Phone.Own.disagreements(r.Own, r.Phone.target()) {
		out = append(out, "phone: "+d)
	}
	return out
}

// OK reports whether the phone and the appliance both ended as the demo
// expects.
func (r demoResult) OK() bool { return len(r.Disagreements()) == 0 }

// demoResults puts the appliance's journal and the phones' own results
// (own(p), read from their result files) side by side.
func demoResults(phones []demoPhone, hs []session.History, own func(demoPhone) (phoneResult, error)) []demoResult {
	byMAC := map[string]session.History{}
	for _, h := range hs {
		byMAC[h.MAC] = h
	}
	var out []demoResult
	for _, p := range phones {
		r := demoResult{Phone: p}
		r.Own, r.OwnErr = own(p)
		if h, ok := byMAC[p.key()]; ok && len(h.Records) > 0 {
			s := session.Summarize(h)
			r.Model, r.Reason, r.Restarts = s.Model, s.Reason, s.Restarts
			if s.Stage == string(session.StageDone) || s.Stage == string(session.StageFailed) {
				r.Result = s.Result
			} else {
				r.Result = "unfinished (" + s.Stage + ")"
			}
			r.Loads = loadPath(h)
			r.Duration = s.Ended.Sub(s.Started).Round(100 * time.Millisecond)
		}
		out = append(out, r)
	}
	return out
}

// loadPath is the loads a phone went through: where it started, then every
// load it ran, in order.
func loadPath(h session.History) []string {
	var path []string
	add := func(l string) {
		if l != "" && (len(path) == 0 || path[len(path)-1] != l) {
			path = append(path, l)
		}
	}
	for _, r := range h.Records {
		if len(path) == 0 {
			add(r.From)
		}
		add(r.Load)
	}
	return path
}

// writeDemoReport prints the final report and returns whether every phone
// ended as expected, by its own account and by the appliance's.
func writeDemoReport(w io.Writer, rs []demoResult, wall time.Duration, interrupted bool) bool {
	fmt.Fprintln(w, "\nReport:")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PORT\tMAC\tMODEL\tRESULT\tTHE PHONE SAYS\tLOADS\tTIME\tEXPECTED")
	ok := true
	for _, r := range rs {
		verdict := "as expected"
		if !r.OK() {
			verdict, ok = "NO", false
		}
		res := r.Result
		if res == "" {
			res = "never seen"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Phone.Port+1, r.Phone.key(), dash(r.Model), res, r.Own,
			dash(strings.Join(r.Loads, " -> ")), r.Duration, verdict)
	}
	tw.Flush()
	for _, r := range rs {
		if r.Reason != "" {
			fmt.Fprintf(w, "port %d %s: %s\n", r.Phone.Port+1, r.Phone.key(), r.Reason)
		}
		for _, d := range r.Disagreements() {
			fmt.Fprintf(w, "port %d %s: NOT as expected: %s\n", r.Phone.Port+1, r.Phone.key(), d)
		}
	}
	fmt.Fprintf(w, "total %s\n", wall.Round(100*time.Millisecond))
	switch {
	case interrupted:
		fmt.Fprintf(w, "outcome: interrupted (exit %d)\n", exitInterrupted)
	case ok:
		fmt.Fprintln(w, "outcome: as expected (exit 0)")
	default:
		fmt.Fprintln(w, "outcome: NOT as expected (exit 1)")
	}
	return ok
}
