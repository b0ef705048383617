// Binary boardcheck checks the bench hardware on the device: it lists the
// network cards with their drivers and USB paths (to pin bench ports to
// them in the profile), scans the I²C bus, reads the PoE controller and its
// 48 V input, power-cycles a chosen port, draws a test pattern on the OLED
// and walks the LEDs. With -record it prints the I²C
// transcript of the PSE and OLED steps as Go literals, ready to paste into
// an i2ctest.Playback test.
//
// Usage on the Pi (gokrazy: `gok run` or breakglass):
//
//	boardcheck -profile /etc/phoneflash/board.json [-cycle 0] [-record]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"periph.io/x/conn/v3/gpio/gpioreg"
	"periph.io/x/conn/v3/i2c/i2creg"
	"periph.io/x/host/v3"

	"github.com/phoneflash/phoneflash/appliance/netconf"
	"github.com/phoneflash/phoneflash/board"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, openHost)
	stop()
	os.Exit(code)
}

// opener opens the bus named in the profile and returns the pin lookup.
type opener func(bus string) (Machine, error)

func openHost(busName string) (Machine, error) {
	if _, err := host.Init(); err != nil {
		return Machine{}, fmt.Errorf("periph host init: %w", err)
	}
	bus, err := i2creg.Open(busName)
	if err != nil {
		return Machine{}, fmt.Errorf("i2c bus %q: %w (is dtparam=i2c_arm=on set?)", busName, err)
	}
	return Machine{Bus: bus, Pin: gpioreg.ByName, Close: bus.Close}, nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer, open opener) int {
	fs := flag.NewFlagSet("boardcheck", flag.ContinueOnError)
	fs.SetOutput(stderr)
	profile := fs.String("profile", "", "board profile JSON `file` (as for phoneflash serve -board-profile); required")
	cycle := fs.Int("cycle", -1, "PoE `channel` to power-cycle (0-3); -1 skips the power cycle")
	off := fs.Duration("off", 2*time.Second, "how long the cycled channel stays off")
	record := fs.Bool("record", false, "print the I²C transcript of the PSE and OLED steps as Go literals")
	step := fs.Duration("led-step", 300*time.Millisecond, "how long each LED stays lit in the walk")
	sysNet := fs.String("sys-net", netconf.SysClassNet, "where Linux lists the network cards (`dir`)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *profile == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "boardcheck: give -profile FILE and no other arguments (see boardcheck -h)")
		return 2
	}
	p, err := board.LoadProfile(*profile)
	if err != nil {
		fmt.Fprintf(stderr, "boardcheck: %v\n", err)
		return 2
	}
	m, err := open(p.I2CBus)
	if err != nil {
		fmt.Fprintf(stderr, "boardcheck: %v\n", err)
		return 1
	}
	if m.Close != nil {
		defer m.Close()
	}
	c := Check{Profile: p, Machine: m, Out: stdout, Cycle: *cycle, Off: *off, Record: *record, LEDStep: *step, SysNet: *sysNet}
	if err := c.Run(ctx); err != nil {
		fmt.Fprintf(stderr, "boardcheck: %v\n", err)
		return 1
	}
	return 0
}
