package session

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

const (
	stepLoad   = "SCCP11.8-5-2S"
	targetLoad = "SIP11.9-4-2SR1-1S"
	stepHint   = "SIP11.9-4-2SR1-1S needs a stepping stone 8.3(3)-8.5(2) for phones older than 8.3(3): import cmterm-7911_7906-sccp.8-5-2.cop.sgn"
)

var stepImages = []string{"jar11sccp.8-5-2TH1-9.sbn", "cnu11.8-5-2TH1-9.sbn", "apps11.8-5-2TH1-9.sbn",
	"dsp11.8-5-2TH1-9.sbn", "cvm11sccp.8-5-2TH1-9.sbn"}
var targetImages = []string{"jar11sip.9-4-2ES9.sbn", "cnu11.9-4-2ES9.sbn", "apps11.9-4-2ES9.sbn",
	"dsp11.9-4-2ES9.sbn", "cvm11sip.9-4-2ES9.sbn"}

// fakeCatalog is a firmware store holding the two loads of the journey.
type fakeCatalog struct {
	loads map[string][]string
}

func newCatalog(withStep bool) fakeCatalog {
	c := fakeCatalog{loads: map[string][]string{targetLoad: targetImages}}
	if withStep {
		c.loads[stepLoad] = stepImages
	}
	return c
}

// oldLoad reports loads older than 8.3(3) (SCCP11.8-0-3S, SCCP11.7-...).
func oldLoad(l string) bool {
	return strings.HasPrefix(l, "SCCP11.7") || strings.HasPrefix(l, "SCCP11.8-0") ||
		strings.HasPrefix(l, "SCCP11.8-2") || strings.HasPrefix(l, "SCCP11.8-3-1")
}

func (c fakeCatalog) Plan(_ Model, cur Current, target string) ([]string, error) {
	if _, ok := c.loads[target]; !ok {
		return nil, fmt.Errorf("target %s is not in the store: import it", target)
	}
	if cur.Kind == CurrentLoad && cur.Load == target {
		return nil, nil
	}
	needStep := cur.Kind == CurrentUnknown || cur.Kind == CurrentOldLoader || (cur.Kind == CurrentLoad && oldLoad(cur.Load))
	if !needStep {
		return []string{target}, nil
	}
	if _, ok := c.loads[stepLoad]; !ok {
		return nil, errors.New(stepHint)
	}
	return []string{stepLoad, target}, nil
}

func (c fakeCatalog) Images(load string) ([]string, bool) {
	imgs, ok := c.loads[load]
	return slices.Clone(imgs), ok
}

func (c fakeCatalog) TermFile(load string, m Model) (string, bool) {
	_, ok := c.loads[load]
	return m.TermFile(), ok && m.Known()
}

func (c fakeCatalog) FileSize(load, file string) int64 {
	i := slices.Index(c.loads[load], file)
	if i < 0 {
		return 0
	}
	return int64(1000 * (i + 1))
}

func (c fakeCatalog) Has(load string) bool { _, ok := c.loads[load]; return ok }

func (c fakeCatalog) LoadOfImage(file string) (string, bool) {
	for l, imgs := range c.loads {
		if slices.Contains(imgs, file) {
			return l, true
		}
	}
	return "", false
}

// fakeConfigs renders configs as short text so tests can read them.
type fakeConfigs struct {
	accounts map[string]string // key -> result word
}

func (fakeConfigs) Stepping(mac, model, load string) ([]byte, error) {
	return []byte("stepping " + mac + " " + model + " " + load), nil
}

func (f fakeConfigs) SIP(mac, port, model, load, account string) ([]byte, string, string, error) {
	if account == "" {
		return []byte("sip " + mac + " " + load), "done (no account)", "no account", nil
	}
	if r, ok := f.accounts[account]; ok && r != "done" {
		return []byte("sip " + mac + " " + load), r, "password for " + account + " is 40 characters; " + model + " accepts at most 31: shorten it in the account table", nil
	}
	return []byte("sip " + mac + " " + load + " " + account), "done", "", nil
}

func (fakeConfigs) Default(loads map[string]string) ([]byte, error) {
	return []byte("default 307=" + loads["307"] + " 369=" + loads["369"]), nil
}
