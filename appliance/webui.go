package appliance

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"image"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/phoneflash/phoneflash/appliance/session"
	"github.com/phoneflash/phoneflash/appliance/status"
	"github.com/phoneflash/phoneflash/appliance/web"
	"github.com/phoneflash/phoneflash/internal/atomicfile"
)

// passwordFile in the state directory holds the web actions' password when
// -web-password is not given.
const passwordFile = "web-password"

// webPassword is -web-password, else the first line of the state
// directory's web-password file. When neither exists, it makes a random
// password, saves it there and logs it once: an appliance without SSH needs
// a way to learn it (gokrazy's web interface shows the log). It returns ""
// (actions disabled) only when none can be saved.
func (b *bench) webPassword() string {
	if b.cfg.WebPassword != "" {
		return b.cfg.WebPassword
	}
	name := filepath.Join(b.cfg.StateDir, passwordFile)
	if data, err := os.ReadFile(name); err == nil {
		line, _, _ := strings.Cut(string(data), "\n")
		if pw := strings.TrimSpace(line); pw != "" {
			return pw
		}
	}
	pw := rand.Text()[:12]
	if err := atomicfile.WriteFile(name, []byte(pw+"\n"), 0o600); err != nil {
		b.log.Warn("web: no password set and none can be saved; the page's actions are disabled", "file", name, "err", err)
		return ""
	}
	if err := os.Chmod(name, 0o600); err != nil {
		b.log.Warn("web: restricting the password file", "file", name, "err", err)
	}
	b.log.Info("web: no password was set; made one for the page's actions (change it in the file or with -web-password)", "password", pw, "file", name)
	return pw
}

// webService is the status page, API and metrics on cfg.HTTPAddr, never on
// a bench port's address.
func (b *bench) webService() (service, error) {
	srv, err := web.New(web.Options{
		Phones:      b.mgr,
		History:     b.history,
		Frame:       b.frame,
		Firmware:    b.store,
		Target:      strings.Join(b.targets.Loads(), ", "),
		Accounts:    b.replaceAccounts,
		PowerCycle:  b.powerCycle,
		Retry:       b.mgr.Retry,
		Forget:      b.mgr.Forget,
		Report:      b.report,
		Bundle:      b.bundle,
		Unhealthy:   b.unhealthy,
		Password:    b.webPassword(),
		ProtectPage: b.cfg.ProtectPage,
		StateDir:    b.cfg.StateDir,
		Metrics:     b.metrics,
		Log:         b.log.With("component", "web"),
	})
	if err != nil {
		return service{}, fmt.Errorf("web: %w", err)
	}
	var bench []netip.Prefix
	for _, p := range b.cfg.Ports {
		bench = append(bench, p.Addr.Masked())
	}
	return service{name: "web", run: func(ctx context.Context) error {
		l, err := web.Listen(b.cfg.HTTPAddr, bench)
		if err != nil {
			return fmt.Errorf("listening on %s: %w", b.cfg.HTTPAddr, err)
		}
		b.log.Info("web page", "addr", l.Addr().String())
		return srv.Serve(ctx, l)
	}}, nil
}

// frame is the OLED picture as the hardware shows it now.
func (b *bench) frame() image.Image {
	return status.Render(b.snapshot(), int(time.Since(b.start)/time.Second))
}

// history is one phone's journal records, oldest first, for the page.
func (b *bench) history(mac string) ([]session.Record, error) {
	h, err := History(b.cfg.StateDir, mac)
	if err != nil {
		return nil, err
	}
	return h.Records, nil
}

// report is the CSV report of every phone in the journal.
func (b *bench) report(w io.Writer) error {
	hs, err := Histories(b.cfg.StateDir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return session.WriteCSV(w, hs)
}
