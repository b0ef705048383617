package appliance

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/phoneflash/phoneflash/appliance/dhcpd"
	"github.com/phoneflash/phoneflash/appliance/journal"
	"github.com/phoneflash/phoneflash/appliance/netconf"
	"github.com/phoneflash/phoneflash/appliance/session"
	"github.com/phoneflash/phoneflash/appliance/status"
	"github.com/phoneflash/phoneflash/appliance/tftpd"
	"github.com/phoneflash/phoneflash/appliance/web"
	"github.com/phoneflash/phoneflash/board"
	"github.com/phoneflash/phoneflash/firmware"
)

// bench ties the phone sessions to everything else: the firmware store and
// account table they decide with, the journal they are kept in, the network
// servers that feed them and the hardware that shows them.
type bench struct {
	cfg      Config
	hw       board.Hardware
	log      *slog.Logger
	store    *firmware.Store
	models   firmware.Models   // the model table: built-in rows and models.json
	targets  *firmware.Targets // -target, per family
	jrnl     *journal.Journal  // nil when the state directory cannot be written
	mgr      *session.Manager
	leases   *leaseIndex // who holds which bench address, for TFTP
	accounts *accounts
	metrics  *web.Metrics
	start    time.Time    // monotonic: OLED pages and shifts
	early    earlyAnswers // TFTP answers sent before their records were on disk
	// answerWait bounds how long a TFTP answer waits for its phone's
	// records (the constant answerWait; tests make it longer).
	answerWait time.Duration
	fed        map[string]bool // ports whose SIP watcher RunSockets' caller feeds (sip.go)

	mu       sync.Mutex
	problems []string // what the status line says is wrong, most serious first
	uplink   string
	uplinkAt time.Time
}

// newBench opens the firmware store, the account table and the journal,
// and resumes the sessions the journal holds. What cannot be opened is
// shown on the status line; the appliance keeps serving what it can.
func newBench(cfg Config, hw board.Hardware, log *slog.Logger) (*bench, error) {
	return openBench(cfg, hw, log, journal.Options{})
}

// openBench is newBench with the journal's options (tests block or fail
// its syncs).
func openBench(cfg Config, hw board.Hardware, log *slog.Logger, jopts journal.Options) (*bench, error) {
	b := &bench{cfg: cfg, hw: hw, log: log, start: time.Now(), metrics: web.NewMetrics(),
		answerWait: answerWait}
	for _, p := range cfg.Problems {
		b.problem(p)
	}
	store, err := firmware.OpenStore(cfg.FirmwareDir)
	if err != nil {
		return nil, fmt.Errorf("opening firmware store %s: %w", cfg.FirmwareDir, err)
	}
	b.store = store
	if b.models, err = benchModels(cfg); err != nil {
		return nil, err
	}
	store.SetModels(b.models)
	if b.targets, err = benchTargets(cfg); err != nil {
		return nil, err
	}
	prov, err := loadAccounts(cfg)
	if err != nil {
		return nil, err
	}
	b.accounts = prov
	if jopts.Log == nil {
		jopts.Log = log.With("component", "journal")
	}
	if j, err := journal.Open(cfg.StateDir, jopts); err != nil {
		log.Error("journal: state directory not writable; phone progress is not saved", "state", cfg.StateDir, "err", err)
		b.problem("state read-only")
	} else {
		b.jrnl = j
	}
	mc := session.ManagerConfig{
		Machine: session.Machine{
			Catalog: store, Configs: prov, Policy: firmware.Policy(cfg.Policy),
			Models: b.models, Targets: b.targets,
			Timeouts:     timeouts(cfg),
			PowerControl: b.powerControl,
			Registration: b.registrationPlan,
		},
		Accounts: prov, PowerCycle: b.powerCycle, CheckSync: b.checkSync,
		Log: log.With("component", "session"),
	}
	if b.jrnl != nil {
		mc.Journal = recorder{b.jrnl}
	}
	b.mgr = session.NewManager(mc)
	b.resume()
	b.leases = leasesOf(b.mgr.Snapshot())
	return b, nil
}

func timeouts(cfg Config) session.Timeouts {
	t := session.DefaultTimeouts()
	if cfg.TimeScale > 0 {
		t.Scale = cfg.TimeScale
	}
	t.Register = cfg.registerTimeout()
	return t
}

func (b *bench) problem(p string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, have := range b.problems {
		if have == p {
			return
		}
	}
	b.problems = append(b.problems, p)
}

func (b *bench) portIndex(name string) int {
	for i, p := range b.cfg.Ports {
		if p.Name == name {
			return i
		}
	}
	return -1
}

// portOf names the bench port whose address is local.
func (b *bench) portOf(local netip.Addr) string {
	for _, p := range b.cfg.Ports {
		if p.Addr.Addr() == local.Unmap() {
			return p.Name
		}
	}
	return ""
}

func (b *bench) powerControl(port string) bool {
	i := b.portIndex(port)
	_, ok := b.hw.ChannelOf(i)
	return i >= 0 && ok && b.hw.PSE() != nil
}

