package provision

import (
	"bytes"
	"strings"
	"testing"
)

// TestHostileRows: rows an operator (or a stranger with the page's
// password) could type that a phone's config must not carry are refused,
// naming their line and column; the table is not taken at all.
func TestHostileRows(t *testing.T) {
	const head = "extension,pbx_host,display_name,auth_name,password,transport,preset,timezone,label,voicemail,ntp,ssh_user,ssh_password,phone_password\n"
	long := strings.Repeat("x", 31)
	tests := []struct{ name, row, want string }{
		{"markup in extension", `<x>,pbx,,,,,,,,,,,,`, `line 3: extension "<x>"`},
		{"markup in pbx_host", `1001,"pbx</processNodeName>",,,,,,,,,,,,`, `line 3: pbx_host "pbx</processNodeName>"`},
		{"markup in voicemail", `1001,pbx,,,,,,,,"*97</messagesNumber>",,,,`, `line 3: voicemail`},
		{"markup in ntp", `1001,pbx,,,,,,,,,<ntp>,,,`, `line 3: ntp "<ntp>"`},
		{"markup in label", `1001,pbx,,,,,,,"<a b>",,,,,`, `line 3: label "<a b>"`},
		{"overlong display name", "1001,pbx," + long + ",,,,,,,,,,,", "line 3: display_name is 31 characters; the phone takes at most 30"},
		{"overlong auth name", "1001,pbx,," + long + ",,,,,,,,,,", "line 3: auth_name is 31 characters"},
		{"overlong label", "1001,pbx,,,,,,,Receptionist1,,,,,", `line 3: label "Receptionist1": the phone shows at most 12 characters`},
		{"overlong pbx_host", "1001," + strings.Repeat("p", 51) + ",,,,,,,,,,,,", "line 3: pbx_host"},
		{"overlong password", "1001,pbx,,," + strings.Repeat("p", 129) + ",,,,,,,,,", "line 3: password: is 129 characters"},
		{"overlong ssh password", "1001,pbx,,,,,,,,,,admin," + long + ",", "line 3: ssh_password"},
		{"ssh user alone", "1001,pbx,,,,,,,,,,admin,,", "line 3: ssh_user and ssh_password: give both or neither"},
		{"bad time zone", "1001,pbx,,,,,,Europe/Londn,,,,,,", `line 3: timezone "Europe/Londn": not a time zone the phone has`},
		{"offset time zone", "1001,pbx,,,,,,UTC+1,,,,,,", `line 3: timezone "UTC+1"`},
		{"zone without a Cisco twin", "1001,pbx,,,,,,Asia/Kathmandu,,,,,,", `line 3: timezone "Asia/Kathmandu"`},
		{"bad transport", "1001,pbx,,,,tls,,,,,,,,", `line 3: transport "tls": use udp or tcp`},
		{"bad preset", "1001,pbx,,,,,3cx,,,,,,,", `line 3: preset: unknown PBX preset "3cx"; use one of freepbx-pjsip, freepbx-chansip, asterisk, hosted`},
		{"control character", "1001,pbx,\"a\x1bb\",,,,,,,,,,,", "line 3: display_name: contains the control character U+001B"},
		{"not XML text", "1001,pbx,\"a\uffffb\",,,,,,,,,,,", "line 3: display_name: contains U+FFFF"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tab, err := ParseTable(strings.NewReader(head + "1000,pbx,,,,,,,,,,,,\n" + tt.row + "\n"))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want %q", err, tt.want)
			}
			if tab != nil {
				t.Fatalf("a table came back with the error: %+v", tab.Rows)
			}
		})
	}
}

// TestMarkupStaysText: where markup is legitimate text (a display name, a
// password) it is escaped, and the phone reads back exactly what was typed.
func TestMarkupStaysText(t *testing.T) {
	tab, err := ParseTable(strings.NewReader("extension,pbx_host,display_name,password,phone_password\n" +
		"1001,pbx,\"A&B <Sales> \"\"Co\"\"\",\"]]><authPassword>x\",\"<&>\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	data, result, _, err := (&Provisioner{Table: tab}).SIP("001122AABB01", "eth1", m7906, target, "1001")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(data, []byte("<Sales>")) || bytes.Count(data, []byte("<authPassword>")) != 1 {
		t.Fatalf("markup not escaped:\n%s", data)
	}
	checkConfigText(t, tab.Rows[0], data, result == ResultPasswordRefused)
}

// TestNoUserLocale: no config names a user or network locale. The
// firmware store holds no locale files, and a userLocale whose jar the
// TFTP server lacks makes the phone show "Error updating locale".
func TestNoUserLocale(t *testing.T) {
	p := testProvisioner(t)
	for _, account := range []string{"1001", ""} {
		data, _, _, err := p.SIP("001122AABB01", "eth1", m7911, target, account)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(data, []byte("Locale")) {
			t.Errorf("config for %q names a locale:\n%s", account, data)
		}
	}
}
