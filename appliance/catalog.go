package appliance

import (
	"fmt"

	"github.com/phoneflash/phoneflash/appliance/session"
	"github.com/phoneflash/phoneflash/firmware"
)

// catalog shows the firmware store to the session machine. It reads the
// store on every call, so a load imported while the appliance runs is used
// at once.
type catalog struct {
	store *firmware.Store
}

var _ session.Catalog = catalog{}

func fwModel(m session.Model) (firmware.Model, bool) {
	fm, err := firmware.ParseModel(m.Name)
	return fm, err == nil
}

// Plan maps the session's knowledge of a phone onto firmware.Plan. A phone
// known to have a new loader (8.3(3) or later) needs no stepping stone: that
// is the direct policy.
func (c catalog) Plan(m session.Model, cur session.Current, target string) ([]string, error) {
	fm, ok := fwModel(m)
	if !ok {
		return nil, fmt.Errorf("phone model %q is not a CP-7906G or CP-7911G; phoneflash knows no firmware for it", m.Name)
	}
	fc := firmware.Current{Kind: firmware.CurrentUnknown}
	policy := firmware.PolicyStepping
	switch cur.Kind {
	case session.CurrentOldLoader:
		fc.Kind = firmware.CurrentOldLoader
	case session.CurrentNewLoader:
		policy = firmware.PolicyDirect
	case session.CurrentLoad:
		fc = firmware.Current{Kind: firmware.CurrentLoad, Load: cur.Load}
	}
	return firmware.Plan(fm, fc, target, c.store.Loads(), policy)
}

func (c catalog) Images(load string) ([]string, bool) {
	l, ok := c.store.Load(load)
	if !ok {
		return nil, false
	}
	return l.Images, true
}

func (c catalog) TermFile(load string, m session.Model) (string, bool) {
	l, ok := c.store.Load(load)
	fm, mok := fwModel(m)
	if !ok || !mok {
		return "", false
	}
	name := l.TermFile(fm)
	if _, has := l.File(name); !has {
		return "", false
	}
	return name, true
}

func (c catalog) FileSize(load, file string) int64 {
	l, ok := c.store.Load(load)
	if !ok {
		return 0
	}
	fi, ok := l.File(file)
	if !ok {
		return 0
	}
	return fi.Size
}

func (c catalog) Has(load string) bool {
	_, ok := c.store.Load(load)
	return ok
}

func (c catalog) LoadOfImage(file string) (string, bool) {
	l, _, ok := c.store.FindFile(file)
	if !ok {
		return "", false
	}
	return l.Name, true
}