func (b *bench) powerCycle(port string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return cyclePort(ctx, b.hw, b.portIndex(port), powerCycleOff)
}

// powerCycleOff is how long a power cycle keeps the phone off.
const powerCycleOff = 2 * time.Second

// handlers are what the bench network reports to and asks: the sessions.
func (b *bench) handlers() handlers {
	return handlers{dhcp: b.onDHCP, tftp: b.onTFTP, link: b.onLink, resolve: b.resolve, client: b.clientAttrs,
		sip: b.onSIPWatch, register: b.onBenchRegister}
}

// resolve answers a TFTP request: a phone's through its session, once the
// phone's records up to the answer are on disk (awaitRecords), any other
// client's from the firmware store by name.
func (b *bench) resolve(ctx context.Context, r tftpd.Request) (tftpd.Content, error) {
	if mac, ok := b.phoneFor(r.Client.Addr(), r.Name); ok {
		a, synced := b.mgr.Request(session.TFTPRequest{MAC: mac, File: r.Name})
		b.awaitRecords(ctx, synced, b.portOf(r.Local), mac, r.Name)
		return b.answer(a)
	}
	return b.storeFile(r.Name)
}

// phoneAt returns the MAC of the phone leased client's address, when the
// bench follows its session.
func (b *bench) phoneAt(client netip.Addr) (string, bool) {
	mac, ok := b.leases.macAt(client)
	if !ok {
		return "", false
	}
	if _, known := b.mgr.State(mac); !known {
		return "", false
	}
	return mac, true
}

// phoneFor returns the MAC of the phone a TFTP request for name comes
// from: the phone leased the client's address, unless the name is another
// phone's own file (SEP<MAC>.cnf.xml, CTLSEP<MAC>.tlv: namedPhone). An
// address can change hands while the bench does not see it: an appliance
// that ran from a temporary state directory (-perm-fallback, /perm
// read-only) leased it to another phone, and the one restarted on /perm
// still has its own lease of it. The name is the phone's own word, so it
// wins: the address is bound to the phone it names when the bench follows
// that one, and otherwise to no phone, so that no request is taken for
// another phone's, none of its answers recorded in the wrong history.
func (b *bench) phoneFor(client netip.Addr, name string) (string, bool) {
	mac, ok := b.phoneAt(client)
	named := namedPhone(name)
	if named == "" || (ok && named == mac) {
		return mac, ok
	}
	if _, known := b.mgr.State(named); known {
		b.leases.bind(client, named)
		if ok {
			b.log.Warn("TFTP request names another phone than the one leased its address: following the name",
				"client", client.String(), "leased_to", mac, "mac", named, "file", name)
		}
		return named, true
	}
	if ok {
		b.leases.unbind(client, mac)
		b.log.Warn("TFTP request names a phone the bench does not follow, from an address leased to another: the address is no longer taken for it",
			"client", client.String(), "leased_to", mac, "mac", named, "file", name)
	}
	return "", false
}

func (b *bench) answer(a session.Answer) (tftpd.Content, error) {
	switch a.Kind {
	case session.AnswerFile:
		f, err := b.store.Open(a.Load, a.File)
		if err != nil {
			b.log.Error("opening firmware file", "load", a.Load, "file", a.File, "err", err)
			return tftpd.Content{}, tftpd.ErrNotFound
		}
		return tftpd.File(f)
	case session.AnswerBytes:
		return tftpd.Bytes(a.Data), nil
	}
	return tftpd.Content{}, tftpd.ErrNotFound
}

var dhcpKinds = map[dhcpd.EventKind]session.DHCPKind{
	dhcpd.EventDiscover: session.DHCPDiscover,
	dhcpd.EventRequest:  session.DHCPRequest,
	dhcpd.EventAck:      session.DHCPAck,
	dhcpd.EventDecline:  session.DHCPDecline,
	dhcpd.EventRelease:  session.DHCPRelease,
}

func (b *bench) onDHCP(ev dhcpd.Event) {
	switch ev.Kind {
	case dhcpd.EventExhausted:
		b.problem("DHCP pool full on " + ev.Port)
		b.metrics.Error("dhcp-pool-exhausted")
	case dhcpd.EventRogueServer:
		b.problem(ev.RogueText())
		b.metrics.Error("dhcp-rogue-server")
	case dhcpd.EventAck:
		b.leases.bind(ev.IP, ev.MAC.String())
		b.metrics.DHCPLease(ev.Port, ev.Leases)
	case dhcpd.EventRelease, dhcpd.EventDecline:
		b.leases.unbind(ev.IP, ev.MAC.String())
		b.metrics.DHCPLease(ev.Port, ev.Leases)
	}
	kind, ok := dhcpKinds[ev.Kind]
	if !ok || !firmware.IsPhone(ev.VendorClass, ev.Hostname, ev.MAC) {
		return
	}
	e := session.DHCP{Kind: kind, MAC: ev.MAC.String(), Port: ev.Port, PortIndex: b.portIndex(ev.Port),
		VendorClass: ev.VendorClass, Hostname: ev.Hostname}
	if ev.IP.IsValid() {
		e.IP = ev.IP.String()
	}
	b.mgr.Handle(e)
}

