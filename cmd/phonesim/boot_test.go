package main

import (
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/phoneflash/phoneflash/firmware"
)

func TestBootFiles(t *testing.T) {
	id := Identity{MAC: testMAC, Model: "06"}
	ctl, itl := "CTLSEP002290BAD777.tlv", "ITLSEP002290BAD777.tlv"
	for _, tc := range []struct {
		scenario string
		optional []string
		configs  []string
	}{
		{"old-cucm", []string{ctl, itl}, []string{"SEP002290BAD777.cnf.xml.sgn"}},
		{"sccp852", []string{ctl, itl}, []string{"SEP002290BAD777.cnf.xml", "XMLDefault.cnf.xml"}},
		{"sip", []string{ctl, itl, "ITLFile.tlv"}, []string{"SEP002290BAD777.cnf.xml", "XMLDefault.cnf.xml"}},
	} {
		t.Run(tc.scenario, func(t *testing.T) {
			f, err := scenarioFlash(tc.scenario, "11")
			if err != nil {
				t.Fatal(err)
			}
			opt, cfgs := bootFiles(f, id)
			if diff := cmp.Diff(tc.optional, opt); diff != "" {
				t.Errorf("optional files (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.configs, cfgs); diff != "" {
				t.Errorf("config files (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFormatKeepsCNU(t *testing.T) {
	f, err := scenarioFlash("old-cucm", "11")
	if err != nil {
		t.Fatal(err)
	}
	f.AltTFTP, f.Config, f.Reboots = "192.0.2.1", "SEP.cnf.xml.sgn", 3
	want := Flash{CNU: cnuOld, Reboots: 3, Resets: 1}
	if diff := cmp.Diff(want, f.format()); diff != "" {
		t.Errorf("formatted flash (-want +got):\n%s", diff)
	}
}

func TestFlashRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "flash.json")
	if _, ok, err := loadFlash(path); ok || err != nil {
		t.Fatalf("missing file: ok=%v err=%v", ok, err)
	}
	want := Flash{Model: "06", MAC: testMAC.String(), CNU: cnuNew, Load: "SCCP11.8-5-2S", Writing: "SIP11.9-4-2SR1-1S.loads", Boots: 2}
	if err := saveFlash(path, want); err != nil {
		t.Fatal(err)
	}
	got, ok, err := loadFlash(path)
	if !ok || err != nil {
		t.Fatalf("ok=%v err=%v", ok, err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("flash (-want +got):\n%s", diff)
	}
}

func TestParseCut(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    cutPoint
		wantErr bool
	}{
		{"", cutPoint{}, false},
		{"dhcp", cutPoint{Kind: "dhcp"}, false},
		{"flash-write", cutPoint{Kind: "flash-write"}, false},
		{"image:3:4096", cutPoint{Kind: "image", Image: 3, Bytes: 4096}, false},
		{"image:1:64k", cutPoint{Kind: "image", Image: 1, Bytes: 65536}, false},
		{"image:3:50%", cutPoint{}, true},
		{"image:0:10", cutPoint{}, true},
		{"reboot", cutPoint{}, true},
	} {
		got, err := parseCut(tc.in)
		if (err != nil) != tc.wantErr {
			t.Errorf("parseCut(%q) err = %v, wantErr %v", tc.in, err, tc.wantErr)
			continue
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("parseCut(%q) (-want +got):\n%s", tc.in, diff)
		}
	}
}

func TestIdentity(t *testing.T) {
	for _, tc := range []struct{ in, model, str, dev string }{
		{"7906", "CP-7906G", "CP-7906G", "369"},
		{"CP-7911G", "CP-7911G", "CP-7911G", "307"},
		{"7911g", "CP-7911G", "CP-7911G", "307"},
		{"7942", "CP-7942G", "CP-7942G", "434"},
		{"CP-7971G-GE", "CP-7971G-GE", "CP-7971G-GE", "119"},
	} {
		m, err := parseModel(firmware.BuiltinModels(), tc.in)
		if err != nil {
			t.Fatal(err)
		}
		id := Identity{MAC: testMAC, Model: m}
		if m != tc.model || id.ModelString() != tc.str || id.DeviceType() != tc.dev || id.Hostname() != "SEP002290BAD777" {
			t.Errorf("%s: model %s %s %s %s", tc.in, m, id.ModelString(), id.DeviceType(), id.Hostname())
		}
	}
	if _, err := parseModel(firmware.BuiltinModels(), "7940"); err == nil {
		t.Error("7940 accepted")
	}
}

func TestCutOnce(t *testing.T) {
	p := &phone{opt: Options{Cut: cutPoint{Kind: "image", Image: 2, Bytes: 1024}}}
	if p.cutOnce("image", 1) != nil || p.cutOnce("loads", 0) != nil {
		t.Error("cut armed for the wrong transfer")
	}
	cut := p.cutOnce("image", 2)
	if cut == nil || cut(512) || !cut(1024) {
		t.Error("cut not armed at 1024 bytes of image 2")
	}
	p.cutFired = true
	if p.cutOnce("image", 2) != nil {
		t.Error("cut armed twice")
	}
	if got := ciscoMAC(0x0a0b0c).String(); got != "00:22:90:0a:0b:0c" {
		t.Errorf("ciscoMAC = %s", got)
	}
}
