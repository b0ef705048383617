package session

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/phoneflash/phoneflash/appliance/journal"
	"github.com/phoneflash/phoneflash/appliance/provision"
	"github.com/phoneflash/phoneflash/firmware"
)

// journalRecorder adapts the journal as appliance does.
type journalRecorder struct{ j *journal.Journal }

func (r journalRecorder) Record(rec Record) error { return r.j.Append(rec.MAC, rec) }

var (
	_ Catalog  = (*firmware.Store)(nil)
	_ Configs  = (*provision.Provisioner)(nil)
	_ Accounts = (*provision.Provisioner)(nil)
)

// bench runs a Manager wired to the real journal and provisioner, with a
// clock the test moves.
type bench struct {
	t      *testing.T
	dir    string
	j      *journal.Journal
	jopts  journal.Options // for the next start
	tee    *teeRecorder    // if set, sees every record on its way to the journal
	prov   *provision.Provisioner
	m      *Manager
	mu     sync.Mutex
	now    time.Time
	cycles chan string
}

func newBench(t *testing.T, table string, power bool) *bench {
	t.Helper()
	tab, err := provision.ParseTable(strings.NewReader(table))
	if err != nil {
		t.Fatal(err)
	}
	b := &bench{t: t, dir: t.TempDir(), prov: &provision.Provisioner{Table: tab}, now: t0, cycles: make(chan string, 10)}
	b.start(power)
	t.Cleanup(func() { b.j.Close(context.Background()) })
	return b
}

// start (re)starts the appliance's session owner from the journal, as a
// SIGKILL would once the previous journal's writer caught up (milliseconds
// after the last event): what it queued is on disk.
func (b *bench) start(power bool) {
	b.t.Helper()
	if b.j != nil {
		if err := b.j.Close(context.Background()); err != nil {
			b.t.Fatal(err)
		}
	}
	j, err := journal.Open(b.dir, b.jopts)
	if err != nil {
		b.t.Fatal(err)
	}
	b.j = j
	var rec Recorder = journalRecorder{j}
	if b.tee != nil {
		b.tee.next, rec = rec, b.tee
	}
	mach := Machine{Catalog: newCatalog(true), Configs: b.prov, Policy: firmware.PolicyStepping, Timeouts: DefaultTimeouts()}
	if power {
		mach.PowerControl = func(string) bool { return true }
	}
	b.m = NewManager(ManagerConfig{Machine: mach, Target: targetLoad, Accounts: b.prov, Journal: rec,
		Now: b.clock, PowerCycle: func(port string) error { b.cycles <- port; return nil }})
	var states []State
	for _, h := range b.histories() {
		s, ok, err := h.Resumable()
		if err != nil {
			b.t.Fatal(err)
		}
		if ok {
			states = append(states, s)
		}
	}
	b.m.Resume(states)
}

// histories reads every phone's history once what was recorded is on disk.
func (b *bench) histories() []History {
	b.t.Helper()
	if err := b.j.Flush(context.Background()); err != nil {
		b.t.Fatal(err)
	}
	logs, err := journal.Read(b.dir)
	if err != nil {
		b.t.Fatal(err)
	}
	var hs []History
	for _, l := range logs {
		hs = append(hs, DecodeHistory(l.Key, l.Lines, l.Damaged))
	}
	return hs
}

func (b *bench) clock() time.Time {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.now
}

func (b *bench) advance(d time.Duration) {
	for i := time.Duration(0); i < d; i += time.Second {
		b.mu.Lock()
		b.now = b.now.Add(time.Second)
		b.mu.Unlock()
		b.m.Handle(Tick{})
	}
}

// simPhone is a scripted phone: each step is one thing it does.
type simPhone struct {
	b         *bench
	mac, port string
	idx       int
	vci       string
	steps     []func()
}

func (p *simPhone) req(file string) Answer {
	return p.b.m.Handle(TFTPRequest{MAC: p.mac, File: file})
}

func (p *simPhone) boot() {
	p.b.m.Handle(DHCP{Kind: DHCPDiscover, MAC: p.mac, Port: p.port, PortIndex: p.idx, VendorClass: p.vci})
	p.b.m.Handle(DHCP{Kind: DHCPAck, MAC: p.mac, Port: p.port, PortIndex: p.idx, VendorClass: p.vci, IP: "10.79.1.1" + p.mac[11:]})
}

