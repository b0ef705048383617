package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/phoneflash/phoneflash/firmware"
	"github.com/phoneflash/phoneflash/firmware/fwgen"
)

// The acceptance tests of issue 18 on the demo's rig: the real `phoneflash
// serve`, phonesim phones of every family on one shared bench port.

// writeModels writes a models.json into the bench's state directory, where
// serve reads it at start.
func (b *accBench) writeModels(t *testing.T, rows string) string {
	t.Helper()
	if err := os.MkdirAll(b.state, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(b.state, firmware.ModelFileName)
	if err := os.WriteFile(path, []byte(rows), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// modelStore imports loads into a new store, knowing the rows of state's
// models.json (state "" for the built-in table only).
func modelStore(t *testing.T, state string, loads ...fwgen.Load) string {
	t.Helper()
	var extra []string
	if state != "" {
		extra = []string{"-state", state}
	}
	return importLoads(t, 0.02, extra, loads...)
}

// requested are the names a phone asked for, in order.
func requested(r phoneResult) []string {
	var out []string
	for _, q := range r.Requests {
		out = append(out, q.Name)
	}
	return out
}

// Issue 18: a mixed bench on one shared port: a 7942 with an old loader,
// a 7965 on SCCP 8.5(2), a 7970 already on SIP, a 7941 whose model row
// (models.json) asks for a two-hop path, and a 7911 with an old loader;
// the store holds every family's stepping stone, the 7911's too. All end
// done on their own family's target, each through its own family's loads:
// the 7942 never gets the 7911's stepping stone.
func TestIntegrationAcceptMixedBench(t *testing.T) {
	f11, f41, f42, f45, f70 := fwgen.Builtin("11"), fwgen.Builtin("41"), fwgen.Builtin("42"), fwgen.Builtin("45"), fwgen.Builtin("70")
	fw := modelStore(t, "", f11.Stone(), f11.Target(), f41.Stone(), f41.SCCP("8-5-3"), f41.Target(),
		f42.Stone(), f42.Target(), f45.Stone(), f45.Target(), f70.Target())
	macs := []string{"00:22:90:ad:00:01", "00:22:90:ad:00:02", "00:22:90:ad:00:03", "00:22:90:ad:00:04", "00:22:90:ad:00:05"}
	b := newBenchWithPrefix(t, "pfm", fw, 1, accounts(macs...))
	b.writeModels(t, `{"models": [{"name": "CP-7941G", "path": ["8.5(2)", "8.5(3)"]}]}`)
	b.serve()
	type spec struct {
		model, scenario, target string
		through                 []string // loads it installs, in order
	}
	specs := []spec{
		{"7942", "formatted-old", "SIP42.9-4-2SR3-1S", []string{"SCCP42.8-5-2S", "SIP42.9-4-2SR3-1S"}},
		{"7965", "sccp852", "SIP45.9-4-2SR3-1S", []string{"SIP45.9-4-2SR3-1S"}},
		{"7970", "sip", "SIP70.9-4-2SR3-1S", nil},
		{"7941", "formatted-old", "SIP41.9-4-2SR3-1S", []string{"SCCP41.8-5-2S", "SCCP41.8-5-3S", "SIP41.9-4-2SR3-1S"}},
		{"7911", "formatted-old", "SIP11.9-4-2SR1-1S", []string{"SCCP11.8-5-2S", "SIP11.9-4-2SR1-1S"}},
	}
	var phones []*accPhone
	for i, s := range specs {
		phones = append(phones, b.phone(0, string(rune('a'+i)), macs[i], s.model, s.scenario, "-max-time", "120s"))
	}
	for i, p := range phones {
		s := specs[i]
		res, err := p.wait(t, 120*time.Second)
		if err != nil || res.State != "done" || res.Load != s.target {
			t.Errorf("%s %s: %v: state %s on %s, want done on %s:\n%s", s.model, macs[i], err, res.State, res.Load, s.target, p.log())
			continue
		}
		var installed []string
		for _, name := range requested(res) {
			if strings.HasSuffix(name, ".loads") && !firmware.IsTermFile(name) {
				installed = append(installed, strings.TrimSuffix(name, ".loads"))
			}
			if strings.HasPrefix(name, "term") {
				installed = append(installed, "(term)")
			}
			if s.model != "7911" && (strings.Contains(name, "11.") || strings.HasPrefix(name, "term11") || strings.HasPrefix(name, "term06")) {
				t.Errorf("%s asked for %s, a file of the 7911's family", s.model, name)
			}
		}
		want := s.through
		if s.scenario == "formatted-old" { // the stone comes by the term file
			want = append([]string{"(term)"}, s.through[1:]...)
		}
		if strings.Join(installed, " ") != strings.Join(want, " ") {
			t.Errorf("%s: fetched %v, want %v", s.model, installed, want)
		}
		sum, _ := b.summary(macKey(macs[i]))
		if sum.Stage != "done" || sum.Load != s.target || !strings.HasSuffix(sum.Model, s.model+"G") {
			t.Errorf("%s: the appliance says %s on %s (model %s), want done on %s", s.model, sum.Stage, sum.Load, sum.Model, s.target)
		}
	}
	// The 7941 installed both hops: its journal names them.
	_, h := b.summary(macKey(macs[3]))
	var installs []string
	for _, r := range h.Records {
		if r.Kind == "installed" {
			installs = append(installs, r.Detail)
		}
	}
	if got := strings.Join(installs, " "); got != "SCCP41.8-5-2S SCCP41.8-5-3S SIP41.9-4-2SR3-1S" {
		t.Errorf("the 7941's journal: installed %q, want both hops and the target", got)
	}
}

// Issue 18: a phone the table does not know (a CP-8945 by option 60 that
// asks for term89.default.loads) gets its address and a file-not-found and
// is shown with what it asked for and "not supported yet"; a 7962 whose
// option 60 names no model the table knows (79XX) is known by its term file.
// A 7960 (option 60 CP-7960G) on SCCP asking for its SEP config is shown as
// another journey, and gets no file: it stays idle without a config.
func TestIntegrationAcceptUnknownModel(t *testing.T) {
	f42 := fwgen.Builtin("42")
	fw := modelStore(t, "", f42.Stone(), f42.Target())
	macs := []string{"00:22:90:ad:01:01", "00:22:90:ad:01:02", "00:22:90:ad:01:03"}
	b := newBenchWithPrefix(t, "pfm", fw, 1, accounts(macs...))
	b.serve()
	sim := filepath.Join(b.dir, "phone-models.json") // the phone's own idea of itself, not the appliance's
	if err := os.WriteFile(sim, []byte(`{"models": [{"name": "CP-8945", "family": "89", "term": "89", "device_type": 586, "xml_model": "Cisco IP Phone 8945", "vendor_class": "CP-8945"}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	unknown := b.phone(0, "u", macs[0], "8945", "formatted-old", "-models", sim, "-until", "load-missing")
	known := b.phone(0, "k", macs[1], "7962", "formatted-old", "-vendor-class", "79XX")
	other := b.phone(0, "o", macs[2], "7911", "sccp852", "-vendor-class", "CP-7960G", "-until", "idle")
	s := b.waitStage(macKey(macs[0]), 30*time.Second, "failed")
	if want := "CP-8945 (DHCP option 60) asks for term89.default.loads: not supported yet: no row of the model table has term89.default.loads; add one for this model to models.json"; !strings.HasPrefix(s.Reason, want) {
		t.Errorf("unknown model: %q, want it to start %q", s.Reason, want)
	}
	res, err := unknown.wait(t, 30*time.Second)
	if err != nil || len(res.Requests) == 0 {
		t.Fatalf("the CP-8945: %v:\n%s", err, unknown.log())
	}
	if got := requestNames(res); got[len(got)-1] != "term89.default.loads:not-found" {
		t.Errorf("the CP-8945's requests: %v, want its term file not found", got)
	}
	res, err = known.wait(t, 60*time.Second)
	if err != nil || res.State != "done" || res.Load != "SIP42.9-4-2SR3-1S" {
		t.Errorf("the 7962 with option 60 79XX: %v: %s on %s:\n%s", err, res.State, res.Load, known.log())
	}
	if sum, _ := b.summary(macKey(macs[1])); sum.Model != "CP-7962G" || sum.Stage != "done" {
		t.Errorf("the appliance says %s is a %q in %s", macs[1], sum.Model, sum.Stage)
	}
	res, err = other.wait(t, 60*time.Second)
	if err != nil || res.State != "idle" {
		t.Fatalf("the CP-7960G: %v: %s, want idle without a config:\n%s", err, res.State, other.log())
	}
	for _, q := range res.Requests {
		if q.Outcome != "not-found" {
			t.Errorf("the CP-7960G was served %s (%s); a 7940/7960 must get no file of the 79x1 journey", q.Name, q.Outcome)
		}
	}
	if got := requestNames(res); !slices.Contains(got, "SEP"+macKey(macs[2])+".cnf.xml:not-found") {
		t.Errorf("the CP-7960G's requests: %v, want its SEP config not found", got)
	}
	s = b.waitStage(macKey(macs[2]), 30*time.Second, "failed")
	if !strings.HasPrefix(s.Reason, "CP-7960G (DHCP option 60) asks for ") ||
		!strings.Contains(s.Reason, "not supported yet: a different journey: SIP via OS79XX.TXT and P0S3 loads") {
		t.Errorf("the CP-7960G: %q, want it shown as a 7940/7960's other journey", s.Reason)
	}
}

// Issue 18: a fictional model added by a row of models.json in the state
// directory; its firmware imported with that row and a phone of it, played
// by phonesim from the same file, goes through the whole journey.
func TestIntegrationAcceptModelFile(t *testing.T) {
	rows := `{"models": [{"name": "CP-7999G", "family": "99", "term": "99", "device_type": 999, "xml_model": "Cisco IP Phone 7999",
		"vendor_class": "CP-7999G", "cop": "7999", "password": {"max": 16, "warn": 12}, "stall": {"applying": "30m"}}]}`
	table, mistakes := firmware.ParseModels([]byte(rows), firmware.BuiltinModels())
	if len(mistakes) > 0 {
		t.Fatal(mistakes)
	}
	state := t.TempDir()
	if err := os.WriteFile(filepath.Join(state, firmware.ModelFileName), []byte(rows), 0o644); err != nil {
		t.Fatal(err)
	}
	f := fwgen.FamilyOf(table, "99")
	fw := modelStore(t, state, f.Stone(), f.Target())
	mac := "00:22:90:ad:02:01"
	b := newBenchWithPrefix(t, "pfm", fw, 1, mac+",2001,"+strings.Repeat("x", 20)+",192.0.2.10\n")
	path := b.writeModels(t, rows)
	b.serve()
	p := b.phone(0, "f", mac, "7999", "old-cucm", "-models", path)
	stop := make(chan struct{})
	defer close(stop)
	b.operator(stop) // it trusts a CUCM: the operator keys its reset
	res, err := p.wait(t, 60*time.Second)
	if err != nil || res.State != "done" || res.Load != "SIP99.9-4-2SR3-1S" || res.Resets != 1 {
		t.Fatalf("the CP-7999G: %v: %s on %s after %d resets:\n%s", err, res.State, res.Load, res.Resets, p.log())
	}
	if got := strings.Join(requested(res), " "); !strings.Contains(got, "term99.default.loads jar99sccp.8-5-2TH1-9.sbn") || !strings.Contains(got, "SIP99.9-4-2SR3-1S.loads") {
		t.Errorf("requests: %s", got)
	}
	sum, _ := b.summary(macKey(mac))
	if sum.Model != "CP-7999G" || sum.Stage != "done" || sum.Result != "done (password refused)" || !strings.Contains(sum.Reason, "CP-7999G accepts at most 16") {
		t.Errorf("the appliance says %s %s %s: %q", sum.Model, sum.Stage, sum.Result, sum.Reason)
	}
}
