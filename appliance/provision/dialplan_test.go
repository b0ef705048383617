package provision

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDefaultDialPlan: extensions of each first digit and length dial at
// once, a length that starts a longer one waits a little, voicemail codes
// dial at once, anything else after a short pause; the result is a dial
// plan ParseDialPlan accepts.
func TestDefaultDialPlan(t *testing.T) {
	tab, err := ParseTable(strings.NewReader("extension,pbx_host,preset,voicemail\n" +
		"1001,pbx,,\n1002,pbx,,\n201,pbx,asterisk,\n2001,pbx,hosted,*55\nalice,pbx,,\n"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := (&Provisioner{Table: tab}).DialPlan()
	if err != nil {
		t.Fatal(err)
	}
	want := `<DIALTEMPLATE>
  <TEMPLATE MATCH="1..." Timeout="0"/>
  <TEMPLATE MATCH="2.." Timeout="2"/>
  <TEMPLATE MATCH="2..." Timeout="0"/>
  <TEMPLATE MATCH="\*55" Timeout="0"/>
  <TEMPLATE MATCH="\*97" Timeout="0"/>
  <TEMPLATE MATCH="*" Timeout="3"/>
</DIALTEMPLATE>
`
	if string(got) != want {
		t.Errorf("dial plan:\n%s\nwant:\n%s", got, want)
	}
	if err := ParseDialPlan(got); err != nil {
		t.Errorf("the default plan does not parse: %v", err)
	}
	golden(t, "dialplan.xml.golden", got)
	none, err := (&Provisioner{Preset: "asterisk"}).DialPlan()
	if err != nil || string(none) != "<DIALTEMPLATE>\n  <TEMPLATE MATCH=\"*\" Timeout=\"3\"/>\n</DIALTEMPLATE>\n" {
		t.Errorf("plan without a table: %q, %v", none, err)
	}
	own := []byte(`<DIALTEMPLATE><TEMPLATE MATCH="9*" Timeout="1"/></DIALTEMPLATE>`)
	if got, _ := (&Provisioner{Table: tab, DialTemplate: own}).DialPlan(); string(got) != string(own) {
		t.Errorf("-dialplan not served as given: %q", got)
	}
}

func TestParseDialPlan(t *testing.T) {
	good := []string{
		`<DIALTEMPLATE><TEMPLATE MATCH="1..." Timeout="0"/><TEMPLATE MATCH="*" Timeout="5" User="Phone"/></DIALTEMPLATE>`,
		"<dialTemplate>\n <versionStamp>e68d54c1</versionStamp>\n <!-- internal -->\n <TEMPLATE match=\"3..\" timeout=\"1\" />\n <TEMPLATE match=\"\" timeout=\"0\" rewrite=\"300\" line=\"2\"/>\n</dialTemplate>",
		`<?xml version="1.0"?><DIALTEMPLATE><TEMPLATE MATCH="\*.." Timeout="0"/><TEMPLATE MATCH="9,0*" Timeout="3" tone="Bellcore-Outside"/></DIALTEMPLATE>`,
	}
	for _, g := range good {
		if err := ParseDialPlan([]byte(g)); err != nil {
			t.Errorf("ParseDialPlan(%s): %v", g, err)
		}
	}
	bad := []struct{ in, want string }{
		{``, "no TEMPLATE element"},
		{`<DIALTEMPLATE>`, "not XML"},
		{`<dialplan><TEMPLATE MATCH="*" Timeout="3"/></dialplan>`, "root element <dialplan>"},
		{`<DIALTEMPLATE></DIALTEMPLATE>`, "no TEMPLATE element"},
		{`<DIALTEMPLATE><template MATCH="*" Timeout="3"/></DIALTEMPLATE>`, "element <template>"},
		{`<DIALTEMPLATE><TEMPLATE MATCH="1x.." Timeout="0"/></DIALTEMPLATE>`, `MATCH "1x..": 'x'`},
		{`<DIALTEMPLATE><TEMPLATE MATCH="1..\" Timeout="0"/></DIALTEMPLATE>`, `'\\'`},
		{`<DIALTEMPLATE><TEMPLATE MATCH="1..." Timeout="soon"/></DIALTEMPLATE>`, `Timeout "soon"`},
		{`<DIALTEMPLATE><TEMPLATE MATCH="1..." Timeout="0" Timout="1"/></DIALTEMPLATE>`, "unknown attribute Timout"},
		{`<DIALTEMPLATE><TEMPLATE Timeout="0"/></DIALTEMPLATE>`, "needs MATCH and Timeout"},
		{`<DIALTEMPLATE><TEMPLATE MATCH="1" MATCH="2" Timeout="0"/></DIALTEMPLATE>`, "attribute MATCH twice"},
		{`<DIALTEMPLATE><TEMPLATE MATCH="1" match="2" Timeout="0"/></DIALTEMPLATE>`, "attribute match twice"},
		{`<DIALTEMPLATE><TEMPLATE MATCH="1" Timeout="0"><x/></TEMPLATE></DIALTEMPLATE>`, "element <x> inside"},
		{`<DIALTEMPLATE>9..<TEMPLATE MATCH="1" Timeout="0"/></DIALTEMPLATE>`, `text "9.." outside`},
		{`<DIALTEMPLATE><TEMPLATE MATCH="1" Timeout="0"/></DIALTEMPLATE><DIALTEMPLATE/>`, "more than one root"},
		{"<DIALTEMPLATE>" + strings.Repeat(`<TEMPLATE MATCH="1" Timeout="0"/>`, 3000) + "</DIALTEMPLATE>", "larger than 64 KiB"},
	}
	for _, b := range bad {
		if err := ParseDialPlan([]byte(b.in)); err == nil || !strings.Contains(err.Error(), b.want) {
			t.Errorf("ParseDialPlan(%.60s): %v, want %q", b.in, err, b.want)
		}
	}
}

func TestLoadDialPlan(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "plan.xml")
	os.WriteFile(good, []byte(`<DIALTEMPLATE><TEMPLATE MATCH="*" Timeout="3"/></DIALTEMPLATE>`), 0o644)
	if _, err := LoadDialPlan(good); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad.xml")
	os.WriteFile(bad, []byte(`<dialplan/>`), 0o644)
	if _, err := LoadDialPlan(bad); err == nil || !strings.Contains(err.Error(), "dial plan "+bad+": line 1: root element <dialplan>") {
		t.Fatalf("bad plan: %v", err)
	}
	if _, err := LoadDialPlan(filepath.Join(dir, "none.xml")); err == nil {
		t.Fatal("missing file accepted")
	}
}