func (p *simPhone) expect(a Answer, kind AnswerKind, load, contains string) {
	p.b.t.Helper()
	if a.Kind != kind || a.Load != load || !strings.Contains(string(a.Data), contains) {
		p.b.t.Fatalf("%s: answer %s %s %q, want %s %s containing %q", p.mac, a.Kind, a.Load, a.Data, kind, load, contains)
	}
}

func (p *simPhone) sccpConfig(names string) func() {
	return func() {
		p.boot()
		p.req("CTLSEP" + p.mac + ".tlv")
		p.req("ITLSEP" + p.mac + ".tlv")
		p.expect(p.req("SEP"+p.mac+".cnf.xml"), AnswerBytes, "", "<loadInformation>"+names+"</loadInformation>")
	}
}

func (p *simPhone) sipConfig() func() {
	return func() {
		p.boot()
		for _, f := range []string{"CTLSEP" + p.mac + ".tlv", "ITLSEP" + p.mac + ".tlv", "ITLFile.tlv"} {
			p.expect(p.req(f), AnswerNotFound, "", "")
		}
		p.expect(p.req("SEP"+p.mac+".cnf.xml"), AnswerBytes, "", "<deviceProtocol>SIP</deviceProtocol>")
	}
}

func (p *simPhone) loads(load string) func() {
	return func() {
		p.expect(p.req(load+".loads"), AnswerFile, load, "")
		p.b.m.Handle(TFTPDone{MAC: p.mac, File: load + ".loads"})
	}
}

func (p *simPhone) images(load string) []func() {
	l, _ := newCatalog(true).Load(load)
	imgs := l.Images
	var steps []func()
	for _, f := range imgs {
		steps = append(steps, func() {
			p.expect(p.req(f), AnswerFile, load, "")
			p.b.m.Handle(TFTPProgress{MAC: p.mac, File: f, Bytes: 512, Total: 1000})
			p.b.m.Handle(TFTPDone{MAC: p.mac, File: f})
		})
	}
	return steps
}

func (p *simPhone) oldLoaderScript() {
	p.steps = append(p.steps,
		func() {
			p.boot()
			p.req("CTLSEP" + p.mac + ".tlv")
			p.req("ITLSEP" + p.mac + ".tlv")
			p.expect(p.req("SEP"+p.mac+".cnf.xml.sgn"), AnswerNotFound, "", "")
		},
		func() { // the operator keys the factory reset
			p.boot()
			p.expect(p.req("term06.default.loads"), AnswerFile, stepLoad, "")
		})
	p.steps = append(p.steps, p.images(stepLoad)...)
	p.steps = append(p.steps, p.sccpConfig(targetLoad), p.loads(targetLoad))
	p.steps = append(p.steps, p.images(targetLoad)...)
	p.steps = append(p.steps, p.sipConfig())
}

