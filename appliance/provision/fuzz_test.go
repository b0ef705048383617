package provision

import (
	"bytes"
	"cmp"
	"encoding/csv"
	"encoding/xml"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// FuzzParseTable: the reader never panics, and whatever it accepts is a
// valid table that survives writing it out and reading it back, and whose
// every row makes a SIP config that reads back with the row's own text.
func FuzzParseTable(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "*.csv"))
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("extension,pbx_host\n1001,pbx\n"))
	f.Add([]byte("extension,pbx_host,transport,preset,timezone,label,voicemail,ntp\n1001,pbx,TCP,hosted,Europe/London,Front,*97,ntp.example\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		tab, err := ParseTable(bytes.NewReader(data))
		if err != nil {
			return
		}
		seen := map[string]bool{}
		for _, a := range tab.Rows {
			if a.Extension == "" || a.PBXHost == "" || seen[a.Extension] || a.PBXPort < 0 || a.PBXPort > 65535 {
				t.Fatalf("accepted an invalid row %+v", a)
			}
			seen[a.Extension] = true
		}
		again, err := ParseTable(bytes.NewReader(writeTable(tab)))
		if err != nil {
			t.Fatalf("written table does not read back: %v\n%s", err, writeTable(tab))
		}
		if diff := gocmp.Diff(tab.Rows, again.Rows, cmpopts.IgnoreFields(Account{}, "Line")); diff != "" {
			t.Fatalf("round trip (-first +second):\n%s", diff)
		}
		p := &Provisioner{Table: tab}
		for _, a := range tab.Rows {
			data, result, _, err := p.SIP("001122AABBCC", "eth1", m7906, "SIP11.9-4-2SR1-1S", a.Extension)
			if err != nil {
				t.Fatalf("SIP config for %+v: %v", a, err)
			}
			checkConfigText(t, a, data, result == ResultPasswordRefused)
		}
		if _, err := p.DialPlan(); err != nil {
			t.Fatalf("dial plan: %v", err)
		}
	})
}

// FuzzConfigText: operator text in every free-text column either is
// refused by the parser with the row's line named, or comes back out of
// the SIP config exactly as typed: nothing typed can break the XML.
func FuzzConfigText(f *testing.F) {
	f.Add("Reception", "s3cret", "Front", "auth1001", "*97", "cisco", "pw")
	f.Add("</displayName><x>", "]]>&amp;<", "<b>", `"'`, "*9#7", "a b", "\x00")
	f.Add("a\uFFFEb", "\U0010FFFF", "x\u0085y", "\u2028", "", "", "")
	f.Fuzz(func(t *testing.T, display, password, label, auth, voicemail, sshUser, sshPassword string) {
		var buf bytes.Buffer
		w := csv.NewWriter(&buf)
		w.Write([]string{"extension", "pbx_host", "display_name", "password", "label", "auth_name", "voicemail", "phone_password", "ssh_user", "ssh_password"})
		w.Write([]string{"1001", "pbx.example.org", display, password, label, auth, voicemail, password, sshUser, sshPassword})
		w.Flush()
		tab, err := ParseTable(&buf)
		if err != nil {
			if !bytes.Contains([]byte(err.Error()), []byte("line ")) {
				t.Fatalf("error does not name the line: %v", err)
			}
			return
		}
		a := tab.Rows[0]
		data, result, _, err := (&Provisioner{Table: tab}).SIP("001122AABBCC", "eth1", m7911, "SIP11.9-4-2SR1-1S", "1001")
		if err != nil {
			t.Fatal(err)
		}
		checkConfigText(t, a, data, result == ResultPasswordRefused)
	})
}

// writeTable writes a table with every column, as an operator could.
func writeTable(tab *Table) []byte {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Write(columnNames)
	for _, a := range tab.Rows {
		port := ""
		if a.PBXPort > 0 {
			port = strconv.Itoa(a.PBXPort)
		}
		w.Write([]string{a.MAC, a.Port, a.Extension, a.DisplayName, a.AuthName, a.Password, a.PBXHost, port,
			a.Transport, a.Preset, a.Voicemail, a.NTP, a.TimeZone, a.Label, a.PhonePassword, a.SSHUser, a.SSHPassword})
	}
	w.Flush()
	return buf.Bytes()
}

// configText is the operator text a phone reads back out of its config.
type configText struct {
	TimeZone string `xml:"devicePool>dateTimeSetting>timeZone"`
	NTP      string `xml:"devicePool>dateTimeSetting>ntps>ntp>name"`
	Node     string `xml:"devicePool>callManagerGroup>members>member>callManager>processNodeName"`
	Label    string `xml:"sipProfile>phoneLabel"`
	Line     struct {
		FeatureLabel string `xml:"featureLabel"`
		Name         string `xml:"name"`
		DisplayName  string `xml:"displayName"`
		AuthName     string `xml:"authName"`
		AuthPassword string `xml:"authPassword"`
		Voicemail    string `xml:"messagesNumber"`
	} `xml:"sipProfile>sipLines>line"`
	PhonePassword string `xml:"commonProfile>phonePassword"`
	SSHUser       string `xml:"sshUserId"`
	SSHPassword   string `xml:"sshPassword"`
}

func checkConfigText(t *testing.T, a Account, data []byte, refused bool) {
	t.Helper()
	var got configText
	if err := xml.Unmarshal(data, &got); err != nil {
		t.Fatalf("config for %+v is not XML: %v\n%s", a, err, data)
	}
	want := configText{TimeZone: cmp.Or(a.TimeZone, DefaultTimeZone), NTP: cmp.Or(a.NTP, DefaultNTP), Node: a.PBXHost,
		Label: cmp.Or(a.Label, label(a.Extension)), PhonePassword: a.PhonePassword, SSHUser: a.SSHUser, SSHPassword: a.SSHPassword}
	want.Line.FeatureLabel, want.Line.Name, want.Line.DisplayName = a.DisplayName, a.Extension, a.DisplayName
	if !refused {
		want.Line.AuthName, want.Line.AuthPassword = a.AuthName, a.Password
	}
	s, err := (&Provisioner{}).SettingsFor(&a)
	if err != nil {
		t.Fatal(err)
	}
	want.Line.Voicemail = s.Voicemail
	if diff := gocmp.Diff(want, got); diff != "" {
		t.Fatalf("config text (-row +config):\n%s\n%s", diff, data)
	}
}
