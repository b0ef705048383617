package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"time"

	"github.com/phoneflash/phoneflash/appliance"
	"github.com/phoneflash/phoneflash/appliance/netconf"
	"github.com/phoneflash/phoneflash/board"
	"github.com/phoneflash/phoneflash/board/pi"
	"github.com/phoneflash/phoneflash/board/sim"
)

const permDir = "/perm/phoneflash"

// serveOpts are the flags of `phoneflash serve`: the configuration and what
// only the command line does with it.
type serveOpts struct {
	cfg          appliance.Config
	permFallback bool // replace an unusable -firmware or -state by a temporary directory
}

// flagOf names the serve flag of each Config field, so that the library's
// errors read as the command line is written.
var flagOf = map[string]string{
	"Ports": "-ports", "Uplink": "-uplink", "FirmwareDir": "-firmware", "StateDir": "-state",
	"HTTPAddr": "-http", "Target": "-target", "AccountsFile": "-accounts", "Board": "-board",
	"BoardProfile": "-board-profile", "LeaseTime": "-lease-time", "Policy": "-policy",
	"TimeScale": "-time-scale", "WebPassword": "-web-password", "ProtectPage": "-protect-page",
	"WaitPorts": "-wait-ports", "Route": "-route", "PBXPreset": "-pbx-preset", "DialPlanFile": "-dialplan",
	"RegisterTimeout": "-register-timeout",
}

// flagWording turns a *appliance.ConfigError into the flags' words; other
// errors are returned as they are.
func flagWording(err error) error {
	var ce *appliance.ConfigError
	if !errors.As(err, &ce) {
		return err
	}
	return errors.New(ce.Format(func(field string) string {
		if f, ok := flagOf[field]; ok {
			return f
		}
		return field
	}))
}

