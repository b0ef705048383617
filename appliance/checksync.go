package appliance

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/phoneflash/phoneflash/appliance/provision"
	"github.com/phoneflash/phoneflash/appliance/session"
	"github.com/phoneflash/phoneflash/firmware"
)

// A new account table reaches phones that already have their config
// without a power cycle (issue 17 item 4): every phone whose SIP config
// it changes is asked, by SIP NOTIFY check-sync, to re-read it.

// replaceAccounts is the page's and the API's upload: the table is saved
// and installed, and the phones whose config it changes are asked to
// re-read it. It returns what the page says about them.
func (b *bench) replaceAccounts(csv []byte) (string, error) {
	old, next, err := b.accounts.replace(b.cfg.StateDir, csv)
	if err != nil {
		return "", err
	}
	return b.tableChanged(old, next), nil
}

// tableChanged tells the sessions of the phones whose SIP config differs
// between old and next, and says which were asked to re-read it.
func (b *bench) tableChanged(old, next *provision.Provisioner) string {
	var phones []provision.Phone
	for _, ph := range b.mgr.Snapshot() {
		md, ok := b.models.Named(firmware.ModelName(ph.Model))
		if ph.Registration == nil || !ok {
			continue // no SIP config served yet: it reads the new table when it asks
		}
		phones = append(phones, provision.Phone{MAC: ph.MAC, Port: ph.Port, Model: md, Load: cmp.Or(ph.Load, ph.Target), Account: ph.Account})
	}
	changed, err := provision.Changed(old, next, phones)
	if err != nil {
		b.log.Error("account table: comparing the phones' configs", "err", err)
		return "could not compare the phones' configs: " + err.Error()
	}
	var asked, unasked []string
	for _, ph := range changed {
		before := time.Now()
		b.mgr.Handle(session.ConfigChanged{MAC: ph.MAC})
		if st, ok := b.mgr.State(ph.MAC); ok && !st.Sync.Asked.Before(before) {
			asked = append(asked, ph.MAC)
		} else {
			unasked = append(unasked, ph.MAC)
		}
	}
	b.log.Info("account table replaced", "configs_changed", len(changed), "asked", strings.Join(asked, ","),
		"not_asked", strings.Join(unasked, ","))
	var parts []string
	if len(asked) > 0 {
		parts = append(parts, "asked "+strings.Join(asked, ", ")+" to re-read their config (SIP NOTIFY check-sync)")
	}
	if len(unasked) > 0 {
		parts = append(parts, "config changed for "+strings.Join(unasked, ", ")+
			", not seen registering: power-cycle them to read it")
	}
	if len(parts) == 0 {
		return "no phone's config changed"
	}
	return strings.Join(parts, "; ")
}

// accountsPoll is how often -accounts FILE is looked at for a new table.
const accountsPoll = 2 * time.Second

// watchAccounts installs -accounts FILE again whenever it changes on disk
// (its size or modification time), until ctx is done. A table that does not
// parse is logged and the one in use kept.
func (b *bench) watchAccounts(ctx context.Context) error {
	name := b.cfg.AccountsFile
	seen := fileStamp(name)
	t := time.NewTicker(accountsPoll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		now := fileStamp(name)
		if now == seen {
			continue
		}
		seen = now
		tab, err := provision.LoadTable(name)
		if err != nil {
			b.log.Error("account table changed on disk but cannot be used; keeping the one in use", "file", name, "err", err)
			continue
		}
		old, next := b.accounts.install(tab)
		b.log.Info("account table reloaded from its file", "file", name, "rows", len(tab.Rows), "phones", b.tableChanged(old, next))
	}
}

// fileStamp identifies a version of a file: size and modification time.
func fileStamp(name string) string {
	st, err := os.Stat(name)
	if err != nil {
		return ""
	}
	return fmt.Sprint(st.Size(), st.ModTime().UnixNano())
}
