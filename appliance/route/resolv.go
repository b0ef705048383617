package route

import (
	"bufio"
	"bytes"
	"log/slog"
	"net/netip"
	"os"
	"slices"
	"strings"
	"sync"
)

// ResolvConf is where the uplink's resolvers are read by default. On
// gokrazy it is a symlink to /tmp/resolv.conf, which gokrazy's cmd/dhcp
// rewrites (with renameio) from every lease it gets on the uplink; before
// the first lease it points at the kernel's /proc/net/pnp.
const ResolvConf = "/etc/resolv.conf"

// maxResolvers is how many name servers a resolver library uses (MAXNS).
const maxResolvers = 3

// ParseResolvConf returns the IPv4 name servers of a resolv.conf, in order,
// at most three. Loopback and unspecified addresses are left out: a phone
// cannot reach the appliance's own local resolver (systemd-resolved's
// 127.0.0.53, say).
func ParseResolvConf(b []byte) []netip.Addr {
	var out []netip.Addr
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 2 || f[0] != "nameserver" {
			continue
		}
		a, err := netip.ParseAddr(f[1])
		if err != nil || !a.Unmap().Is4() || a.IsLoopback() || a.IsUnspecified() {
			continue
		}
		if a = a.Unmap(); !slices.Contains(out, a) {
			out = append(out, a)
		}
		if len(out) == maxResolvers {
			break
		}
	}
	return out
}

// Resolvers gives the uplink's current resolvers, reread when the file
// changes. Safe for concurrent use.
type Resolvers struct {
	Path string       // "" = ResolvConf
	Log  *slog.Logger // one line when the resolvers change; nil = none

	mu    sync.Mutex
	seen  os.FileInfo
	addrs []netip.Addr
}

// Get returns the resolvers; none when the file is missing or names none.
func (r *Resolvers) Get() []netip.Addr {
	path := r.Path
	if path == "" {
		path = ResolvConf
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	fi, err := os.Stat(path)
	if err == nil && r.seen != nil && os.SameFile(fi, r.seen) && fi.Size() == r.seen.Size() &&
		fi.ModTime().Equal(r.seen.ModTime()) && fi.Size() > 0 { // proc files say 0: read them each time
		return r.addrs
	}
	var addrs []netip.Addr
	if err == nil {
		b, rerr := os.ReadFile(path)
		if rerr == nil {
			addrs = ParseResolvConf(b)
		}
		r.seen = fi
	} else {
		r.seen = nil
	}
	if !slices.Equal(addrs, r.addrs) && r.Log != nil {
		r.Log.Info("uplink resolvers", "file", path, "dns", addrs)
	}
	r.addrs = addrs
	return addrs
}
