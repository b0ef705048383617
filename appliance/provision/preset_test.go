package provision

import (
	"bufio"
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestPresetConfigs: under each PBX preset, the SIP config of the row in
// testdata/presets.csv says exactly what testdata/presets.ref says,
// element by element (and matches its golden file byte for byte).
func TestPresetConfigs(t *testing.T) {
	tab, err := LoadTable(filepath.Join("testdata", "presets.csv"))
	if err != nil {
		t.Fatal(err)
	}
	ref := readReference(t, filepath.Join("testdata", "presets.ref"))
	for _, name := range append([]string{""}, PresetNames()...) {
		t.Run("preset="+name, func(t *testing.T) {
			own, ok := ref[name]
			if !ok {
				t.Fatalf("presets.ref has no [%s] section", name)
			}
			p := &Provisioner{Table: tab, Preset: name}
			data, result, note, err := p.SIP("001122AABB01", "eth1", m7911, target, "1001")
			if err != nil || result != ResultDone || note != "" {
				t.Fatalf("SIP: %q %q %v", result, note, err)
			}
			golden(t, "sip-"+cmpOr(name, "base")+".cnf.xml.golden", data)
			want := append(slices.Clone(ref["*"]), own...)
			slices.Sort(want)
			got := flatten(t, data)
			slices.Sort(got)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("elements (-presets.ref +config):\n%s", diff)
			}
		})
	}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// TestPresetOverrides: a row's own columns win over its preset, its preset
// over the bench's; an unknown bench preset is an error naming the list.
func TestPresetOverrides(t *testing.T) {
	tab, err := ParseTable(strings.NewReader("extension,pbx_host,preset,transport,pbx_port,voicemail\n" +
		"1001,pbx,freepbx-chansip,,,\n1002,pbx,FreePBX-ChanSIP,TCP,5999,*55\n1003,pbx,,,,\n"))
	if err != nil {
		t.Fatal(err)
	}
	p := &Provisioner{Table: tab, Preset: "hosted"}
	for _, tt := range []struct {
		ext, transport, voicemail string
		port, expires             int
	}{
		{"1001", "udp", "*97", 5160, 3600}, // the row's preset
		{"1002", "tcp", "*55", 5999, 3600}, // the row's columns
		{"1003", "udp", "", 5060, 120},     // the bench's preset
	} {
		a, _ := tab.Lookup(tt.ext)
		s, err := p.SettingsFor(&a)
		if err != nil {
			t.Fatal(err)
		}
		if s.Transport != tt.transport || s.Port != tt.port || s.Voicemail != tt.voicemail || s.Preset.Expires != tt.expires {
			t.Errorf("%s: %+v; want %s %d %q expires %d", tt.ext, s, tt.transport, tt.port, tt.voicemail, tt.expires)
		}
	}
	p.Preset = "freepbx"
	_, _, _, err = p.SIP("001122AABB01", "eth1", m7911, target, "1003")
	if err == nil || !strings.Contains(err.Error(), "freepbx-pjsip, freepbx-chansip, asterisk, hosted") {
		t.Errorf("unknown bench preset: %v", err)
	}
}

// readReference reads presets.ref: sections of "path = value" lines.
func readReference(t *testing.T, name string) map[string][]string {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string][]string{}
	section := "?"
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			section = line[1 : len(line)-1]
			out[section] = nil
		default:
			out[section] = append(out[section], line)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// flatten lists every element with text and every attribute of a config
// as "path = value" (the path below <device>).
func flatten(t *testing.T, data []byte) []string {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(data))
	var stack []string
	var text []string
	var out []string
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("config is not XML: %v", err)
		}
		switch tk := tok.(type) {
		case xml.StartElement:
			stack = append(stack, tk.Name.Local)
			text = append(text, "")
			for _, a := range tk.Attr {
				out = append(out, strings.Join(stack[1:], "/")+"/@"+a.Name.Local+" = "+a.Value)
			}
		case xml.CharData:
			if len(text) > 0 {
				text[len(text)-1] += string(tk)
			}
		case xml.EndElement:
			if v := strings.TrimSpace(text[len(text)-1]); v != "" {
				out = append(out, strings.Join(stack[1:], "/")+" = "+v)
			}
			stack, text = stack[:len(stack)-1], text[:len(text)-1]
		}
	}
}