// TestBench is the acceptance bench: two 7906G with old loaders and a CUCM
// trust list, a 7911G on SCCP 8.5(2), a 7906G already on SIP, on two ports;
// the account table gives one phone a 40-character password and runs out
// before the last. The appliance restarts while a phone is loading.
func TestBench(t *testing.T) {
	table := "mac,port,extension,display_name,password,pbx_host\n" +
		"00:11:22:00:00:03,,1001,Seven Eleven,pw1001,192.0.2.10\n" +
		",eth1,1002,Port One,pw1002,192.0.2.10\n" +
		",,1003,Long,0123456789012345678901234567890123456789,192.0.2.10\n"
	b := newBench(t, table, false)
	a := &simPhone{b: b, mac: "001122000001", port: "eth1", idx: 0, vci: vci06}
	bb := &simPhone{b: b, mac: "001122000002", port: "eth1", idx: 0, vci: vci06}
	c := &simPhone{b: b, mac: "001122000003", port: "eth2", idx: 1, vci: vci11}
	d := &simPhone{b: b, mac: "001122000004", port: "eth2", idx: 1, vci: vci06}
	a.oldLoaderScript()
	bb.oldLoaderScript()
	c.steps = append(c.steps, c.sccpConfig(targetLoad), c.loads(targetLoad))
	c.steps = append(c.steps, c.images(targetLoad)...)
	c.steps = append(c.steps, c.sipConfig())
	d.steps = append(d.steps, d.sipConfig())

	updates, stop := b.m.Subscribe()
	defer stop()
	phones := []*simPhone{a, bb, c, d}
	for round := 0; ; round++ {
		busy := false
		for _, p := range phones {
			if round < len(p.steps) {
				p.steps[round]()
				busy = true
			}
		}
		b.advance(time.Second)
		if round == 4 { // a is loading file 3 of the stepping stone: SIGKILL and restart
			if s, _ := b.m.State(a.mac); s.Stage != StageLoading {
				t.Fatalf("a is %s before the restart", s.Stage)
			}
			b.start(false)
		}
		if !busy {
			break
		}
	}
	b.advance(30 * time.Second) // d settles on its SIP config
	select {
	case <-updates:
	default:
		t.Error("no update after changes")
	}

	got := map[string]string{}
	for _, p := range b.m.Snapshot() {
		got[p.MAC] = fmt.Sprintf("%s %s %s %s %q", p.Stage, p.Load, p.Account, p.Result, p.Reason)
	}
	want := map[string]string{
		a.mac:  `done SIP11.9-4-2SR1-1S 1002 done ""`,
		bb.mac: `done SIP11.9-4-2SR1-1S 1003 done (password refused) "password for 1003 is 40 characters; CP-7906G accepts at most 30: shorten it in the account table"`,
		c.mac:  `done SIP11.9-4-2SR1-1S 1001 done ""`,
		d.mac:  `done SIP11.9-4-2SR1-1S  done (no account) "no account"`,
	}
	for mac, w := range want {
		if got[mac] != w {
			t.Errorf("%s: %s\n want %s", mac, got[mac], w)
		}
	}
	if len(b.cycles) != 0 {
		t.Errorf("%d power cycles", len(b.cycles))
	}
	b.checkJournal(map[string]int{a.mac: 1, bb.mac: 1, c.mac: 0, d.mac: 0})
}

// checkJournal: one factory reset per old-loader phone, the restart in every
// history, and a report line per phone.
func (b *bench) checkJournal(resets map[string]int) {
	t := b.t
	hs := b.histories()
	for _, h := range hs {
		n, restarts := 0, 0
		for _, r := range h.Records {
			if r.Kind == "stage" && r.Stage == string(StageNeedsReset) {
				n++
			}
			if r.Kind == "restart" {
				restarts++
			}
		}
		if n != resets[h.MAC] || restarts != 1 {
			t.Errorf("%s: %d needs-reset, %d restarts; want %d and 1", h.MAC, n, restarts, resets[h.MAC])
		}
	}
	var buf bytes.Buffer
	if err := WriteCSV(&buf, hs); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 5 || !strings.HasPrefix(lines[1], "001122000001,CP-7906G,SCCP with a CUCM trust list,SIP11.9-4-2SR1-1S,1002,done,") ||
		!strings.HasPrefix(lines[4], "001122000004,CP-7906G,SIP11.9-4-2SR1-1S,SIP11.9-4-2SR1-1S,,done (no account),") {
		t.Errorf("report:\n%s", buf.String())
	}
}