// serveFlags parses the flags of `phoneflash serve`.
func serveFlags(args []string, stderr io.Writer) (serveOpts, error) {
	fs := newFlags("serve", "Usage: phoneflash serve -ports IF[,IF...] [flags]\n\nRuns the appliance: configures the bench ports, serves DHCP and TFTP on them,\nwalks every phone to the target load and shows progress.\n\nExit codes: 125 a configuration that cannot work (one line says what to change;\ngokrazy does not restart it), 1 a failure (gokrazy restarts it), 143 stopped by\nSIGTERM or SIGINT, 0 only for -h.", stderr)
	var o serveOpts
	cfg := &o.cfg
	ports := fs.String("ports", "", "bench `NICs`, comma-separated, in port order (port 1 first). Port i owns 10.79.(i+1).1/24\nand leases .100-.199; override one with NAME=ADDR/BITS, e.g. eth1=10.80.0.1/24. Required.")
	fs.StringVar(&cfg.Uplink, "uplink", "eth0", "the `NIC` facing the office LAN; never served, never touched")
	fs.StringVar(&cfg.FirmwareDir, "firmware", permDir+"/firmware", "firmware store `dir`ectory (created with its parents when missing)")
	fs.StringVar(&cfg.StateDir, "state", permDir+"/state", "state `dir`ectory: leases, phone journal, uploads (created with its parents when missing)")
	fs.StringVar(&cfg.HTTPAddr, "http", "127.0.0.1:8079", "web page and API listen `address`; keep it off the bench ports (an uplink address, or empty to disable)")
	fs.StringVar(&cfg.Target, "target", appliance.DefaultTarget, "the `loads` phones end on, one per family, comma-separated (SIP11.9-4-2SR1-1S,SIP42.9-4-2SR3-1S),\n"+
		"and at most one release (9.4(2)SR3): a family the list names no load of gets the store's SIP load of that\n"+
		"release (or of the first load named), else the newest SIP load the store holds for it")
	fs.StringVar(&cfg.AccountsFile, "accounts", "", "operator's account table, CSV with a header (`file`); without it phones end 'done (no account)'")
	fs.StringVar(&cfg.PBXPreset, "pbx-preset", "", appliance.PresetUsage)
	fs.StringVar(&cfg.DialPlanFile, "dialplan", "", "dial plan `file` (the phone's DIALTEMPLATE XML), served as dialplan.xml instead of one made from the account table")
	fs.StringVar(&cfg.Board, "board", "none", "hardware: sim (simulated PSE, display, LEDs), pi (the Raspberry Pi bench) or none (no power control)")
	fs.StringVar(&cfg.BoardProfile, "board-profile", "", "board profile JSON (`file`): I2C bus, PSE and OLED addresses, per-port PoE channel, LED and NIC pin\n(mac or usb_path); required for -board pi, read with any -board for its NIC pins")
	fs.DurationVar(&cfg.LeaseTime, "lease-time", time.Hour, "DHCP lease `duration` handed to phones")
	fs.DurationVar(&cfg.RegisterTimeout, "register-timeout", appliance.DefaultRegisterTimeout, "how long to wait for the PBX's answer to a phone's REGISTER before it is done, not registered (at most 60s)")
	fs.StringVar(&cfg.Policy, "policy", "stepping", "upgrade `policy`: stepping (phones of unknown history get the SCCP 8.5(2) stepping stone first)\nor direct (straight to -target, for operators who know their phones run 8.3(3) or later)")
	fs.Float64Var(&cfg.TimeScale, "time-scale", 1, "`factor` for the phones' stall timeouts; 1 for real phones, smaller for simulated phones that run faster")
	fs.StringVar(&cfg.WebPassword, "web-password", "", "`password` for the web page's actions (power-cycle, retry, forget, uploads, report);\nwithout it the first line of <state>/web-password is used, and without that the actions are disabled")
	fs.BoolVar(&cfg.ProtectPage, "protect-page", false, "require the password for the status page, API and metrics too (not only for actions)")
	fs.Var(appliance.RouteFlag(&cfg.Route), "route", "route the bench ports to -uplink with NAT (DHCP names the port as router and the uplink's resolvers);\nfalse forwards nothing. Either way bench ports reach only DHCP, TFTP and SIP on the appliance")
	fs.BoolVar(&cfg.WaitPorts, "wait-ports", false, "a bench NIC missing at start is not an error: it is configured and served when it appears\n(USB NICs plugged in after boot; the gokrazy image sets it)")
	fs.BoolVar(&o.permFallback, "perm-fallback", false, "when -firmware or -state cannot be used (a missing or read-only /perm), run from a temporary\ndirectory and show the problem on the display, the page and /healthz instead of exiting (the gokrazy image sets it)")
	// A mistake is one line (gokrazy shows the last lines of the log); the
	// usage is printed for -h only.
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		fs.SetOutput(stderr)
		if errors.Is(err, flag.ErrHelp) {
			fs.Usage()
			return o, err
		}
		return o, fmt.Errorf("%w; see phoneflash serve -h", err)
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q; all settings are flags (see phoneflash serve -h)", fs.Arg(0))
	}
	p, err := appliance.ParsePorts(*ports)
	if err != nil {
		return o, flagWording(err)
	}
	cfg.Ports = p
	return o, nil
}

// serveConfig turns the command line into a configuration that can work:
// flags parsed, directories prepared (or replaced, with -perm-fallback),
// everything validated and the board profile loaded. Errors are one line
// naming the flag to change.
func serveConfig(args []string, env appliance.Env, stderr io.Writer) (appliance.Config, board.Profile, error) {
	o, err := serveFlags(args, stderr)
	if err != nil {
		return o.cfg, board.Profile{}, err
	}
	notes, err := prepareDirs(&o.cfg, o.permFallback)
	if err != nil {
		return o.cfg, board.Profile{}, err
	}
	for _, n := range notes {
		fmt.Fprintf(stderr, "phoneflash serve: %s\n", n)
	}
	if err := o.cfg.Validate(env); err != nil {
		return o.cfg, board.Profile{}, flagWording(err)
	}
	// The user's rows of the model table: <state>/models.json, one line a
	// mistake.
	if o.cfg.Models, err = appliance.LoadModels(o.cfg.StateDir); err != nil {
		return o.cfg, board.Profile{}, err
	}
	var profile board.Profile
	if o.cfg.BoardProfile != "" {
		if profile, err = boardProfile(o.cfg); err != nil {
			return o.cfg, profile, err
		}
		o.cfg.Pins = portPins(profile, o.cfg.Ports)
	}
	return o.cfg, profile, nil
}

