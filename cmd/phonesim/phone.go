package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"
)

// Options are the phone's knobs (nominal, unscaled durations).
type Options struct {
	Timescale   float64
	TFTPTimeout time.Duration // 4 s, real time unless -scale-tftp
	ColdBootMin time.Duration // 1 s
	ColdBootMax time.Duration // 10 s
	RetryMin    time.Duration // retry_default_load: 90 s
	RetryMax    time.Duration // 150 s
	PairGap     time.Duration // the second RRQ of a refused term file: 1 s
	WritePerMB  time.Duration // flash write: 10 s per MB
	RebootTime  time.Duration // from reset to the cold-boot wait
	IdleReask   time.Duration // 0: an idle phone never asks again
	PwMax       int
	PwMode      string
	Target      string // the SIP load that counts as done; "": the one its SIP config names
	Cut         cutPoint
	SIP         sipOptions // registration after provisioning (sipreg.go)
}

// noServerRetry is how long a phone without a TFTP server waits before it
// asks DHCP again ("No TFTP server"; 30 s is an unconfirmed default).
const noServerRetry = 30 * time.Second

// next is what a boot session leads to.
type next int

const (
	nextReboot next = iota // flash written: reboot (cold boot, DHCP again)
	nextRetry              // ask again: DHCP again without a reboot
)

// netIface is the phone's interface (netlink in production).
type netIface interface {
	clear() error
	assign(Lease) error
}

// phone is one simulated phone: it owns its flash between power cuts.
type phone struct {
	id        Identity
	opt       Options
	flashPath string
	flash     Flash
	clock     simClock
	log       *slog.Logger
	rec       *recorder
	nif       netIface
	dhcp      *dhcpClient
	tftp      *tftpClient
	boot      int
	server    net.IP
	cutFired  bool
}

// save writes the flash file; the phone cannot go on without it.
func (p *phone) save() error { return saveFlash(p.flashPath, p.flash) }

// Run boots the phone again and again until ctx ends (nil), a -cut-at power
// cut (errCut) or an error. A value on resets is the operator's keyed hard
// reset: power-cycle holding # and key 3491672850*#.
func (p *phone) Run(ctx context.Context, resets <-chan struct{}) error {
	for {
		bctx, cancel := context.WithCancel(ctx)
		var wg sync.WaitGroup
		reset := false
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case <-resets:
				reset = true
				cancel()
			case <-bctx.Done():
			}
		}()
		err := p.bootCycle(bctx)
		cancel()
		wg.Wait()
		switch {
		case ctx.Err() != nil:
			return nil
		case reset:
			if err := p.keyedReset(); err != nil {
				return err
			}
		case err != nil:
			return err
		}
	}
}

// keyedReset formats /flash0 except the CNU and counts the reset.
func (p *phone) keyedReset() error {
	p.flash = p.flash.format()
	p.log.Info("keyed reset 3491672850*#: /flash0 formatted except the CNU", "resets", p.flash.Resets)
	p.rec.enter("reset")
	return p.save()
}

// bootCycle is one power-on: cold-boot wait, then sessions until one ends
// in a reboot.
func (p *phone) bootCycle(ctx context.Context) error {
	p.boot++
	p.flash.Boots++
	if err := p.save(); err != nil {
		return err
	}
	p.rec.enter("booting", "boot", p.boot, "load", orNone(p.flash.Load), "cnu", p.flash.CNU)
	if err := p.nif.clear(); err != nil {
		return err
	}
	wait := p.clock.between(p.opt.ColdBootMin, p.opt.ColdBootMax).Round(time.Second)
	p.log.Info("COLDBOOT - wait", "seconds", wait.Seconds())
	if err := p.clock.sleep(ctx, wait); err != nil {
		return err
	}
	for {
		n, err := p.session(ctx)
		if err != nil {
			return err
		}
		if n == nextReboot {
			p.flash.Reboots++
			if err := p.save(); err != nil {
				return err
			}
			p.rec.enter("rebooting", "load", p.flash.Load, "cnu", p.flash.CNU)
			return p.clock.sleep(ctx, p.opt.RebootTime)
		}
	}
}

