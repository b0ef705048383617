package appliance

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/phoneflash/phoneflash/appliance/netconf"
	"github.com/phoneflash/phoneflash/appliance/status"
	"github.com/phoneflash/phoneflash/firmware"
)

// DefaultTarget is the SIP load phones are taken to unless -target says
// otherwise.
const DefaultTarget = "SIP11.9-4-2SR1-1S"

// Port is one bench network interface and the address the appliance owns on
// it.
type Port struct {
	Name string       // interface name, e.g. eth1
	Addr netip.Prefix // our address and subnet, e.g. 10.79.1.1/24
}

// Pool returns the first and last address leased on the port: .100 to .199
// of the port's /24 by default; for other prefix lengths, the upper half of
// the subnet minus the broadcast address.
func (p Port) Pool() (first, last netip.Addr) {
	pfx := p.Addr.Masked()
	if p.Addr.Bits() == 24 && p.Addr.Addr().Is4() {
		b := pfx.Addr().As4()
		b[3] = 100
		first = netip.AddrFrom4(b)
		b[3] = 199
		return first, netip.AddrFrom4(b)
	}
	b := pfx.Addr().As4()
	base := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	size := uint32(1) << (32 - p.Addr.Bits())
	lo, hi := base+size/2, base+size-2
	return u32addr(lo), u32addr(hi)
}

func u32addr(v uint32) netip.Addr {
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

// DefaultPortAddr is the address port i (0-based) owns unless configured:
// 10.79.(i+1).1/24.
func DefaultPortAddr(i int) netip.Prefix {
	return netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 79, byte(i + 1), 1}), 24)
}

// Config is everything `phoneflash serve` needs to run the appliance.
type Config struct {
	Ports        []Port
	Uplink       string        // never served; may be absent on this machine
	FirmwareDir  string        // the firmware store
	StateDir     string        // leases, journal, account table uploads
	HTTPAddr     string        // web UI and API listen address; "" disables it
	Target       string        // loads phones end on, per family (firmware.ParseTargets)
	AccountsFile string        // operator's account table (CSV), optional
	PBXPreset    string        // PBX preset of the phones' configs (provision.PresetNames), "" none
	DialPlanFile string        // dialplan.xml to serve instead of one derived from the accounts
	Board        string        // sim, pi or none
	BoardProfile string        // board profile JSON (pi)
	LeaseTime    time.Duration // DHCP lease time
	Policy       string        // "stepping" (default) or "direct": skip the stepping stone
	TimeScale    float64       // multiplies the phones' stall timeouts; 0 or 1 for real phones
	// RegisterTimeout bounds the wait for the PBX's answer to a phone's
	// REGISTER; 0 means session.DefaultRegisterTimeout.
	RegisterTimeout time.Duration

	WaitPorts bool // a bench NIC missing at start is waited for (USB NICs plugged in later), not an error
	// Pins name bench ports by the NIC plugged in (MAC or USB socket): the
	// NIC is renamed to its port's name before it is configured.
	Pins        []netconf.Pin
	WebPassword string // guards the page's actions; "" reads <state>/web-password
	ProtectPage bool   // the page, API and metrics need the password too

	// Route is the bench's nftables table: RouteOff (the zero value: none),
	// RouteFilter, or RouteForward to the uplink (see RouteMode).
	Route RouteMode

	// Problems are shown on the status line from the start and make
	// /healthz unhealthy, e.g. a /perm that could not be used, so that the
	// appliance runs from temporary directories and forgets its state.
	Problems []string

	// Models is the model table; nil reads the built-in rows and
	// <StateDir>/models.json at start (LoadModels).
	Models firmware.Models

	// OnStatus, when set, is called with the bench's status whenever a
	// phone changes and at least once a second (the demo's terminal view).
	OnStatus func(status.Snapshot)
}