// portPins are the profile's pins of the ports served: the NIC with that
// MAC, or in that USB socket, gets the port's name (with any -board: the
// pins are about the NICs, not the PoE board).
func portPins(p board.Profile, ports []appliance.Port) []netconf.Pin {
	var pins []netconf.Pin
	for _, port := range ports {
		pp, ok := p.Port(port.Name)
		if !ok || (pp.MAC == "" && pp.USBPath == "") {
			continue
		}
		pin := netconf.Pin{Port: port.Name, USBPath: pp.USBPath}
		if pp.MAC != "" {
			pin.MAC, _ = net.ParseMAC(pp.MAC) // Validate checked it
		}
		pins = append(pins, pin)
	}
	return pins
}

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cfg, profile, err := serveConfig(args, appliance.Env{}, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		fmt.Fprintf(stderr, "phoneflash serve: %v\n", err)
		return exitConfig
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	hw, err := openBoard(cfg, profile, log)
	if err != nil {
		// A part that does not answer is not an error (board/pi retries
		// it); what is left (not a Pi, a GPIO the profile names that does
		// not exist) a restart does not fix.
		fmt.Fprintf(stderr, "phoneflash serve: %v\n", err)
		return exitConfig
	}
	if err := appliance.Run(ctx, cfg, hw, log); err != nil {
		log.Error("appliance stopped", "err", err)
		if errors.Is(err, appliance.ErrAlreadyRunning) {
			return exitConfig
		}
		return exitFailure
	}
	// Stopped by a signal: gokrazy restarts a service that ends with 0
	// only when told to, so a restart from its web interface would leave
	// the bench dead.
	return exitStopped
}

// boardProfile loads and validates the -board-profile file against the
// ports served; errors are one line naming the field. It is read whenever
// it is given: its pins name the bench NICs whatever drives the PoE board.
func boardProfile(cfg appliance.Config) (board.Profile, error) {
	p, err := board.LoadProfile(cfg.BoardProfile)
	if err != nil {
		return p, err
	}
	var names []string
	for _, port := range cfg.Ports {
		names = append(names, port.Name)
	}
	if err := p.CheckPorts(names); err != nil {
		return p, fmt.Errorf("board profile %s: %w", cfg.BoardProfile, err)
	}
	return p, nil
}

func openBoard(cfg appliance.Config, profile board.Profile, log *slog.Logger) (board.Hardware, error) {
	switch cfg.Board {
	case "sim":
		return sim.New(len(cfg.Ports)), nil
	case "none":
		return board.None{}, nil
	case "pi":
		var names []string
		for _, port := range cfg.Ports {
			names = append(names, port.Name)
		}
		return pi.Open(profile, names, log)
	}
	return nil, fmt.Errorf("-board %q: unknown board; use sim, pi or none", cfg.Board)
}

// newFlags is the FlagSet of `phoneflash name`, writing to stderr, whose -h
// prints usage (the synopsis and what the command does) and then the flags.
func newFlags(name, usage string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("phoneflash "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "%s\n\nFlags:\n", usage)
		fs.PrintDefaults()
	}
	return fs
}

// flagExit maps a flag parsing error to an exit code: -h is not an error.
func flagExit(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	return exitUsage
}
