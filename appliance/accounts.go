package appliance

import (
	"bytes"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"sync"

	"github.com/phoneflash/phoneflash/appliance/provision"
	"github.com/phoneflash/phoneflash/firmware"
	"github.com/phoneflash/phoneflash/internal/atomicfile"
)

// uploadedAccounts is where an account table uploaded through the web page
// is kept, so it survives restarts.
const uploadedAccounts = "accounts.csv"

// accounts is the provisioner behind a lock, so the operator can load a new
// account table while phones are being served. It satisfies session.Configs
// and session.Accounts.
type accounts struct {
	mu   sync.RWMutex
	prov *provision.Provisioner
}

func (a *accounts) current() *provision.Provisioner {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return a.prov
}

func (a *accounts) Stepping(mac string, model firmware.Model, load string) ([]byte, error) {
	return a.current().Stepping(mac, model, load)
}

func (a *accounts) SIP(mac, port string, model firmware.Model, load, account string) ([]byte, string, string, error) {
	return a.current().SIP(mac, port, model, load, account)
}

func (a *accounts) Default(loads []firmware.ModelLoad) ([]byte, error) {
	return a.current().Default(loads)
}

func (a *accounts) DialPlan() ([]byte, error) { return a.current().DialPlan() }

func (a *accounts) Assign(mac, port string, taken func(key string) bool) (string, bool) {
	return a.current().Assign(mac, port, taken)
}

// setBench installs the bench registrar's address on each port it serves.
func (a *accounts) setBench(addrs map[string]netip.AddrPort) {
	a.mu.Lock()
	defer a.mu.Unlock()
	next := *a.prov
	next.Bench = addrs
	a.prov = &next
}

// loadAccounts reads the operator's table: -accounts when given, else one
// uploaded earlier into the state directory, else none.
func loadAccounts(cfg Config) (*accounts, error) {
	name := cfg.AccountsFile
	if name == "" {
		up := filepath.Join(cfg.StateDir, uploadedAccounts)
		if _, err := os.Stat(up); err == nil {
			name = up
		}
	}
	prov, err := benchProvisioner(cfg)
	if err != nil {
		return nil, err
	}
	a := &accounts{prov: prov}
	if name == "" {
		return a, nil
	}
	t, err := provision.LoadTable(name)
	if err != nil {
		return nil, fmt.Errorf("account table %s: %w", name, err)
	}
	a.prov.Table = t
	return a, nil
}

// replace installs a new table (already checked by the web page), saving
// it first in the state directory (temp file, fsync, rename) so it survives
// a restart and nothing uploaded is lost. It returns the provisioners
// before and after.
func (a *accounts) replace(stateDir string, csv []byte) (old, next *provision.Provisioner, err error) {
	t, err := provision.ParseTable(bytes.NewReader(csv))
	if err != nil {
		return nil, nil, err
	}
	if err := atomicfile.WriteFile(filepath.Join(stateDir, uploadedAccounts), csv, 0o600); err != nil {
		return nil, nil, fmt.Errorf("saving the account table: %w", err)
	}
	old, next = a.install(t)
	return old, next, nil
}

// install makes t the table and returns the provisioners before and after.
func (a *accounts) install(t *provision.Table) (old, next *provision.Provisioner) {
	a.mu.Lock()
	defer a.mu.Unlock()
	n := *a.prov
	n.Table = t
	old, a.prov = a.prov, &n
	return old, a.prov
}
