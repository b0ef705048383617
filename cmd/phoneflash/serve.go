package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/phoneflash/phoneflash/appliance"
	"github.com/phoneflash/phoneflash/board"
	"github.com/phoneflash/phoneflash/board/pi"
	"github.com/phoneflash/phoneflash/board/sim"
)

const permDir = "/perm/phoneflash"

// serveFlags parses the flags of `phoneflash serve` into a Config.
func serveFlags(args []string, stderr io.Writer) (appliance.Config, error) {
	fs := flag.NewFlagSet("phoneflash serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg appliance.Config
	ports := fs.String("ports", "", "bench `NICs`, comma-separated, in port order (port 1 first). Port i owns 10.79.(i+1).1/24\nand leases .100-.199; override one with NAME=ADDR/BITS, e.g. eth1=10.80.0.1/24. Required.")
	fs.StringVar(&cfg.Uplink, "uplink", "eth0", "the `NIC` facing the office LAN; never served, never touched")
	fs.StringVar(&cfg.FirmwareDir, "firmware", permDir+"/firmware", "firmware store `dir`ectory (created if its parent exists)")
	fs.StringVar(&cfg.StateDir, "state", permDir+"/state", "state `dir`ectory: leases, phone journal, uploads (created if its parent exists)")
	fs.StringVar(&cfg.HTTPAddr, "http", "127.0.0.1:8079", "web page and API listen `address`; keep it off the bench ports (an uplink address, or empty to disable)")
	fs.StringVar(&cfg.Target, "target", appliance.DefaultTarget, "the `load` every phone ends on")
	fs.StringVar(&cfg.AccountsFile, "accounts", "", "operator's account table, CSV with a header (`file`); without it phones end 'done (no account)'")
	fs.StringVar(&cfg.PBXPreset, "pbx-preset", "", appliance.PresetUsage)
	fs.StringVar(&cfg.DialPlanFile, "dialplan", "", "dial plan `file` (the phone's DIALTEMPLATE XML), served as dialplan.xml instead of one made from the account table")
	fs.StringVar(&cfg.Board, "board", "none", "hardware: sim (simulated PSE, display, LEDs), pi (the Raspberry Pi bench) or none (no power control)")
	fs.StringVar(&cfg.BoardProfile, "board-profile", "", "board profile JSON (`file`): I2C bus, PSE and OLED addresses, per-port PoE channel and LEDs; required for -board pi")
	fs.DurationVar(&cfg.LeaseTime, "lease-time", time.Hour, "DHCP lease `duration` handed to phones")
	fs.StringVar(&cfg.Policy, "policy", "stepping", "upgrade `policy`: stepping (phones of unknown history get the SCCP 8.5(2) stepping stone first)\nor direct (straight to -target, for operators who know their phones run 8.3(3) or later)")
	fs.Float64Var(&cfg.TimeScale, "time-scale", 1, "`factor` for the phones' stall timeouts; 1 for real phones, smaller for simulated phones that run faster")
	fs.StringVar(&cfg.WebPassword, "web-password", "", "`password` for the web page's actions (power-cycle, retry, forget, uploads, report);\nwithout it the first line of <state>/web-password is used, and without that the actions are disabled")
	fs.BoolVar(&cfg.ProtectPage, "protect-page", false, "require the password for the status page, API and metrics too (not only for actions)")
	fs.Var(appliance.RouteFlag(&cfg.Route), "route", "route the bench ports to -uplink with NAT (DHCP names the port as router and the uplink's resolvers);\nfalse forwards nothing. Either way bench ports reach only DHCP, TFTP and SIP on the appliance")
	fs.BoolVar(&cfg.WaitPorts, "wait-ports", false, "a bench NIC missing at start is not an error: it is configured and served when it appears\n(USB NICs plugged in after boot; the gokrazy image sets it)")
	fs.BoolVar(&cfg.PermFallback, "perm-fallback", false, "when -firmware or -state cannot be used (a missing or read-only /perm), run from a temporary\ndirectory and show the problem on the display and the page instead of exiting (the gokrazy image sets it)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: phoneflash serve -ports IF[,IF...] [flags]\n\nRuns the appliance: configures the bench ports, serves DHCP and TFTP on them,\nwalks every phone to the target load and shows progress.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected argument %q; all settings are flags (see phoneflash serve -h)", fs.Arg(0))
	}
	p, err := appliance.ParsePorts(*ports)
	if err != nil {
		return cfg, err
	}
	cfg.Ports = p
	return cfg, nil
}

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cfg, err := serveFlags(args, stderr)
	if err == nil && cfg.PermFallback {
		for _, p := range cfg.FallBack() {
			fmt.Fprintf(stderr, "phoneflash serve: %s\n", p)
		}
	}
	if err == nil {
		err = cfg.Validate(appliance.Env{})
	}
	var profile board.Profile
	if err == nil && cfg.Board == "pi" {
		profile, err = boardProfile(cfg)
	}
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		fmt.Fprintf(stderr, "phoneflash serve: %v\n", err)
		return exitUsage
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	hw, err := openBoard(cfg, profile, log)
	if err != nil {
		fmt.Fprintf(stderr, "phoneflash serve: %v\n", err)
		return exitFailure
	}
	if err := appliance.Run(ctx, cfg, hw, log); err != nil {
		log.Error("appliance stopped", "err", err)
		return exitFailure
	}
	return exitOK
}

// boardProfile loads and validates the -board-profile file against the
// ports served; errors are one line naming the field.
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
	return nil, fmt.Errorf("-board %s: not built yet in this version; use -board none or -board sim", cfg.Board)
}

// flagExit maps a flag parsing error to an exit code: -h is not an error.
func flagExit(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	return exitUsage
}