// ParsePorts parses a list of bench ports: interface names separated by
// commas, each optionally followed by =ADDR/BITS to override the default
// address 10.79.(i+1).1/24. Errors are *ConfigError for the Ports field.
func ParsePorts(s string) ([]Port, error) {
	if strings.TrimSpace(s) == "" {
		return nil, fieldErr("Ports", "{Ports}: no bench port given; name the bench NICs, e.g. {Ports} eth1,eth2")
	}
	var ports []Port
	for i, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		name, addr, hasAddr := strings.Cut(item, "=")
		if name == "" {
			return nil, fieldErr("Ports", "{Ports}: entry %d is empty; write {Ports} eth1,eth2 without stray commas", i+1)
		}
		p := Port{Name: name, Addr: DefaultPortAddr(i)}
		if hasAddr {
			pfx, err := netip.ParsePrefix(addr)
			if err != nil || !pfx.Addr().Is4() || pfx.Bits() > 29 || pfx.Bits() < 8 {
				return nil, fieldErr("Ports", "{Ports}: %q: address %q is not an IPv4 address with a prefix length from /8 to /29; write it like %s=10.79.1.1/24", name, addr, name)
			}
			if pfx.Addr() == pfx.Masked().Addr() {
				return nil, fieldErr("Ports", "{Ports}: %q: %s is the network address; give the appliance's own address, e.g. %s", name, pfx, netip.PrefixFrom(pfx.Masked().Addr().Next(), pfx.Bits()))
			}
			p.Addr = pfx
		}
		ports = append(ports, p)
	}
	return ports, nil
}

// Env is what Validate looks at on the machine. Fields default to the real
// machine when nil.
type Env struct {
	Interfaces func() ([]net.Interface, error)
}

func (e Env) interfaces() ([]net.Interface, error) {
	if e.Interfaces != nil {
		return e.Interfaces()
	}
	return net.Interfaces()
}

// Validate checks the configuration against itself and the machine. It looks
// at what exists (interfaces, directories, files) and creates or writes
// nothing: preparing directories is the caller's job. Each error is one line
// that says what to change, a *ConfigError naming the field.
func (c Config) Validate(env Env) error {
	if err := c.validatePorts(env); err != nil {
		return err
	}
	if err := checkDir("FirmwareDir", c.FirmwareDir); err != nil {
		return err
	}
	if err := checkDir("StateDir", c.StateDir); err != nil {
		return err
	}
	if c.HTTPAddr != "" {
		if err := checkListenAddr(c.HTTPAddr); err != nil {
			return err
		}
	}
	switch c.Board {
	case "sim", "none":
	case "pi":
		if c.BoardProfile == "" {
			return fieldErr("BoardProfile", "{Board} pi needs {BoardProfile} FILE describing the bench wiring")
		}
	default:
		return fieldErr("Board", "{Board} %q: unknown board; use sim, pi or none", c.Board)
	}
	if c.BoardProfile != "" {
		if err := checkFile("BoardProfile", c.BoardProfile); err != nil {
			return err
		}
	}
	if c.AccountsFile != "" {
		if err := checkFile("AccountsFile", c.AccountsFile); err != nil {
			return err
		}
	}
	return c.validateSettings()
}

func (c Config) validatePorts(env Env) error {
	if len(c.Ports) == 0 {
		return fieldErr("Ports", "{Ports}: no bench port given; name the bench NICs, e.g. {Ports} eth1,eth2")
	}
	ifs, err := env.interfaces()
	if err != nil {
		return fmt.Errorf("listing network interfaces: %w", err)
	}
	var have []string
	for _, ifc := range ifs {
		have = append(have, ifc.Name)
	}
	seen := map[string]bool{}
	subnets := map[netip.Prefix]string{}
	for _, p := range c.Ports {
		if seen[p.Name] {
			return fieldErr("Ports", "{Ports}: %q is listed twice; list each bench NIC once", p.Name)
		}
		seen[p.Name] = true
		if c.Uplink != "" && p.Name == c.Uplink {
			return fieldErr("Ports", "{Ports}: %q is the uplink ({Uplink} %s); the uplink is never served, choose other bench NICs or another {Uplink}", p.Name, c.Uplink)
		}
		if !slices.Contains(have, p.Name) && !c.WaitPorts {
			return fieldErr("Ports", "{Ports}: no network interface %q on this machine (it has: %s); plug in the NIC, fix the name, or add {WaitPorts} to configure it when it appears", p.Name, strings.Join(have, ", "))
		}
		if other, dup := subnets[p.Addr.Masked()]; dup {
			return fieldErr("Ports", "{Ports}: %q and %q share subnet %s; give each bench port its own subnet", other, p.Name, p.Addr.Masked())
		}
		subnets[p.Addr.Masked()] = p.Name
	}
	return nil
}

