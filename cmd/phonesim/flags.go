package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/phoneflash/phoneflash/firmware"
)

// config is the parsed command line.
type config struct {
	Iface      string
	MAC        net.HardwareAddr
	RandomMAC  bool
	Model      string
	Table      firmware.Models // -models: the built-in rows and the file's
	Vendor     string          // -vendor-class
	FlashPath  string
	Scenario   string
	CNU, Load  string
	HasITL     bool
	AltTFTP    string
	KeyedReset bool
	ScaleTFTP  bool
	Until      string
	UntilN     int
	MaxTime    time.Duration
	ResultPath string
	Seed       uint64
	Verbose    bool
	DHCPRecv   string
	Opt        Options
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("phonesim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: phonesim -iface IF -flash FILE [flags]\n\n"+
			"Simulates one SEP-XML Cisco 79xx phone (-model) on IF (run as root inside a network namespace):\n"+
			"DHCP, TFTP, the firmware loader, flash writes and reboots, and the SIP config check.\n"+
			"Exit codes: 0 -until reached or SIGTERM/SIGINT, 1 error, 2 usage, 3 -cut-at power cut, 4 -max-time.\n\n")
		fs.PrintDefaults()
	}
	mac := fs.String("mac", "", "phone MAC (set on IF), or \"random\" for one in Cisco's 00:22:90 OUI; default: the flash file's, else IF's")
	model := fs.String("model", "7911", "model when the flash file does not exist: "+firmware.BuiltinModels().Names()+"\n(or 7942, 42, 434, ...), or one of -models")
	models := fs.String("models", "", "a model `file` as phoneflash's models.json in its state directory: its rows add models (a fictional\none with its own term file, family and option 60) or change the built-in rows")
	fs.StringVar(&c.Vendor, "vendor-class", "", "the model `string` of DHCP option 60 instead of the model's (79XX: an unprovisioned phone's; none: no option 60)")
	fs.StringVar(&c.Iface, "iface", "", "the phone's interface (required)")
	fs.StringVar(&c.FlashPath, "flash", "", "flash state file (JSON), kept across power cuts (required)")
	fs.StringVar(&c.Scenario, "scenario", "old-cucm", "initial flash when the flash file does not exist: old-cucm, formatted-old, sccp852, sip")
	fs.StringVar(&c.CNU, "cnu", "", "initial CNU (old, new, new9), overriding the scenario's")
	fs.StringVar(&c.Load, "load", "", "initial app load (\"none\" for none), overriding the scenario's")
	fs.BoolVar(&c.HasITL, "has-itl", false, "initial flash has an ITL (with -cnu/-load)")
	fs.StringVar(&c.AltTFTP, "alt-tftp", "", "initial alternate TFTP server set on the phone")
	fs.BoolVar(&c.KeyedReset, "keyed-reset", false, "the operator keys "+firmware.ResetKeys+" at this power-on")
	fs.Float64Var(&c.Opt.Timescale, "timescale", 1, "divide every phone-side delay by this")
	fs.BoolVar(&c.ScaleTFTP, "scale-tftp", false, "scale the 4 s TFTP timeout too")
	until := fs.String("until", "never", "exit 0 on entering STATE[:N] (the Nth time): done, provisioned, unprovisioned, idle, needs-reset, rejected, flashing, rebooting, ...; never")
	fs.DurationVar(&c.MaxTime, "max-time", 0, "exit 4 after this real time (0: no limit)")
	fs.StringVar(&c.ResultPath, "result", "", "write the JSON result here at exit")
	fs.Uint64Var(&c.Seed, "seed", 0, "random seed for delays and xids (0: random)")
	fs.BoolVar(&c.Verbose, "v", false, "debug logs")
	fs.StringVar(&c.DHCPRecv, "dhcp-recv", "packet", "receive DHCP replies with: packet (AF_PACKET: broadcast and unicast replies) or udp (broadcast replies only)")
	fs.DurationVar(&c.Opt.ColdBootMax, "coldboot-max", 10*time.Second, "cold-boot wait is uniform in 1 s..this")
	fs.DurationVar(&c.Opt.RetryMin, "retry-min", 90*time.Second, "retry_default_load lower bound")
	fs.DurationVar(&c.Opt.RetryMax, "retry-max", 150*time.Second, "retry_default_load upper bound")
	fs.DurationVar(&c.Opt.WritePerMB, "write-per-mb", 10*time.Second, "flash write time per MB")
	fs.DurationVar(&c.Opt.RebootTime, "reboot-time", 15*time.Second, "time from reset to the cold-boot wait")
	fs.DurationVar(&c.Opt.IdleReask, "idle-reask", 0, "an idle phone asks for its config again after this (0: never; unconfirmed on real phones)")
	fs.IntVar(&c.Opt.PwMax, "pw-max", 0, "longest authPassword the phone takes (default: its model's limit in phoneflash's model table,\nthe one the appliance checks; 12 is the strict report)")
	fs.StringVar(&c.Opt.PwMode, "pw-mode", pwParseError, "too-long password: parse_error (unprovisioned) or truncate")
	fs.StringVar(&c.Opt.Target, "target", "", "the SIP `load` that counts as done (default: the one its SIP config names)")
	cut := fs.String("cut-at", "", "cut power by itself at: dhcp, loads, config, flash-write or image:K:BYTES (exit 3)")
	sipFlags(fs, &c.Opt.SIP)
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	return c, c.finish(*mac, *model, *models, *until, *cut)
}

