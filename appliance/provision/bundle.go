package provision

import (
	"archive/zip"
	"bytes"
	"cmp"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"strings"
	"text/template"
	"time"

	"github.com/phoneflash/phoneflash/firmware"
)

// The office bundle is a TFTP root for the office: after the bench, a
// 79x1 SIP phone asks its TFTP server for SEP<MAC>.cnf.xml on every boot
// (design as if it keeps nothing), so the office must serve what the
// bench served, pointing at the real PBX.

// BundlePhone is one phone the bench handled, from its journal.
type BundlePhone struct {
	MAC     string
	Port    string
	Model   firmware.Model // zero when the bench never learnt it
	Account string         // its row's extension, "" for none
	Result  string         // what the bench says of it, for the README
}

// Bundle is what WriteBundle needs besides the provisioner.
type Bundle struct {
	Phones []BundlePhone
	Target firmware.Load // the load phones run, with its files
	// Open reads one file of a load from the firmware store.
	Open func(load, file string) (io.ReadCloser, error)
	// Bench are the bench's subnets: no file of the bundle may name an
	// address in them (the office cannot reach the bench).
	Bench []netip.Prefix
	Made  time.Time // the zip entries' time and the README's
}

// BundleLine is one phone as the bundle's README lists it.
type BundleLine struct {
	MAC, Model, Account, PBX, Transport, Note string
}

//go:embed bundle_readme.txt
var bundleReadme string

var readmeTmpl = template.Must(template.New("README.txt").Parse(bundleReadme))

// WriteBundle writes the office bundle as a zip to w: SEP<MAC>.cnf.xml of
// every phone with an account (as the bench served it at the end),
// XMLDefault.cnf.xml naming the target for every model seen, dialplan.xml,
// the target load's files exactly as stored (checked against the store's
// SHA-256), and README.txt on serving it and on every phone left out.
func (p *Provisioner) WriteBundle(w io.Writer, b Bundle) error {
	z := zip.NewWriter(w)
	lines, models, err := p.bundleConfigs(z, b)
	if err != nil {
		return err
	}
	if err := p.bundleDefaults(z, b, models); err != nil {
		return err
	}
	for _, f := range b.Target.Files {
		if err := copyStored(z, b, f); err != nil {
			return err
		}
	}
	var readme bytes.Buffer
	err = readmeTmpl.Execute(&readme, map[string]any{"Made": b.Made.UTC().Format(time.RFC3339), "Target": b.Target.Name, "Phones": lines})
	if err == nil {
		err = put(z, "README.txt", b, readme.Bytes())
	}
	if err == nil {
		err = z.Close()
	}
	if err != nil {
		return fmt.Errorf("provision: office bundle: %w", err)
	}
	return nil
}

// bundleConfigs writes each phone's SIP config and returns the README's
// lines and the models to name in XMLDefault.cnf.xml.
func (p *Provisioner) bundleConfigs(z *zip.Writer, b Bundle) ([]BundleLine, []firmware.Model, error) {
	phones := slices.Clone(b.Phones)
	slices.SortFunc(phones, func(x, y BundlePhone) int { return cmp.Compare(x.MAC, y.MAC) })
	var lines []BundleLine
	var models []firmware.Model
	for _, ph := range phones {
		l := BundleLine{MAC: ph.MAC, Model: cmp.Or(string(ph.Model.Name), "unknown model"), Account: cmp.Or(ph.Account, "-")}
		if ph.Model.DeviceType > 0 && b.Target.HasModel(ph.Model.Name) && !slices.ContainsFunc(models, func(m firmware.Model) bool { return m.Name == ph.Model.Name }) {
			models = append(models, ph.Model)
		}
		a, ok := p.Table.Lookup(ph.Account)
		switch {
		case ph.Model.Name == "":
			l.Note = "the bench never learnt its model: no config in this bundle; power it on the bench again and export again"
		case ph.Account == "" || !ok:
			l.Note = "no account: no config in this bundle (on the bench it registered with the bench itself); give it a row in the account table and export again"
		case benchAddress(a.PBXHost, b.Bench):
			l.Note = "its row's pbx_host is an address on the bench: left out; give the office PBX's address and export again"
		default:
			data, result, note, err := p.SIP(ph.MAC, ph.Port, ph.Model, b.Target.Name, ph.Account)
			if err != nil {
				return nil, nil, err
			}
			s, _ := p.SettingsFor(&a)
			l.PBX, l.Transport = fmt.Sprintf("%s:%d", a.PBXHost, s.Port), strings.ToUpper(s.Transport)
			l.Note = note
			if !strings.HasPrefix(ph.Result, "done") && ph.Result != "" {
				l.Note = strings.TrimPrefix(l.Note+"; on the bench: "+ph.Result, "; ")
			}
			if result == ResultPasswordRefused {
				l.Note += " (its config has no password: it will not register)"
			}
			if err := put(z, "SEP"+ph.MAC+".cnf.xml", b, data); err != nil {
				return nil, nil, err
			}
		}
		lines = append(lines, l)
	}
	return lines, models, nil
}