func (c Config) validateSettings() error {
	if _, err := firmware.ParseTargets(c.Target); err != nil {
		return fieldErr("Target", "{Target} %s", strings.TrimPrefix(err.Error(), "target "))
	}
	switch c.Policy {
	case "", "stepping", "direct":
	default:
		return fieldErr("Policy", "{Policy} %q: use stepping (phones of unknown history get the stepping stone first) or direct", c.Policy)
	}
	if c.TimeScale < 0 || c.TimeScale > 1 {
		return fieldErr("TimeScale", "{TimeScale} %v: use a factor from 0 to 1 (1 for real phones)", c.TimeScale)
	}
	if c.Route < RouteOff || c.Route > RouteForward {
		return fieldErr("Route", "route mode %d: use RouteOff, RouteFilter or RouteForward ({Route}=true|false)", c.Route)
	}
	if c.RegisterTimeout < 0 || c.RegisterTimeout > MaxRegisterTimeout {
		return fieldErr("RegisterTimeout", "{RegisterTimeout} %s: use at most %s (0 for the default)", c.RegisterTimeout, MaxRegisterTimeout)
	}
	if err := c.CheckPBX(); err != nil {
		return err
	}
	if c.LeaseTime < time.Minute {
		return fieldErr("LeaseTime", "{LeaseTime} %s: too short for phones that reboot while flashing; use at least 1m", c.LeaseTime)
	}
	return nil
}

// checkDir checks that dir exists, is a directory and may be written (by
// access(2), which writes nothing).
func checkDir(field, dir string) error {
	if dir == "" {
		return fieldErr(field, "{"+field+"}: no directory given")
	}
	fi, err := os.Stat(dir)
	if errors.Is(err, os.ErrNotExist) {
		return fieldErr(field, "{"+field+"} %s: directory does not exist; create it (mkdir -p %s) or point {"+field+"} elsewhere", dir, dir)
	}
	if err != nil {
		return fieldErr(field, "{"+field+"} %s: %v", dir, errors.Unwrap(err))
	}
	if !fi.IsDir() {
		return fieldErr(field, "{"+field+"} %s: not a directory; point {"+field+"} at a directory", dir)
	}
	if err := syscall.Access(dir, accessWrite); err != nil {
		return fieldErr(field, "{"+field+"} %s: directory is not writable (%v); fix its permissions or point {"+field+"} elsewhere", dir, err)
	}
	return nil
}

// accessWrite is W_OK for access(2).
const accessWrite = 0x2

func checkFile(field, name string) error {
	fi, err := os.Stat(name)
	if err != nil {
		return fieldErr(field, "{"+field+"} %s: cannot read it (%v); give an existing file", name, errors.Unwrap(err))
	}
	if fi.IsDir() {
		return fieldErr(field, "{"+field+"} %s: is a directory; give a file", name)
	}
	return nil
}

func checkListenAddr(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fieldErr("HTTPAddr", "{HTTPAddr} %q: not HOST:PORT; write it like 127.0.0.1:8079 or :8079", addr)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fieldErr("HTTPAddr", "{HTTPAddr} %q: port %q is not a number from 0 to 65535", addr, port)
	}
	if host != "" && host != "localhost" {
		if _, err := netip.ParseAddr(host); err != nil {
			return fieldErr("HTTPAddr", "{HTTPAddr} %q: host %q is not an IP address; use an address of the uplink or 127.0.0.1", addr, host)
		}
	}
	return nil
}
