package provision

import (
	"bytes"
	"encoding/xml"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/phoneflash/phoneflash/firmware"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s (-want +got):\n%s", name, diff)
	}
}

func testProvisioner(t *testing.T) *Provisioner {
	t.Helper()
	tab, err := LoadTable(filepath.Join("testdata", "accounts.csv"))
	if err != nil {
		t.Fatal(err)
	}
	return &Provisioner{Table: tab}
}

const target = "SIP11.9-4-2SR1-1S"

// The model table's rows (firmware's tests check they are there).
var (
	m7906, _ = firmware.BuiltinModels().Named("CP-7906G")
	m7911, _ = firmware.BuiltinModels().Named("CP-7911G")
)

func TestGoldenConfigs(t *testing.T) {
	p := testProvisioner(t)
	step, err := p.Stepping("001122AABB01", m7906, target)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "stepping.cnf.xml.golden", step)
	sip, result, note, err := p.SIP("001122AABB01", "eth1", m7906, target, "1001")
	if err != nil || result != ResultDone || note != "" {
		t.Fatalf("SIP: %q %q %v", result, note, err)
	}
	golden(t, "sip.cnf.xml.golden", sip)
	none, result, note, err := p.SIP("001122AABB09", "eth1", m7911, target, "")
	if err != nil || result != ResultNoAccount || note != "no account" {
		t.Fatalf("SIP without account: %q %q %v", result, note, err)
	}
	golden(t, "noaccount.cnf.xml.golden", none)
	def, err := p.Default([]firmware.ModelLoad{{Model: m7906, Load: "SCCP11.8-5-2S"}, {Model: m7911, Load: target}})
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "XMLDefault.cnf.xml.golden", def)
	if _, err := p.Default([]firmware.ModelLoad{{Model: firmware.Model{Name: "CP-7999G"}, Load: target}}); err == nil {
		t.Error("Default accepted a model without a device type")
	}
	if _, err := p.Stepping("001122AABB01", m7906, ""); err == nil {
		t.Error("Stepping accepted no load")
	}
}

// parsed is what a phone reads back out of a SIP config.
type parsed struct {
	Protocol string `xml:"deviceProtocol"`
	Node     string `xml:"devicePool>callManagerGroup>members>member>callManager>processNodeName"`
	SIPPort  int    `xml:"devicePool>callManagerGroup>members>member>callManager>ports>sipPort"`
	Line     struct {
		Button       string `xml:"button,attr"`
		FeatureID    int    `xml:"featureID"`
		Label        string `xml:"featureLabel"`
		Proxy        string `xml:"proxy"`
		Port         int    `xml:"port"`
		Name         string `xml:"name"`
		DisplayName  string `xml:"displayName"`
		AuthName     string `xml:"authName"`
		AuthPassword string `xml:"authPassword"`
		Contact      string `xml:"contact"`
	} `xml:"sipProfile>sipLines>line"`
	Load string `xml:"loadInformation"`
}

func parseSIP(t *testing.T, data []byte) parsed {
	t.Helper()
	var p parsed
	if err := xml.Unmarshal(data, &p); err != nil {
		t.Fatalf("config is not XML: %v\n%s", err, data)
	}
	return p
}

func TestSIPPasswords(t *testing.T) {
	p := testProvisioner(t)
	limited := func(m firmware.Model, max, warn int) firmware.Model {
		m.Password = firmware.PasswordLimit{Max: max, Warn: warn}
		return m
	}
	tests := []struct {
		account      string
		model        firmware.Model
		result, note string
		password     string
	}{
		{"1002", m7906, ResultDone, "", "shortpw"},
		{"1003", m7906, ResultPasswordRefused, "password for 1003 is 40 characters; CP-7906G accepts at most 30: shorten it in the account table", ""},
		{"1004", m7911, ResultPasswordLongWarn, "password for 1004 is 16 characters; some CP-7911G firmware rejects more than 12: shorten it if the line does not register", "0123456789abcdef"},
		{"1003", limited(m7911, 40, 40), ResultDone, "", "0123456789012345678901234567890123456789"},
		{"1004", limited(m7906, 12, 8), ResultPasswordRefused, "password for 1004 is 16 characters; CP-7906G accepts at most 12: shorten it in the account table", ""},
	}
	for _, tt := range tests {
		t.Run(tt.account+tt.model.String(), func(t *testing.T) {
			data, result, note, err := p.SIP("001122AABB03", "eth1", tt.model, target, tt.account)
			if err != nil {
				t.Fatal(err)
			}
			if result != tt.result || note != tt.note {
				t.Errorf("result %q note %q, want %q %q", result, note, tt.result, tt.note)
			}
			got := parseSIP(t, data)
			if got.Line.AuthPassword != tt.password || got.Load != target || got.Protocol != "SIP" || got.Line.Name != tt.account {
				t.Errorf("parsed %+v", got)
			}
		})
	}
}

// TestPasswordBoundaries: a password of exactly a model's limit goes into
// the config, one character more does not (phonesim's TestPasswordLimit is
// the phone's side of the same row).
func TestPasswordBoundaries(t *testing.T) {
	for _, m := range firmware.BuiltinModels() {
		lim := m.Password
		for _, tt := range []struct {
			n      int
			result string
		}{
			{lim.Warn, ResultDone},
			{lim.Warn + 1, ResultPasswordLongWarn},
			{lim.Max, ResultPasswordLongWarn},
			{lim.Max + 1, ResultPasswordRefused},
		} {
			pw := strings.Repeat("p", tt.n)
			tab, err := ParseTable(strings.NewReader("extension,password,pbx_host\n1001," + pw + ",pbx\n"))
			if err != nil {
				t.Fatal(err)
			}
			p := &Provisioner{Table: tab}
			data, result, _, err := p.SIP("001122AABB03", "eth1", m, target, "1001")
			if err != nil {
				t.Fatal(err)
			}
			want := pw
			if tt.result == ResultPasswordRefused {
				want = ""
			}
			if got := parseSIP(t, data).Line.AuthPassword; result != tt.result || got != want {
				t.Errorf("%s, %d characters (limit %d, warn above %d): %s with %d in the config; want %s with %d",
					m, tt.n, lim.Max, lim.Warn, result, len(got), tt.result, len(want))
			}
		}
	}
}

