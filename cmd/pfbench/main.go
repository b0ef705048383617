// Command pfbench measures phoneflash against the servers a bench would
// otherwise run: tftpd-hpa, dnsmasq, atftpd and Kea. It needs root: it
// installs missing peers from Debian packages (no service may start), and
// runs every server and client inside network namespaces it creates and
// removes (also on Ctrl-C), each server in its own cgroup for CPU time and
// memory. `make bench` runs it; it prints figures and never fails on speed.
//
//	pfbench -all -out build/bench          # the full run (~20 min)
//	pfbench -all -quick -out build/bench   # a smoke run (a few minutes)
//	pfbench -tftp -n 16 -reps 1            # one part
//
// Parts: -tftp (phone-shaped TFTP, N concurrent clients fetching the five
// SIP images with 512-byte lock-step, plus one blksize 1428 row), -dhcp
// (perfdhcp at fixed rates and unthrottled), -bench (16 simulated phones on
// 4 ports, two-stage upgrade), -mem (phoneflash at idle and the arm64
// binary size). The report is Markdown, on stdout and in -out/bench.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/phoneflash/phoneflash/firmware"
)

// options are the command's flags.
type options struct {
	tftp, dhcp, bench, mem bool
	quick                  bool
	reps                   int
	ns                     []int
	out                    string
	bin                    string
	arm64                  string
	timescale              float64
	models                 []firmware.Model // whole bench: the phones' models, given in turn
	dhcpSecs               int
	only                   []string // servers to run; empty = all
	blkN                   int      // client count of the blksize 1428 row; 0 = none
}

// want says whether server name is to be run.
func (o options) want(name string) bool { return len(o.only) == 0 || slices.Contains(o.only, name) }

func parseFlags(args []string, stderr io.Writer) (options, error) {
	fs := flag.NewFlagSet("pfbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	all := fs.Bool("all", false, "every part: -tftp -dhcp -bench -mem")
	fs.BoolVar(&o.tftp, "tftp", false, "TFTP: N clients fetching the five SIP images, against every TFTP server")
	fs.BoolVar(&o.dhcp, "dhcp", false, "DHCP: perfdhcp at fixed rates and unthrottled, against every DHCP server")
	fs.BoolVar(&o.bench, "bench", false, "whole bench: 16 simulated phones on 4 ports, two-stage upgrade")
	fs.BoolVar(&o.mem, "mem", false, "phoneflash's memory at idle and the arm64 binary size")
	fs.BoolVar(&o.quick, "quick", false, "a short smoke version of every chosen part")
	fs.IntVar(&o.reps, "reps", 3, "repetitions of each TFTP cell")
	n := fs.String("n", "1,16,64", "TFTP client counts, comma-separated")
	fs.StringVar(&o.out, "out", "build/bench", "output `dir`ectory: the report, logs and work files")
	fs.StringVar(&o.bin, "bin", "", "`dir`ectory with phoneflash and phonesim (default: next to pfbench)")
	fs.StringVar(&o.arm64, "arm64", "", "the arm64 phoneflash binary whose size is reported")
	fs.Float64Var(&o.timescale, "timescale", 1, "whole bench: phone-side delays are divided by this")
	models := fs.String("models", "7906,7911", "whole bench: the phones' `models`, comma-separated, given to the 16 phones in turn\n(each a row of the model table: "+firmware.BuiltinModels().Names()+")")
	fs.IntVar(&o.dhcpSecs, "dhcp-secs", 10, "seconds per perfdhcp cell")
	only := fs.String("servers", "", "run only these servers, comma-separated (phoneflash, tftpd-hpa, dnsmasq, dnsmasq-noping, atftpd, kea)")
	fs.IntVar(&o.blkN, "blksize-n", 16, "client count of the blksize 1428 TFTP row (0: no such row)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if *only != "" {
		o.only = strings.Split(*only, ",")
	}
	if *all {
		o.tftp, o.dhcp, o.bench, o.mem = true, true, true, true
	}
	if !o.tftp && !o.dhcp && !o.bench && !o.mem {
		return o, errors.New("choose a part: -all, -tftp, -dhcp, -bench or -mem")
	}
	for _, f := range strings.Split(*n, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || v < 1 || v > 250 {
			return o, fmt.Errorf("-n %q: want client counts from 1 to 250", *n)
		}
		o.ns = append(o.ns, v)
	}
	for _, name := range strings.Split(*models, ",") {
		m, err := firmware.BuiltinModels().Parse(name)
		if err != nil {
			return o, fmt.Errorf("-models: %w", err)
		}
		o.models = append(o.models, m)
	}
	if o.quick {
		o.reps, o.ns, o.dhcpSecs = 1, []int{1, 16}, 3
		if o.timescale == 1 {
			o.timescale = 20
		}
	}
	if o.reps < 1 || o.timescale <= 0 || o.dhcpSecs < 1 {
		return o, errors.New("-reps, -timescale and -dhcp-secs must be positive")
	}
	return o, nil
}

func main() {
	o, err := parseFlags(os.Args[1:], os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "pfbench: %v\n", err)
		os.Exit(2)
	}
	if os.Geteuid() != 0 {
		fmt.Fprintln(os.Stderr, "pfbench: needs root (network namespaces, cgroups, installing peers)")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := runBench(ctx, o, os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "pfbench: %v\n", err)
		os.Exit(1)
	}
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s pfbench: %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}