// bundleDefaults writes XMLDefault.cnf.xml and dialplan.xml.
func (p *Provisioner) bundleDefaults(z *zip.Writer, b Bundle, models []firmware.Model) error {
	slices.SortFunc(models, func(x, y firmware.Model) int { return cmp.Compare(x.DeviceType, y.DeviceType) })
	var loads []firmware.ModelLoad
	for _, m := range models {
		loads = append(loads, firmware.ModelLoad{Model: m, Load: b.Target.Name})
	}
	def, err := p.Default(loads)
	if err != nil {
		return err
	}
	if err := put(z, "XMLDefault.cnf.xml", b, def); err != nil {
		return err
	}
	plan, err := p.DialPlan()
	if err != nil {
		return err
	}
	return put(z, DialPlanFile, b, plan)
}

func benchAddress(host string, bench []netip.Prefix) bool {
	a, err := netip.ParseAddr(host)
	if err != nil {
		return false
	}
	return slices.ContainsFunc(bench, func(p netip.Prefix) bool { return p.Contains(a) })
}

// put adds a text file, after checking it names no bench address.
func put(z *zip.Writer, name string, b Bundle, data []byte) error {
	for _, pfx := range b.Bench {
		if mentionsBench(data, pfx) {
			return fmt.Errorf("%s would name a bench address (in %s); the office cannot reach the bench", name, pfx)
		}
	}
	w, err := z.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: b.Made})
	if err != nil {
		return err
	}
	_, err = w.Write(data)
	return err
}

// mentionsBench reports whether data holds an IPv4 address inside pfx.
func mentionsBench(data []byte, pfx netip.Prefix) bool {
	fields := strings.FieldsFunc(string(data), func(r rune) bool { return !(r == '.' || r >= '0' && r <= '9') })
	return slices.ContainsFunc(fields, func(f string) bool {
		a, err := netip.ParseAddr(f)
		return err == nil && pfx.Contains(a)
	})
}

// copyStored adds one file of the target load exactly as stored, checked
// against the store's SHA-256 on the way.
func copyStored(z *zip.Writer, b Bundle, f firmware.FileInfo) error {
	r, err := b.Open(b.Target.Name, f.Name)
	if err != nil {
		return fmt.Errorf("provision: office bundle: %w", err)
	}
	defer r.Close()
	w, err := z.CreateHeader(&zip.FileHeader{Name: f.Name, Method: zip.Store, Modified: b.Made})
	if err != nil {
		return fmt.Errorf("provision: office bundle: %w", err)
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(w, h), r)
	if err != nil {
		return fmt.Errorf("provision: office bundle: copying %s/%s: %w", b.Target.Name, f.Name, err)
	}
	if sum := hex.EncodeToString(h.Sum(nil)); n != f.Size || sum != f.SHA256 {
		return fmt.Errorf("provision: office bundle: %s/%s is %d bytes with SHA-256 %s, the store's manifest says %d and %s: run phoneflash firmware verify",
			b.Target.Name, f.Name, n, sum, f.Size, f.SHA256)
	}
	return nil
}

// errNoTarget is returned when the target load is not in the store.
var errNoTarget = errors.New("the target load is not in the firmware store")

// CheckBundle checks b before anything is written.
func CheckBundle(b Bundle) error {
	if b.Target.Name == "" || len(b.Target.Files) == 0 {
		return fmt.Errorf("provision: office bundle: %w; import it first (phoneflash firmware import)", errNoTarget)
	}
	if b.Open == nil {
		return errors.New("provision: office bundle: no way to read the firmware store")
	}
	return nil
}