// session gets a lease, picks the TFTP server and does what the flash
// state calls for.
func (p *phone) session(ctx context.Context) (next, error) {
	err := p.acquire(ctx)
	if errors.Is(err, errNoServer) {
		p.rec.enter("no-tftp", "reason", err.Error())
		if err := p.clock.sleep(ctx, noServerRetry); err != nil {
			return 0, err
		}
		return nextRetry, nil
	}
	if err != nil {
		return 0, err
	}
	switch {
	case p.flash.Writing != "":
		return p.recoverLoad(ctx)
	case p.flash.Load == "":
		return p.defaultLoad(ctx)
	}
	return p.normalBoot(ctx)
}

// acquire runs DHCP, assigns the address and chooses the TFTP server.
func (p *phone) acquire(ctx context.Context) error {
	p.rec.enter("dhcp")
	dctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sent := func(byte) {
		if p.opt.Cut.Kind == "dhcp" && !p.cutFired {
			p.cutFired = true
			cancel()
		}
	}
	started := time.Now()
	lease, ex, err := p.dhcp.acquire(dctx, sent)
	if p.cutFired && p.opt.Cut.Kind == "dhcp" {
		return errCut
	}
	if err != nil {
		return err
	}
	ex.Boot = p.boot
	var alt net.IP
	if p.flash.AltTFTP != "" {
		alt = net.ParseIP(p.flash.AltTFTP).To4()
	}
	choice, cerr := chooseTFTP(alt, lease)
	if cerr == nil {
		ex.TFTP, ex.TFTPSource = choice.IP.String(), choice.Source
	}
	p.rec.dhcp(ex, started)
	if err := p.nif.assign(lease); err != nil {
		return err
	}
	if cerr != nil {
		return cerr
	}
	p.server = choice.IP
	p.log.Info("dhcp: bound", "ip", lease.IP, "tftp", choice.IP, "source", choice.Source)
	return nil
}

// fetch requests one file and records it. Only a power cut or the end of
// ctx is an error; every other outcome is in the Fetch.
func (p *phone) fetch(ctx context.Context, name string, keep int, cut func(int64) bool) (Fetch, error) {
	started := time.Now()
	p.log.Info("tftp: RRQ", "file", name, "server", p.server)
	f, err := p.tftp.Get(ctx, p.server, name, keep, cut)
	if ctx.Err() != nil {
		f.Outcome, f.Detail = "interrupted", "power off during the transfer"
	}
	p.rec.request(p.boot, p.server.String(), f, started)
	p.log.Info("tftp: done", "file", name, "outcome", f.Outcome, "bytes", f.Bytes, "detail", f.Detail)
	switch {
	case ctx.Err() != nil:
		return f, ctx.Err()
	case errors.Is(err, errCut):
		p.cutFired = true
		return f, errCut
	}
	return f, nil
}

// cutOnce is the cut function for a transfer of the given kind.
func (p *phone) cutOnce(kind string, image int) func(int64) bool {
	c := p.opt.Cut
	if p.cutFired || c.Kind != kind || (kind == "image" && c.Image != image) {
		return nil
	}
	return func(n int64) bool { return n >= c.Bytes && n > 0 }
}

// idle waits: forever, or until -idle-reask makes the phone ask again.
func (p *phone) idle(ctx context.Context) (next, error) {
	if p.opt.IdleReask <= 0 {
		<-ctx.Done()
		return 0, ctx.Err()
	}
	if err := p.clock.sleep(ctx, p.opt.IdleReask); err != nil {
		return 0, err
	}
	return nextRetry, nil
}

// waitRetry is the loader's back-off before it asks again.
func (p *phone) waitRetry(ctx context.Context) (next, error) {
	d := p.clock.between(p.opt.RetryMin, p.opt.RetryMax)
	p.log.Info("retry_default_load: waiting", "seconds", fmt.Sprintf("%.0f", d.Seconds()))
	if err := p.clock.sleep(ctx, d); err != nil {
		return 0, err
	}
	return nextRetry, nil
}
