package main

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/phoneflash/phoneflash/firmware"
	"github.com/phoneflash/phoneflash/firmware/fwgen"
)

// fwFiles returns fwgen's files of l by name, at a small scale.
func fwFiles(t *testing.T, l fwgen.Load) map[string][]byte { return filesAt(t, l, 0.001) }

// filesAt returns fwgen's files of l by name, at the given scale.
func filesAt(t *testing.T, l fwgen.Load, scale float64) map[string][]byte {
	t.Helper()
	files, err := fwgen.Files(l, scale)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string][]byte{}
	for _, f := range files {
		m[f.Name] = f.Data
	}
	return m
}

func TestParseLoadsFile(t *testing.T) {
	sip, sccp := fwFiles(t, fwgen.SIP942()), fwFiles(t, fwgen.SCCP852())
	sipImages := fwgen.SIP942().ImageNames()
	sccpImages := fwgen.SCCP852().ImageNames()
	for _, tc := range []struct {
		name    string
		asked   string
		data    []byte
		want    LoadsInfo
		wantErr string
	}{
		{"own loads", "SIP11.9-4-2SR1-1S.loads", sip["SIP11.9-4-2SR1-1S.loads"],
			LoadsInfo{"SIP11.9-4-2SR1-1S", firmware.Version{Major: 9, Minor: 4, Maint: 2, SR: 1, Build: 1}, firmware.SIP, sipImages}, ""},
		{"sip term file", "term06.default.loads", sip["term06.default.loads"],
			LoadsInfo{"SIP11.9-4-2SR1-1S", firmware.Version{Major: 9, Minor: 4, Maint: 2, SR: 1, Build: 1}, firmware.SIP, sipImages}, ""},
		{"sccp term file", "term11.default.loads", sccp["term11.default.loads"],
			LoadsInfo{"SCCP11.8-5-2S", firmware.Version{Major: 8, Minor: 5, Maint: 2}, firmware.SCCP, sccpImages}, ""},
		{"renamed", "term11.default.loads", sip["term06.default.loads"], LoadsInfo{}, "filename doesn't match"},
		{"not signed", "term11.default.loads", []byte("jar11sip.9-4-2ES9.sbn\r\n"), LoadsInfo{}, "File is not signed!"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseLoadsFile(tc.asked, tc.data, "11")
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("info (-want +got):\n%s", diff)
			}
		})
	}
}

func TestHardwareCompatibility(t *testing.T) {
	body := "#HARDWARE_COMP_1 2\r\n\r\njar11sip.9-4-2ES9.sbn\r\n"
	data, err := fwgen.Signed("SIP11.9-4-2SR1-1S.loads", []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := parseLoadsFile("SIP11.9-4-2SR1-1S.loads", data, "11"); err == nil || !strings.Contains(err.Error(), "hardware compatibility") {
		t.Errorf("err = %v, want a hardware compatibility mismatch", err)
	}
}

// TestAcceptLoad is the stepping-stone rule: the old loader refuses 9.x.
func TestAcceptLoad(t *testing.T) {
	v := func(maj, min, maint int) LoadsInfo {
		return LoadsInfo{Name: "L", Version: firmware.Version{Major: maj, Minor: min, Maint: maint}}
	}
	for _, tc := range []struct {
		cnu    string
		load   LoadsInfo
		accept bool
	}{
		{cnuOld, v(9, 4, 2), false},
		{cnuOld, v(9, 2, 1), false},
		{cnuOld, v(8, 5, 2), true},
		{cnuOld, v(8, 3, 3), true},
		{cnuNew, v(9, 4, 2), true},
		{cnuNew, v(8, 5, 2), true},
		{cnuNew9, v(9, 4, 2), true},
		{cnuNew9, v(8, 5, 2), true},
	} {
		err := acceptLoad(tc.cnu, tc.load)
		if (err == nil) != tc.accept {
			t.Errorf("acceptLoad(%s, %s) = %v, want accept=%v", tc.cnu, tc.load.Version, err, tc.accept)
		}
	}
}

func TestCNUFor(t *testing.T) {
	for _, tc := range []struct {
		v    firmware.Version
		want string
	}{
		{firmware.Version{Major: 8, Minor: 0, Maint: 3}, cnuOld},
		{firmware.Version{Major: 8, Minor: 3, Maint: 3}, cnuNew},
		{firmware.Version{Major: 8, Minor: 5, Maint: 2}, cnuNew},
		{firmware.Version{Major: 9, Minor: 4, Maint: 2, SR: 1}, cnuNew9},
	} {
		if got := cnuFor(tc.v); got != tc.want {
			t.Errorf("cnuFor(%s) = %s, want %s", tc.v, got, tc.want)
		}
	}
}

func TestCheckSignedImage(t *testing.T) {
	files := fwFiles(t, fwgen.SIP942())
	img := files["cnu11.9-4-2ES9.sbn"]
	hl, err := checkSigned("cnu11.9-4-2ES9.sbn", img)
	if err != nil || hl <= 0 || hl >= len(img) {
		t.Errorf("checkSigned = %d, %v", hl, err)
	}
	if _, err := checkSigned("cnu11.8-5-2TH1-9.sbn", img); err == nil {
		t.Error("a renamed image was accepted")
	}
}

// TestParseLoadsFileFamilies: a term file names no load; the phone names
// the one it installs from its family and the release of the images.
func TestParseLoadsFileFamilies(t *testing.T) {
	for _, f := range fwgen.Families() {
		for _, l := range []fwgen.Load{f.Stone(), f.Target(), f.SCCP("8-5-2SR1"), f.SCCP("8-5-3")} {
			files := fwFiles(t, l)
			term := l.TermFiles()[0]
			got, err := parseLoadsFile(term, files[term], f.Family)
			if err != nil || got.Name != l.Name {
				t.Errorf("%s of %s: %q, %v", term, l.Name, got.Name, err)
			}
		}
	}
}
