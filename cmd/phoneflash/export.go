package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/phoneflash/phoneflash/appliance"
	"github.com/phoneflash/phoneflash/firmware"
)

// runExport writes the office bundle: a zip that is a TFTP root for the
// office (configs pointing at the real PBX, XMLDefault, dial plan, the
// target load's files and a README on serving it). It only reads the
// state and firmware directories, so it works while the appliance runs.
func runExport(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("export", "Usage: phoneflash export -out FILE.zip [-state DIR] [-firmware DIR] [flags]\n\n"+
		"Writes the office bundle: every handled phone's SEP<MAC>.cnf.xml pointing at the real PBX,\n"+
		"XMLDefault.cnf.xml, dialplan.xml, the target load's files and a README.txt on serving it\n"+
		"from the office's TFTP server (FreePBX, dnsmasq, ISC/Kea option 150, or Alternate TFTP).\nGive it the account settings serve had.", stderr)
	var cfg appliance.Config
	fs.StringVar(&cfg.StateDir, "state", permDir+"/state", "the appliance's state `dir`ectory: its journal says which phones were handled, with which account")
	fs.StringVar(&cfg.FirmwareDir, "firmware", permDir+"/firmware", "firmware store `dir`ectory holding the target load")
	out := fs.String("out", "", "the bundle to write (`file`.zip); replaced atomically. Required.")
	fs.StringVar(&cfg.AccountsFile, "accounts", "", "account table (`file`) the appliance ran with; default: the one uploaded through the page, in the state directory")
	fs.StringVar(&cfg.PBXPreset, "pbx-preset", "", "the -pbx-preset the appliance ran with (`preset`)")
	fs.StringVar(&cfg.DialPlanFile, "dialplan", "", "the -dialplan the appliance ran with (`file`)")
	fs.StringVar(&cfg.Target, "target", appliance.DefaultTarget, "the `load` the phones run")
	if err := fs.Parse(args); err != nil {
		return flagExit(err)
	}
	if code := checkExportArgs(fs, *out, stderr); code != exitOK {
		return code
	}
	if err := cfg.CheckPBX(); err != nil {
		fmt.Fprintf(stderr, "phoneflash export: %v\n", flagWording(err))
		return exitUsage
	}
	office, err := exportOffice(cfg)
	if err != nil {
		fmt.Fprintf(stderr, "phoneflash export: %v\n", err)
		return exitFailure
	}
	if err := appliance.WriteBundleFile(*out, office); err != nil {
		fmt.Fprintf(stderr, "phoneflash export: -out %s: %v\n", *out, err)
		return exitFailure
	}
	fmt.Fprintf(stdout, "wrote %s: the office's TFTP root; its README.txt says how to serve it\n", *out)
	return exitOK
}

func checkExportArgs(fs *flag.FlagSet, out string, stderr io.Writer) int {
	switch {
	case fs.NArg() > 0:
		fmt.Fprintf(stderr, "phoneflash export: unexpected argument %q; see phoneflash export -h\n", fs.Arg(0))
		return exitUsage
	case out == "":
		fmt.Fprintln(stderr, "phoneflash export: -out FILE.zip is required: where to write the office bundle")
		return exitUsage
	}
	if fi, err := os.Stat(filepath.Dir(out)); err != nil || !fi.IsDir() {
		fmt.Fprintf(stderr, "phoneflash export: -out %s: its directory %s does not exist; create it or write elsewhere\n", out, filepath.Dir(out))
		return exitFailure
	}
	return exitOK
}

// exportOffice opens what the bundle is made of; every error is one line.
func exportOffice(cfg appliance.Config) (appliance.Office, error) {
	if _, err := os.Stat(cfg.StateDir); err != nil {
		return appliance.Office{}, fmt.Errorf("-state %s: %w", cfg.StateDir, errors.Unwrap(err))
	}
	store, err := firmware.OpenStore(cfg.FirmwareDir)
	if err != nil {
		return appliance.Office{}, fmt.Errorf("-firmware %s: %w", cfg.FirmwareDir, err)
	}
	if _, ok := store.Load(cfg.Target); !ok {
		return appliance.Office{}, fmt.Errorf("-target %s: not in the firmware store %s; import it (phoneflash firmware import)", cfg.Target, cfg.FirmwareDir)
	}
	prov, err := appliance.OfficeProvisioner(cfg)
	if err != nil {
		return appliance.Office{}, err
	}
	return appliance.Office{StateDir: cfg.StateDir, Store: store, Prov: prov, Target: cfg.Target, Now: time.Now()}, nil
}
