package appliance

import (
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/phoneflash/phoneflash/appliance/provision"
	"github.com/phoneflash/phoneflash/appliance/session"
	"github.com/phoneflash/phoneflash/firmware"
	"github.com/phoneflash/phoneflash/internal/atomicfile"
)

// BenchRange holds every bench port's default address (10.79.(i+1).1/24):
// no file of an office bundle may name an address in it.
var BenchRange = netip.MustParsePrefix("10.79.0.0/16")

// Office is what the office bundle is made of: the phones of the journal
// under StateDir with their accounts, configs from Prov, the Target load
// from Store.
type Office struct {
	StateDir string
	Store    *firmware.Store
	Prov     *provision.Provisioner
	Target   string
	Bench    []netip.Prefix // besides BenchRange
	Now      time.Time
}

// OfficeProvisioner is the provisioner export uses: the bench's settings
// (cfg's preset and dial plan) and account table (cfg's -accounts, else
// the one uploaded to the state directory).
func OfficeProvisioner(cfg Config) (*provision.Provisioner, error) {
	a, err := loadAccounts(cfg)
	if err != nil {
		return nil, err
	}
	return a.current(), nil
}

// WriteBundle writes the office bundle (a zip) to w.
func WriteBundle(w io.Writer, o Office) error {
	hs, err := Histories(o.StateDir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("reading the journal in %s: %w", o.StateDir, err)
	}
	target, _ := o.Store.Load(o.Target)
	b := provision.Bundle{Phones: bundlePhones(hs), Target: target, Bench: append([]netip.Prefix{BenchRange}, o.Bench...), Made: o.Now,
		Open: func(load, file string) (io.ReadCloser, error) { return o.Store.Open(load, file) }}
	if err := provision.CheckBundle(b); err != nil {
		return fmt.Errorf("%s: %w", o.Target, err)
	}
	return o.Prov.WriteBundle(w, b)
}

// bundlePhones are the phones the bench handled and has not forgotten.
func bundlePhones(hs []session.History) []provision.BundlePhone {
	var out []provision.BundlePhone
	for _, h := range hs {
		if len(h.Records) == 0 || h.Last().Kind == session.ForgetKind {
			continue
		}
		s := session.Summarize(h)
		m, _ := firmware.BuiltinModels().Named(firmware.ModelName(s.Model))
		out = append(out, provision.BundlePhone{MAC: session.NormalizeMAC(s.MAC), Port: s.Port, Model: m, Account: s.Account, Result: s.Result})
	}
	return out
}

// WriteBundleFile writes the office bundle to name atomically, so a reader
// sees the old file or the whole new one and a failure leaves the old one.
func WriteBundleFile(name string, o Office) error {
	err := atomicfile.Write(name, 0o644, func(w io.Writer) error { return WriteBundle(w, o) })
	// The temporary file atomicfile makes beside name (.NAME.tmp-*) could
	// not be made: the folder is not writable, or takes no files.
	var pe *os.PathError
	tmp := filepath.Join(filepath.Dir(name), "."+filepath.Base(name)+".tmp-")
	if errors.As(err, &pe) && strings.HasPrefix(pe.Path, tmp) {
		return fmt.Errorf("cannot write in %s (%w)", filepath.Dir(name), pe.Err)
	}
	return err
}

// bundle is the office bundle of the page's download: the bench's own
// table and settings, checked against its ports' subnets.
func (b *bench) bundle(w io.Writer) error {
	var ports []netip.Prefix
	for _, p := range b.cfg.Ports {
		ports = append(ports, p.Addr.Masked())
	}
	return WriteBundle(w, Office{StateDir: b.cfg.StateDir, Store: b.store, Prov: b.accounts.current(),
		Target: b.cfg.Target, Bench: ports, Now: time.Now()})
}