func (b *bench) onTFTP(ev tftpd.Event) {
	switch ev.Kind {
	case tftpd.EventDone:
		b.metrics.TransferDone(b.portOf(ev.Local), ev.Bytes)
	case tftpd.EventFailed:
		b.metrics.TransferFailed(b.portOf(ev.Local))
	}
	mac, ok := b.phoneAt(ev.Client.Addr())
	if !ok {
		return
	}
	switch ev.Kind {
	case tftpd.EventProgress:
		b.mgr.Handle(session.TFTPProgress{MAC: mac, File: ev.Name, Bytes: ev.Bytes, Total: ev.Total})
	case tftpd.EventDone:
		b.mgr.Handle(session.TFTPDone{MAC: mac, File: ev.Name})
	case tftpd.EventFailed:
		msg := "transfer failed"
		if ev.Err != nil {
			msg = ev.Err.Error()
		}
		b.mgr.Handle(session.TFTPFailed{MAC: mac, File: ev.Name, Err: msg})
	}
}

func (b *bench) onLink(ev netconf.Event) {
	switch ev.Kind {
	case netconf.EventCarrierOn, netconf.EventUp:
		b.mgr.Handle(session.Link{Port: ev.Port, Up: true})
	case netconf.EventCarrierOff, netconf.EventDown, netconf.EventVanish:
		b.mgr.Handle(session.Link{Port: ev.Port, Up: false})
	}
}

// onPower feeds PoE events: power on or off of a port's channel.
func (b *bench) onPower(ev board.PSEEvent) {
	port := -1
	for i := range b.cfg.Ports {
		if ch, ok := b.hw.ChannelOf(i); ok && ch == ev.Channel {
			port = i
		}
	}
	if port < 0 {
		return
	}
	name := b.cfg.Ports[port].Name
	b.metrics.PoECurrent(name, ev.Status.CurrentA)
	switch ev.Kind {
	case board.EventPowerGood:
		b.mgr.Handle(session.Power{Port: name, On: true})
	case board.EventPowerOff, board.EventDisconnect, board.EventOverCurrent, board.EventShort:
		b.mgr.Handle(session.Power{Port: name, On: false})
	}
}

// firmwareProblem says what the store lacks, read anew each time so that
// firmware uploaded through the page clears it at once.
func (b *bench) firmwareProblem() string {
	if len(b.store.Loads()) == 0 {
		return "no firmware: import it"
	}
	if l := b.missingTarget(); l != "" {
		return "target " + l + " not imported"
	}
	return ""
}

// stateLine is the appliance's state on the status line: the most serious
// problem, or ready. Problems of the configuration (an unusable /perm) come
// first, then hardware that does not answer, then missing firmware, then
// what happened since the start.
func (b *bench) stateLine() string {
	b.mu.Lock()
	probs := slices.Clone(b.problems)
	b.mu.Unlock()
	if fw := b.firmwareProblem(); fw != "" {
		probs = slices.Insert(probs, min(len(b.cfg.Problems), len(probs)), fw)
	}
	probs = slices.Insert(probs, min(len(b.cfg.Problems), len(probs)), faultTexts(hardwareFaults(b.hw))...)
	if len(probs) == 0 {
		return status.Ready
	}
	return probs[0]
}

// snapshot is what the display, the LEDs and observers show.
func (b *bench) snapshot() status.Snapshot {
	s := status.Snapshot{State: b.stateLine(), Uplink: b.uplinkAddr()}
	phones := b.mgr.Snapshot()
	var targets []string
	for _, ph := range phones {
		targets = append(targets, ph.Target)
	}
	s.Target = b.targetSummary(targets)
	for i, p := range b.cfg.Ports {
		pv := status.PortView{Index: i, Name: p.Name}
		for _, ph := range phones {
			if ph.Port == p.Name {
				pv.Phones = append(pv.Phones, ph)
			}
		}
		s.Ports = append(s.Ports, pv)
	}
	return s
}

// uplinkAddr is the uplink's IPv4 address, looked up at most every 5 s.
func (b *bench) uplinkAddr() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	if time.Since(b.uplinkAt) < 5*time.Second {
		return b.uplink
	}
	b.uplinkAt = time.Now()
	b.uplink = ""
	ifc, err := net.InterfaceByName(b.cfg.Uplink)
	if err != nil {
		return ""
	}
	addrs, _ := ifc.Addrs()
	for _, a := range addrs {
		if ipn, ok := a.(*net.IPNet); ok && ipn.IP.To4() != nil {
			b.uplink = ipn.IP.String()
			break
		}
	}
	return b.uplink
}

// observe calls fn with a snapshot whenever the phones change, and at least
// once a second, until ctx is done.
func (b *bench) observe(ctx context.Context, fn func(status.Snapshot)) error {
	changed, cancel := b.mgr.Subscribe()
	defer cancel()
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		fn(b.snapshot())
		select {
		case <-ctx.Done():
			return nil
		case <-changed:
		case <-t.C:
		}
	}
}