func TestManagerPowerCycleAndUnknown(t *testing.T) {
	b := newBench(t, "extension,pbx_host\n", true)
	p := &simPhone{b: b, mac: "001122000009", port: "eth3", idx: 2, vci: vci11}
	p.boot()
	if a := b.m.Handle(TFTPRequest{MAC: "", File: "term11.default.loads"}); a.Kind != AnswerNotFound {
		t.Fatalf("unknown address answered %+v", a)
	}
	b.m.Handle(TFTPProgress{MAC: "00112200FFFF", File: "x"}) // unknown phone: ignored
	if _, ok := b.m.State("00112200FFFF"); ok {
		t.Fatal("progress created a phone")
	}
	b.advance(2*time.Minute + time.Second)
	select {
	case port := <-b.cycles:
		if port != "eth3" {
			t.Fatalf("cycled %s", port)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no power cycle")
	}
	b.m.Handle(Power{Port: "eth3", On: false})
	if s, _ := b.m.State(p.mac); s.Stage != StageEmpty {
		t.Fatalf("after power off: %s", s.Stage)
	}
	b.m.Handle(Power{Port: "eth3", On: true})
	if s, _ := b.m.State(p.mac); s.Stage != StagePowered || s.Account != "" {
		t.Fatalf("after power on: %s account %q", s.Stage, s.Account)
	}
	b.histories() // flushed
	raw, _ := os.ReadFile(filepath.Join(b.dir, journal.Subdir, p.mac+".jsonl"))
	if !bytes.Contains(raw, []byte(`"kind":"power-cycle"`)) {
		t.Fatalf("journal lacks the power cycle:\n%s", raw)
	}
	var last Record
	lines := bytes.Split(bytes.TrimSpace(raw), []byte("\n"))
	if err := json.Unmarshal(lines[len(lines)-1], &last); err != nil || last.Stage != string(StagePowered) {
		t.Fatalf("last record %+v %v", last, err)
	}
}

func TestManagerRunTicks(t *testing.T) {
	b := newBench(t, "extension,pbx_host\n", false)
	p := &simPhone{b: b, mac: "001122000005", port: "eth1", vci: vci06}
	p.sipConfig()()
	b.mu.Lock()
	b.now = b.now.Add(time.Minute) // past the settle time
	b.mu.Unlock()
	updates, stop := b.m.Subscribe()
	defer stop()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- b.m.Run(ctx, time.Millisecond) }()
	select {
	case <-updates:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not tick")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if s, _ := b.m.State(p.mac); s.Stage != StageDone {
		t.Fatalf("stage %s", s.Stage)
	}
}

func TestManagerIgnoresInvalidMAC(t *testing.T) {
	b := newBench(t, "extension,pbx_host\n", false)
	b.m.Handle(DHCP{Kind: DHCPDiscover, MAC: "nonsense", Port: "eth1"})
	if a := b.m.Handle(TFTPRequest{MAC: "", File: "/term06.default.loads"}); a.Kind != AnswerNotFound || a.File != "term06.default.loads" {
		t.Fatalf("answer %+v", a)
	}
	if n := len(b.m.Snapshot()); n != 0 {
		t.Fatalf("%d phones from invalid MACs", n)
	}
	// Sessions begin with a phone's DHCP: a TFTP request from a MAC
	// without one, even naming itself, is not found and starts nothing.
	for _, mac := range []string{"", "001122000008"} {
		if a := b.m.Handle(TFTPRequest{MAC: mac, File: "SEP001122000008.cnf.xml"}); a.Kind != AnswerNotFound {
			t.Fatalf("request from %q: answer %+v", mac, a)
		}
	}
	if n := len(b.m.Snapshot()); n != 0 {
		t.Fatalf("%d phones from TFTP requests without DHCP", n)
	}
}

// TestRestartKeepsEvidence: what the phone fetched before a restart still
// counts afterwards (design step 9 across a SIGKILL).
func TestRestartKeepsEvidence(t *testing.T) {
	b := newBench(t, "extension,pbx_host\n", false)
	p := &simPhone{b: b, mac: "001122000007", port: "eth1", vci: vci11}
	p.sccpConfig(targetLoad)()
	p.loads(targetLoad)()
	b.start(false)           // SIGKILL and restart: the phone's .loads fetch must survive
	p.sccpConfig(stepLoad)() // it fetched the .loads but no image: refused, stepping stone next
	s, _ := b.m.State(p.mac)
	if s.Current.Kind != firmware.CurrentOldLoader || s.Restarts != 1 || !strings.Contains(s.Reason, "switched to the stepping stone") {
		t.Fatalf("after restart: current %+v restarts %d reason %q", s.Current, s.Restarts, s.Reason)
	}
}

func TestManagerSparesBusyNeighbours(t *testing.T) {
	b := newBench(t, "extension,pbx_host\n", true)
	busy := &simPhone{b: b, mac: "001122000011", port: "eth1", vci: vci06}
	stuck := &simPhone{b: b, mac: "001122000012", port: "eth1", vci: vci11}
	busy.boot()
	busy.expect(busy.req("term06.default.loads"), AnswerFile, stepLoad, "")
	stuck.boot()
	for _, f := range busy.images(stepLoad) {
		f()
		b.advance(30 * time.Second) // the neighbour keeps loading while the stuck one stalls
	}
	s, _ := b.m.State(stuck.mac)
	if s.Stage != StageNeedsReset || len(b.cycles) != 0 {
		t.Fatalf("stuck phone %s (%q), %d power cycles of the shared port", s.Stage, s.Reason, len(b.cycles))
	}
}
