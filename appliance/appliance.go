// Package appliance is phoneflash's composition root: Run wires the bench
// network, the phone sessions and the hardware together under one errgroup
// and puts the hardware in a safe state on the way out.
package appliance

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/phoneflash/phoneflash/board"
)

// ErrAlreadyRunning is returned by Run when another phoneflash serves one of
// the same ports or uses the same state directory.
var ErrAlreadyRunning = errors.New("another phoneflash is already running")

// service is one long-running part of the appliance.
type service struct {
	name string
	run  func(ctx context.Context) error
}

// Run runs the appliance until ctx is done or a service fails. It returns nil
// after a clean shutdown.
func Run(ctx context.Context, cfg Config, hw board.Hardware, log *slog.Logger) error {
	return run(ctx, cfg, hw, log, nil)
}

// RunSockets runs the appliance as Run does, on sockets the caller opened
// for every bench port (by port name), without netlink: no interface is
// configured or watched, and each port's servers serve its sockets from the
// start. It is the whole composition, from a DISCOVER to the status, on
// sockets an unprivileged test opens on loopback.
func RunSockets(ctx context.Context, cfg Config, hw board.Hardware, log *slog.Logger, socks map[string]PortSockets) error {
	if socks == nil {
		socks = map[string]PortSockets{}
	}
	return run(ctx, cfg, hw, log, socks)
}

func run(ctx context.Context, cfg Config, hw board.Hardware, log *slog.Logger, socks map[string]PortSockets) error {
	if hw == nil {
		hw = board.None{}
	}
	release, err := claim(cfg)
	if err != nil {
		return err
	}
	defer release()

	log.Info("starting", "ports", portNames(cfg.Ports), "uplink", cfg.Uplink, "firmware", cfg.FirmwareDir,
		"state", cfg.StateDir, "target", cfg.Target, "board", cfg.Board)
	services, closeBench, err := benchServices(cfg, hw, log, socks)
	if err != nil {
		return err
	}
	defer closeBench()
	if leds := hw.LEDs(); leds != nil {
		if err := leds.SetSystem(board.On); err != nil {
			log.Warn("system LED", "err", err)
		}
	}

	g, gctx := errgroup.WithContext(ctx)
	for _, s := range services {
		g.Go(func() error {
			if err := s.run(gctx); err != nil && gctx.Err() == nil {
				return fmt.Errorf("%s: %w", s.name, err)
			}
			return nil
		})
	}
	err = g.Wait()

	// Safe state, with a fresh context: ctx is already done.
	closeCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if cerr := hw.Close(closeCtx); cerr != nil {
		log.Warn("leaving hardware in a safe state", "err", cerr)
	}
	if err != nil {
		return err
	}
	log.Info("stopped")
	return nil
}

func portNames(ports []Port) []string {
	names := make([]string, len(ports))
	for i, p := range ports {
		names[i] = p.Name
	}
	return names
}

// benchServices builds the phone sessions, then the bench network reporting
// to them, and the hardware loop.
func benchServices(cfg Config, hw board.Hardware, log *slog.Logger, socks map[string]PortSockets) ([]service, func(), error) {
	b, err := newBench(cfg, hw, log)
	if err != nil {
		return nil, nil, err
	}
	services := []service{
		{name: "pse", run: func(ctx context.Context) error { return watchPSE(ctx, hw, log, b.onPower) }},
		{name: "hardware", run: func(ctx context.Context) error { return runHardware(ctx, cfg, hw, b.snapshot, log) }},
		{name: "sessions", run: func(ctx context.Context) error { return b.mgr.Run(ctx, tickEvery(cfg.TimeScale)) }},
	}
	if cfg.HTTPAddr != "" {
		web, err := b.webService()
		if err != nil {
			return nil, nil, err
		}
		services = append(services, web)
	}
	if cfg.OnStatus != nil {
		services = append(services, service{name: "observer", run: func(ctx context.Context) error { return b.observe(ctx, cfg.OnStatus) }})
	}
	n, err := newNetwork(cfg, log, b.handlers(), socks)
	if err != nil {
		// Run still leaves the hardware safe.
		services = append(services, service{name: "network", run: func(context.Context) error { return err }})
	} else {
		services = append(services, n.services()...)
	}
	services = append(services, routeServices(cfg, log)...)
	return services, b.close, nil
}

// tickEvery is how often session timeouts are checked: every second for real
// phones, more often when simulated phones run faster.
func tickEvery(scale float64) time.Duration {
	if scale > 0 && scale < 1 {
		return 100 * time.Millisecond
	}
	return time.Second
}

func watchPSE(ctx context.Context, hw board.Hardware, log *slog.Logger, fn func(board.PSEEvent)) error {
	pse := hw.PSE()
	if pse == nil {
		<-ctx.Done()
		return nil
	}
	return pse.Watch(ctx, func(ev board.PSEEvent) {
		log.Info("poe", "channel", int(ev.Channel), "event", ev.Kind.String(),
			"detect", ev.Status.Detect.String(), "class", ev.Status.Class, "current_a", ev.Status.CurrentA)
		fn(ev)
	})
}

// claim makes sure this is the only phoneflash on these ports and this state
// directory. Sockets of insomniacslk/dhcp use SO_REUSEPORT, so a second copy
// would otherwise start silently and split the phones' traffic. Each port is
// claimed by an abstract unix socket named after it (per network namespace,
// gone when the process dies, even on SIGKILL); the state directory by an
// flock on a lock file.
func claim(cfg Config) (release func(), err error) {
	var closers []func()
	release = func() {
		for _, c := range closers {
			c()
		}
	}
	for _, p := range cfg.Ports {
		l, err := net.Listen("unix", "@phoneflash/port/"+p.Name)
		if err != nil {
			release()
			if errors.Is(err, syscall.EADDRINUSE) {
				return nil, fmt.Errorf("%w on port %s: stop it first (two servers on one port send phones conflicting answers)", ErrAlreadyRunning, p.Name)
			}
			return nil, fmt.Errorf("claiming port %s: %w", p.Name, err)
		}
		closers = append(closers, func() { l.Close() })
	}
	if cfg.StateDir != "" {
		name := filepath.Join(cfg.StateDir, "phoneflash.lock")
		f, err := os.OpenFile(name, os.O_CREATE|os.O_RDWR, 0o644)
		if err != nil {
			release()
			return nil, fmt.Errorf("opening lock file %s: %w", name, err)
		}
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
			f.Close()
			release()
			if errors.Is(err, syscall.EWOULDBLOCK) {
				return nil, fmt.Errorf("%w with state directory %s", ErrAlreadyRunning, cfg.StateDir)
			}
			return nil, fmt.Errorf("locking %s: %w", name, err)
		}
		closers = append(closers, func() { f.Close() })
	}
	return release, nil
}
