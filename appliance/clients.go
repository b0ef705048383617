package appliance

import (
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"strings"
	"sync"

	"github.com/phoneflash/phoneflash/appliance/session"
	"github.com/phoneflash/phoneflash/appliance/tftpd"
	"github.com/phoneflash/phoneflash/firmware"
)

// leaseIndex says which MAC holds a bench address: learnt from the DHCP
// events the bench sees (an ACK binds, a release or decline unbinds) and,
// after a restart, from the sessions' own addresses. It lets a TFTP client
// be told apart without asking the DHCP servers.
type leaseIndex struct {
	mu    sync.Mutex
	byIP  map[netip.Addr]string // MAC as session.NormalizeMAC writes it
	byMAC map[string]netip.Addr // the other way: a MAC holds one address per bench
}

// leasesOf indexes the addresses of phones, e.g. those resumed from the
// journal.
func leasesOf(phones []session.Phone) *leaseIndex {
	x := &leaseIndex{byIP: map[netip.Addr]string{}, byMAC: map[string]netip.Addr{}}
	for _, p := range phones {
		if ip, err := netip.ParseAddr(p.IP); err == nil {
			x.bind(ip, p.MAC)
		}
	}
	return x
}

func (x *leaseIndex) bind(ip netip.Addr, mac string) {
	mac = session.NormalizeMAC(mac)
	x.mu.Lock()
	defer x.mu.Unlock()
	ip = ip.Unmap()
	if old, ok := x.byMAC[mac]; ok && x.byIP[old] == mac {
		delete(x.byIP, old)
	}
	if other, ok := x.byIP[ip]; ok && other != mac {
		delete(x.byMAC, other)
	}
	x.byIP[ip] = mac
	x.byMAC[mac] = ip
}

func (x *leaseIndex) unbind(ip netip.Addr, mac string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	mac = session.NormalizeMAC(mac)
	if x.byIP[ip.Unmap()] == mac {
		delete(x.byIP, ip.Unmap())
		delete(x.byMAC, mac)
	}
}

func (x *leaseIndex) macAt(ip netip.Addr) (string, bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	mac, ok := x.byIP[ip.Unmap()]
	return mac, ok
}

// namedPhone is the MAC a phone's own file names: SEP<MAC>.cnf.xml (and its
// signed forms), CTLSEP<MAC>.tlv, ITLSEP<MAC>.tlv; "" for any other name.
func namedPhone(name string) string {
	lower := strings.ToLower(strings.TrimLeft(name, "/"))
	var rest string
	switch {
	case strings.HasPrefix(lower, "ctlsep"), strings.HasPrefix(lower, "itlsep"):
		rest = lower[len("ctlsep"):]
	case strings.HasPrefix(lower, "sep"):
		rest = lower[len("sep"):]
	default:
		return ""
	}
	mac, _, _ := strings.Cut(rest, ".")
	if len(mac) != 12 || !session.ValidMAC(mac) {
		return ""
	}
	return session.NormalizeMAC(mac)
}

// clientAttrs tags a TFTP client's log lines with the MAC leased its
// address.
func (b *bench) clientAttrs(client netip.Addr) []any {
	if mac, ok := b.leases.macAt(client); ok {
		return []any{"mac", mac}
	}
	return nil
}

// storeFile answers a TFTP client that is no phone the bench follows (a
// laptop, a phone with a static address) from the firmware store, with
// only what a manifest lists: "LOAD/FILE", or a bare name, looked up as
// an image or .loads file of whichever load holds it, and a term file as
// the target load's. Nothing else on disk is served: no file outside a
// manifest, nothing of the store's staging folder, no path with "..".
func (b *bench) storeFile(name string) (tftpd.Content, error) {
	load, file, nested := strings.Cut(name, "/")
	if !nested {
		load, file = "", name
		if firmware.IsTermFile(name) {
			load = b.termLoad(name)
		} else if l, _, ok := b.store.FindFile(name); ok {
			load = l.Name
		}
	}
	f, err := b.store.Open(load, file)
	switch {
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, firmware.ErrNoFile):
		return tftpd.Content{}, tftpd.ErrNotFound
	case err != nil:
		// A permission problem: the client sees File not found, the log
		// the reason.
		return tftpd.Content{}, fmt.Errorf("%w: %v", tftpd.ErrNotFound, err)
	}
	return tftpd.File(f)
}
