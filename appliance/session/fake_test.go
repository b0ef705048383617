package session

import (
	"fmt"
	"slices"

	"github.com/phoneflash/phoneflash/firmware"
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

// fakeCatalog is a firmware store holding the loads of the journey, with
// term files for both models and image sizes of 1000, 2000, ... bytes.
type fakeCatalog struct {
	loads []firmware.Load
}

func newCatalog(withStep bool) fakeCatalog {
	c := fakeCatalog{}
	if withStep {
		c.loads = append(c.loads, fakeLoad(stepLoad, stepImages))
	}
	return c.with(fakeLoad(targetLoad, targetImages))
}

// with adds a load.
func (c fakeCatalog) with(l firmware.Load) fakeCatalog {
	c.loads = append(slices.Clone(c.loads), l)
	return c
}

// fakeLoad is a load with the term files of every model of its family
// (06 and 11 for the 7906/7911 family).
func fakeLoad(name string, images []string) firmware.Load {
	ln, err := firmware.ParseLoadName(name)
	if err != nil {
		panic(err)
	}
	l := firmware.Load{Name: ln.Name, Protocol: ln.Protocol, Version: ln.Version, Images: images,
		Files: []firmware.FileInfo{{Name: ln.FileName(), Size: 660}}}
	for _, m := range firmware.BuiltinModels().Family(ln.Family) {
		l.Models = append(l.Models, m.Name)
		l.Files = append(l.Files, firmware.FileInfo{Name: m.TermFile(), Size: 660})
	}
	for i, img := range images {
		l.Files = append(l.Files, firmware.FileInfo{Name: img, Size: int64(1000 * (i + 1))})
	}
	return l
}

func (c fakeCatalog) Loads() []firmware.Load { return slices.Clone(c.loads) }

func (c fakeCatalog) Load(name string) (firmware.Load, bool) {
	for _, l := range c.loads {
		if l.Name == name {
			return l, true
		}
	}
	return firmware.Load{}, false
}

// fakeConfigs renders configs as short text so tests can read them.
type fakeConfigs struct {
	accounts map[string]string // key -> result word
}

func (fakeConfigs) Stepping(mac string, model firmware.Model, load string) ([]byte, error) {
	return []byte("stepping " + mac + " " + model.String() + " " + load), nil
}

func (f fakeConfigs) SIP(mac, port string, model firmware.Model, load, account string) ([]byte, string, string, error) {
	if account == "" {
		return []byte("sip " + mac + " " + load), "done (no account)", "no account", nil
	}
	if r, ok := f.accounts[account]; ok && r != "done" {
		return []byte("sip " + mac + " " + load), r, fmt.Sprintf("password for %s is 40 characters; %s accepts at most %d: shorten it in the account table", account, model, model.Password.Max), nil
	}
	return []byte("sip " + mac + " " + load + " " + account), "done", "", nil
}

// Default lists device type=load in the order of the model table.
func (fakeConfigs) Default(loads []firmware.ModelLoad) ([]byte, error) {
	s := "default"
	for _, l := range loads {
		s += fmt.Sprintf(" %d=%s", l.Model.DeviceType, l.Load)
	}
	return []byte(s), nil
}

func (fakeConfigs) DialPlan() ([]byte, error) { return []byte("dialplan"), nil }
