package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/phoneflash/phoneflash/internal/atomicfile"
)

// CNU (loader OS) generations. The old one refuses 9.x loads.
const (
	cnuOld  = "old"  // 3.3(0.2)-era, SCCP before 8.3(3)
	cnuNew  = "new"  // 3.3(0.3), 8.3(3)..8.5.x
	cnuNew9 = "new9" // 4.1, 9.x
)

// Flash is what survives a power cut. It is written atomically at each
// simulated flash write.
type Flash struct {
	Model       string `json:"model"`
	MAC         string `json:"mac"`
	CNU         string `json:"cnu"`
	Load        string `json:"load"` // app load name, "" = none (default-load mode)
	HasITL      bool   `json:"has_itl"`
	AltTFTP     string `json:"alt_tftp,omitempty"`
	Config      string `json:"config,omitempty"` // last config file received
	Writing     string `json:"writing,omitempty"`
	WritingCNU  bool   `json:"writing_cnu,omitempty"`
	Powered     bool   `json:"powered"` // set while the phone runs: a power cut leaves it set
	Boots       int    `json:"boots"`
	Reboots     int    `json:"reboots"`
	FlashWrites int    `json:"flash_writes"`
	Resets      int    `json:"resets"`
	PowerCuts   int    `json:"power_cuts"`
}

// scenarioFlash is the initial flash of each scenario, with the loads of
// the model's family: SCCP42.8-0-3S for a 7942 on old-cucm. On "sip" it
// runs the family's 9.4(2) (SR1 for the 7906/7911, SR3 for the others, as
// fwgen's targets).
func scenarioFlash(name, family string) (Flash, error) {
	switch name {
	case "old-cucm":
		return Flash{CNU: cnuOld, Load: "SCCP" + family + ".8-0-3S", HasITL: true}, nil
	case "formatted-old":
		return Flash{CNU: cnuOld}, nil
	case "sccp852":
		return Flash{CNU: cnuNew, Load: "SCCP" + family + ".8-5-2S"}, nil
	case "sip":
		if family == "11" {
			return Flash{CNU: cnuNew9, Load: "SIP11.9-4-2SR1-1S"}, nil
		}
		return Flash{CNU: cnuNew9, Load: "SIP" + family + ".9-4-2SR3-1S"}, nil
	}
	return Flash{}, fmt.Errorf("scenario %q: want old-cucm, formatted-old, sccp852 or sip", name)
}

// format is the keyed hard reset 3491672850*#: /flash0 is formatted except
// the CNU, so the next boot is in default-load mode.
func (f Flash) format() Flash {
	f.Load, f.HasITL, f.AltTFTP, f.Config, f.Writing, f.WritingCNU = "", false, "", "", "", false
	f.Resets++
	return f
}

// loadFlash reads the flash file; ok is false when it does not exist yet.
func loadFlash(path string) (Flash, bool, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Flash{}, false, nil
	}
	if err != nil {
		return Flash{}, false, fmt.Errorf("flash: read %s: %w", path, err)
	}
	var f Flash
	if err := json.Unmarshal(b, &f); err != nil {
		return Flash{}, false, fmt.Errorf("flash: decode %s: %w", path, err)
	}
	switch f.CNU {
	case cnuOld, cnuNew, cnuNew9:
	default:
		return Flash{}, false, fmt.Errorf("flash: %s: cnu %q: want old, new or new9", path, f.CNU)
	}
	return f, true, nil
}

// saveFlash writes the flash file atomically (temp file, fsync, rename).
func saveFlash(path string, f Flash) error {
	if err := atomicfile.WriteJSON(path, f, 0o600); err != nil {
		return fmt.Errorf("flash: %w", err)
	}
	return nil
}
