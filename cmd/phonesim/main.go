package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// Exit codes.
const (
	exitOK      = 0
	exitError   = 1
	exitUsage   = 2
	exitCut     = 3
	exitMaxTime = 4
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	c, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		fmt.Fprintln(stderr, "phonesim:", err)
		return exitUsage
	}
	level := slog.LevelInfo
	if c.Verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	usr1 := make(chan os.Signal, 1)
	signal.Notify(usr1, syscall.SIGUSR1)
	defer signal.Stop(usr1)
	p, cleanup, err := setup(ctx, c, log)
	if err != nil {
		log.Error("phonesim: setup", "err", err.Error())
		return exitError
	}
	defer cleanup()
	resets := make(chan struct{})
	go func() {
		for range usr1 {
			p.log.Info("SIGUSR1: operator power-cycles holding # and keys 3491672850*#")
			select {
			case resets <- struct{}{}:
			case <-ctx.Done():
				return
			}
		}
	}()
	exit, code, runErr := supervise(ctx, c, p, resets)
	return finish(c, p, exit, code, runErr, stdout, log)
}

// supervise runs the phone until -until, a signal, -max-time, a -cut-at
// power cut or an error.
func supervise(ctx context.Context, c config, p *phone, resets chan struct{}) (string, int, error) {
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- p.Run(runCtx, resets) }()
	var maxT <-chan time.Time
	if c.MaxTime > 0 {
		maxT = time.After(c.MaxTime)
	}
	select {
	case <-p.rec.reached:
		cancel()
		return "until", exitOK, <-errc
	case <-ctx.Done():
		cancel()
		return "signal", exitOK, <-errc
	case <-maxT:
		cancel()
		return "max-time", exitMaxTime, <-errc
	case err := <-errc:
		if errors.Is(err, errCut) {
			return "power-cut", exitCut, nil
		}
		if err == nil {
			err = errors.New("phone stopped")
		}
		return "error", exitError, err
	}
}

// finish writes the flash's power state, the result and the summary.
func finish(c config, p *phone, exit string, code int, runErr error, stdout io.Writer, log *slog.Logger) int {
	p.flash.Powered = false
	if exit == "signal" || exit == "power-cut" {
		p.flash.PowerCuts++
	}
	if err := p.save(); err != nil {
		log.Error("phonesim: save flash", "err", err.Error())
		code = exitError
	}
	res := p.rec.final(p.flash, exit, runErr)
	if runErr != nil {
		log.Error("phonesim: stopped", "err", runErr.Error())
	}
	if c.ResultPath != "" {
		if err := writeResult(c.ResultPath, res); err != nil {
			log.Error("phonesim: result", "err", err.Error())
			code = exitError
		}
	}
	fmt.Fprintln(stdout, res.summary())
	return code
}

// setup powers the phone on: interface, flash, sockets.
func setup(ctx context.Context, c config, log *slog.Logger) (*phone, func(), error) {
	nif, err := openIface(c.Iface)
	if err != nil {
		return nil, nil, err
	}
	f, id, err := powerOn(c, nif, log)
	if err != nil {
		nif.Close()
		return nil, nil, err
	}
	log = log.With("mac", id.MACU(), "model", id.ModelString())
	conn, err := listenDHCP(ctx, c.Iface)
	if err != nil {
		nif.Close()
		return nil, nil, err
	}
	var recv dhcpReceiver
	closeAll := func() { conn.Close(); nif.Close() }
	if c.DHCPRecv == "packet" {
		pr, err := listenPacket(c.Iface)
		if err != nil {
			closeAll()
			return nil, nil, err
		}
		recv, closeAll = pr, func() { pr.Close(); conn.Close(); nif.Close() }
	}
	seed := c.Seed
	if seed == 0 {
		seed = rand.Uint64()
	}
	clock := simClock{scale: c.Opt.Timescale, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
	c.Opt.PwMax = id.PasswordMax(c.Opt.PwMax)
	rec := newRecorder(Result{MAC: id.MACU(), Model: id.ModelString(), Scenario: c.Scenario, Timescale: c.Opt.Timescale},
		c.Until, c.UntilN, log)
	p := &phone{id: id, opt: c.Opt, flashPath: c.FlashPath, flash: f, clock: clock, log: log, rec: rec, nif: nif,
		dhcp: &dhcpClient{id: id, conn: conn, recv: recv, dst: &net.UDPAddr{IP: net.IPv4bcast, Port: 67}, clock: clock, log: log},
		tftp: newTFTPClient(c.Opt.TFTPTimeout)}
	return p, closeAll, nil
}

// powerOn reads (or creates) the flash, sets the MAC on the interface,
// counts a power cut left by SIGKILL, applies -keyed-reset and marks the
// phone powered.
func powerOn(c config, nif *phoneIface, log *slog.Logger) (Flash, Identity, error) {
	f, exists, err := loadFlash(c.FlashPath)
	if err == nil && !exists {
		f, err = c.initialFlash()
	}
	if err != nil {
		return f, Identity{}, err
	}
	if f.Model == "" {
		f.Model = c.Model
	}
	mac := c.MAC
	switch {
	case mac == nil && f.MAC != "":
		mac, _ = net.ParseMAC(f.MAC)
	case mac == nil && c.RandomMAC:
		mac = ciscoMAC(rand.Uint32())
	}
	if mac, err = nif.prepare(mac); err != nil {
		return f, Identity{}, err
	}
	id := Identity{MAC: mac, Model: f.Model, Table: c.Table, Vendor: c.Vendor}
	f.MAC = mac.String()
	log = log.With("mac", id.MACU(), "model", id.ModelString())
	if f.Powered {
		f.PowerCuts++
		log.Warn("power came back: the last run ended in a power cut")
	}
	f.Powered = true
	if c.KeyedReset {
		f = f.format()
		log.Info("keyed reset 3491672850*# at power-on: /flash0 formatted except the CNU")
	}
	return f, id, saveFlash(c.FlashPath, f)
}