func TestSIPEscapesOperatorText(t *testing.T) {
	p := testProvisioner(t)
	data, _, _, err := p.SIP("001122AABB03", "eth1", m7906, target, "1003")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(data, []byte("<Pass>")) || !bytes.Contains(data, []byte("Long &lt;Pass&gt; &amp; Co")) {
		t.Fatalf("display name not escaped:\n%s", data)
	}
	got := parseSIP(t, data)
	want := parsed{Protocol: "SIP", Node: "192.0.2.10", SIPPort: 5080, Load: target}
	want.Line.Button, want.Line.FeatureID, want.Line.Label, want.Line.Proxy = "1", 9, "Long <Pass> & Co", "USECALLMANAGER"
	want.Line.Port, want.Line.Name, want.Line.DisplayName, want.Line.Contact = 5080, "1003", "Long <Pass> & Co", "1003"
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("parsed (-want +got):\n%s", diff)
	}
}

func TestAssign(t *testing.T) {
	p := testProvisioner(t)
	held := map[string]bool{}
	taken := func(k string) bool { return held[k] }
	steps := []struct{ mac, port, want string }{
		{"00-11-22-AA-BB-01", "eth1", "1001"}, // by MAC, on any port
		{"SEP001122AABB02", "eth2", "1002"},   // by port
		{"001122AABB05", "eth2", "1003"},      // port row taken: next free row
		{"001122AABB06", "eth1", "1004"},      // next free row
		{"001122AABB07", "eth1", ""},          // table exhausted
	}
	for _, s := range steps {
		got, ok := p.Assign(s.mac, s.port, taken)
		if got != s.want || ok != (s.want != "") {
			t.Fatalf("Assign(%s, %s) = %q, %v; want %q", s.mac, s.port, got, ok, s.want)
		}
		held[got] = true
	}
	// The MAC row is the phone's even when another phone "holds" it.
	if got, _ := p.Assign("001122aabb01", "eth9", func(string) bool { return true }); got != "1001" {
		t.Fatalf("MAC row = %q", got)
	}
	var none *Provisioner = &Provisioner{}
	if got, ok := none.Assign("001122AABB01", "eth1", taken); ok || got != "" {
		t.Fatalf("no table assigned %q", got)
	}
}

func TestParseTableErrors(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"empty", "", "empty file"},
		{"unknown column", "extension,pbx_host,colour\n", "line 1: header: unknown column \"colour\""},
		{"missing column", "extension,password\n", "line 1: header: column pbx_host is missing"},
		{"duplicate column", "extension,pbx_host,Extension\n", "line 1: header: column \"Extension\" appears twice"},
		{"bad mac", "mac,extension,pbx_host\n# comment\nzz:11,1001,pbx\n", "line 3: mac \"zz:11\": not a MAC address"},
		{"empty extension", "extension,pbx_host\n,pbx\n", "line 2: extension is empty"},
		{"space in extension", "extension,pbx_host\n10 01,pbx\n", "line 2: extension \"10 01\""},
		{"no pbx", "extension,pbx_host\n1001,\n", "line 2: pbx_host is empty"},
		{"bad pbx", "extension,pbx_host\n1001,pbx host\n", "line 2: pbx_host \"pbx host\""},
		{"bad port", "extension,pbx_host,pbx_port\n1001,pbx,99999\n", "line 2: pbx_port \"99999\""},
		{"duplicate extension", "extension,pbx_host\n1001,pbx\n1001,pbx\n", "line 3: extension 1001 is already on line 2"},
		{"duplicate mac", "mac,extension,pbx_host\n0011.22aa.bb01,1001,pbx\n00:11:22:AA:BB:01,1002,pbx\n", "line 3: mac 001122AABB01 is already on line 2"},
		{"control character", "extension,pbx_host,password\n1001,pbx,\"a\x01b\"\n", "line 2: password: contains the control character U+0001"},
		{"field count", "extension,pbx_host\n1001,pbx,extra\n", "line 2: wrong number of fields"},
		{"bare quote", "extension,pbx_host\n10\"01,pbx\n", "line 2: bare \" in non-quoted-field"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseTable(strings.NewReader(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want %q", err, tt.want)
			}
		})
	}
	if _, err := LoadTable(filepath.Join(t.TempDir(), "none.csv")); err == nil || !strings.Contains(err.Error(), "account table") {
		t.Fatalf("missing file: %v", err)
	}
}

func TestParseTable(t *testing.T) {
	tab, err := ParseTable(strings.NewReader("\ufeffExtension,PBX-Host,password\n1001,pbx.example.org,pw\n\n1002,192.0.2.1,\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := []Account{
		{Line: 2, Extension: "1001", DisplayName: "1001", AuthName: "1001", Password: "pw", PBXHost: "pbx.example.org"},
		{Line: 4, Extension: "1002", DisplayName: "1002", AuthName: "1002", PBXHost: "192.0.2.1"},
	}
	if diff := cmp.Diff(want, tab.Rows); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
}
