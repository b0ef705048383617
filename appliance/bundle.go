package appliance

import (
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"time"

	"github.com/phoneflash/phoneflash/appliance/provision"
	"github.com/phoneflash/phoneflash/appliance/session"
	"github.com/phoneflash/phoneflash/firmware"
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

// WriteBundleFile writes the office bundle to name atomically: a temporary
// file in the same directory, synced and renamed over name, so a reader
// sees the old file or the whole new one. (internal/atomicfile will do
// this once it is on main.)
func WriteBundleFile(name string, o Office) error {
	f, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".tmp-*")
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return fmt.Errorf("cannot write in %s (%w)", filepath.Dir(name), err)
	}
	tmp := f.Name()
	err = WriteBundle(f, o)
	if err == nil {
		err = f.Chmod(0o644)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, name)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	// The rename itself survives a power cut once the directory is synced.
	if d, err := os.Open(filepath.Dir(name)); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
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