func runBench(ctx context.Context, o options, stdout io.Writer) error {
	if o.bin == "" {
		exe, err := os.Executable()
		if err != nil {
			return err
		}
		o.bin = filepath.Dir(exe)
	}
	out, err := filepath.Abs(o.out) // servers change directory
	if err != nil {
		return err
	}
	o.out = out
	work := filepath.Join(o.out, "work")
	os.RemoveAll(work)
	if err := os.MkdirAll(work, 0o755); err != nil {
		return err
	}
	e, err := newEnv(work, logf)
	if err != nil {
		return err
	}
	defer e.Undo()
	rep := &report{Date: time.Now().UTC(), Quick: o.quick, Reps: o.reps, Timescale: o.timescale, DHCPSecs: o.dhcpSecs}
	rep.Machine = machine()
	if o.tftp || o.dhcp || o.mem {
		atftpd, err := installPeers(filepath.Join(o.out, "peers"), logf)
		if err != nil {
			return err
		}
		rep.Versions = peerVersions(filepath.Join(o.out, "peers"))
		rep.Versions["phoneflash"] = phoneflashVersion(o.bin)
		r, err := newRig(e, max(64, slicesMax(o.ns)))
		if err != nil {
			return err
		}
		r.bin, r.atftpd = o.bin, atftpd
		images, probe, err := r.prepareFirmware()
		if err != nil {
			return err
		}
		if o.tftp {
			var servers []server
			for _, s := range []server{srvPhoneflash, srvHPA, srvDnsmasq, srvAtftpd} {
				if o.want(s.name) {
					servers = append(servers, s)
				}
			}
			if rep.TFTP, err = r.runTFTP(ctx, servers, o.ns, o.reps, o.blkN, images, probe); err != nil {
				return err
			}
		}
		if o.dhcp {
			if rep.DHCP, err = r.runDHCP(ctx, o.quick, o.dhcpSecs, o.want); err != nil {
				return err
			}
		}
		if o.mem {
			if rep.Mem, err = r.measureIdle(ctx, o.arm64); err != nil {
				return err
			}
		}
		e.Undo()
	}
	if o.bench {
		wb, err := runWholeBench(ctx, e, o.bin, o.timescale, o.models)
		if err != nil {
			return err
		}
		rep.Whole = &wb
	}
	md := rep.markdown()
	fmt.Fprint(stdout, md)
	return os.WriteFile(filepath.Join(o.out, "bench.md"), []byte(md), 0o644)
}

func slicesMax(v []int) int {
	m := 0
	for _, x := range v {
		m = max(m, x)
	}
	return m
}