// finish validates and converts the string flags.
func (c *config) finish(mac, model, models, until, cut string) error {
	var errs []error
	if c.Iface == "" || c.FlashPath == "" {
		errs = append(errs, errors.New("-iface and -flash are required"))
	}
	if mac == "random" {
		c.RandomMAC = true
	} else if mac != "" {
		m, err := net.ParseMAC(mac)
		if err != nil || len(m) != 6 {
			errs = append(errs, fmt.Errorf("-mac %q: want a 6-byte MAC", mac))
		}
		c.MAC = m
	}
	c.Table = firmware.BuiltinModels()
	var err error
	if models != "" {
		if c.Table, err = firmware.LoadModels(models, c.Table); err != nil {
			errs = append(errs, fmt.Errorf("-models: %w", err))
			c.Table = firmware.BuiltinModels()
		}
	}
	m, err := parseModel(c.Table, model)
	errs = append(errs, err)
	c.Model = m
	c.Until, c.UntilN = until, 1
	if s, n, ok := strings.Cut(until, ":"); ok {
		c.Until = s
		if c.UntilN, err = strconv.Atoi(n); err != nil || c.UntilN < 1 {
			errs = append(errs, fmt.Errorf("-until %q: count %q: want 1 or more", until, n))
		}
	}
	c.Opt.Cut, err = parseCut(cut)
	errs = append(errs, err)
	if c.Opt.Timescale <= 0 {
		errs = append(errs, fmt.Errorf("-timescale %v: want > 0", c.Opt.Timescale))
	}
	if c.DHCPRecv != "packet" && c.DHCPRecv != "udp" {
		errs = append(errs, fmt.Errorf("-dhcp-recv %q: want packet or udp", c.DHCPRecv))
	}
	if c.Opt.PwMode != pwParseError && c.Opt.PwMode != pwTruncate {
		errs = append(errs, fmt.Errorf("-pw-mode %q: want parse_error or truncate", c.Opt.PwMode))
	}
	c.Opt.ColdBootMin, c.Opt.PairGap = time.Second, time.Second
	c.Opt.TFTPTimeout = 4 * time.Second
	if c.ScaleTFTP {
		c.Opt.TFTPTimeout = time.Duration(float64(c.Opt.TFTPTimeout) / c.Opt.Timescale)
	}
	return errors.Join(errs...)
}

// initialFlash is the flash of a phone whose flash file does not exist yet.
func (c *config) initialFlash() (Flash, error) {
	f, err := scenarioFlash(c.Scenario, Identity{Model: c.Model, Table: c.Table}.Info().Family)
	if err != nil {
		return f, err
	}
	if c.CNU != "" {
		f.CNU = c.CNU
	}
	switch c.Load {
	case "":
	case "none":
		f.Load = ""
	default:
		f.Load = c.Load
	}
	if c.CNU != "" || c.Load != "" {
		f.HasITL = c.HasITL
	}
	f.AltTFTP = c.AltTFTP
	if f.CNU != cnuOld && f.CNU != cnuNew && f.CNU != cnuNew9 {
		return f, fmt.Errorf("-cnu %q: want old, new or new9", f.CNU)
	}
	f.Model = c.Model
	return f, nil
}
