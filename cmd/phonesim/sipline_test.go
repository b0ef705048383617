package main

import (
	"fmt"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/google/go-cmp/cmp"
)

// lineConfig is a SIP SEP<MAC>.cnf.xml shaped like the appliance's.
func lineConfig(host, port, transport, ext, auth, pw, proxy, expires string) []byte {
	opt := func(tag, v string) string {
		if v == "" {
			return ""
		}
		return fmt.Sprintf("<%s>%s</%s>", tag, v, tag)
	}
	return fmt.Appendf(nil, `<?xml version="1.0" encoding="UTF-8"?>
<device>
  <deviceProtocol>SIP</deviceProtocol>
  <devicePool><dateTimeSetting><ntps><ntp><name>ntp.example</name></ntp></ntps></dateTimeSetting>
  <callManagerGroup><members><member priority="0"><callManager>
    <ports><ethernetPhonePort>2000</ethernetPhonePort><sipPort>%s</sipPort></ports>
    <processNodeName>%s</processNodeName>
  </callManager></member></members></callManagerGroup></devicePool>
  %s
  <sipProfile><sipStack>%s<timerRegisterDelta>5</timerRegisterDelta></sipStack>
  <sipLines><line button="1"><featureID>9</featureID><featureLabel>%s</featureLabel>%s<port>5060</port>
    <name>%s</name><displayName>%s</displayName>%s%s<contact>%s</contact>
  </line></sipLines><voipControlPort>5060</voipControlPort><dialTemplate>dialplan.xml</dialTemplate></sipProfile>
  <loadInformation>SIP11.9-4-2SR1-1S</loadInformation>
</device>`, port, host, opt("transportLayerProtocol", transport), opt("timerRegisterExpires", expires), ext,
		opt("proxy", proxy), ext, ext, opt("authName", auth), opt("authPassword", pw), ext)
}

func TestLineFrom(t *testing.T) {
	parse := func(b []byte) (phoneConfig, ConfigCheck) {
		cfg, err := parseConfig(b)
		if err != nil {
			t.Fatal(err)
		}
		return cfg, checkSIPConfig("SEP.cnf.xml", cfg, 12, pwTruncate)
	}
	for _, tc := range []struct {
		name string
		cfg  []byte
		want sipLine
	}{
		{"USECALLMANAGER over UDP", lineConfig("198.51.100.1", "5060", "", "1006", "a1006", "secret12", "USECALLMANAGER", "3600"),
			sipLine{Host: "198.51.100.1", Port: 5060, Transport: "UDP", Extension: "1006", AuthName: "a1006", Password: "secret12", Expires: 3600, Delta: 5}},
		{"TCP, other port, no authName", lineConfig("pbx.office.test", "5160", "1", "1007", "", "pw", "", "120"),
			sipLine{Host: "pbx.office.test", Port: 5160, Transport: "TCP", Extension: "1007", AuthName: "1007", Password: "pw", Expires: 120, Delta: 5}},
		{"a proxy host on the line", lineConfig("198.51.100.1", "5060", "2", "1008", "1008", "x", "10.0.0.9", ""),
			sipLine{Host: "10.0.0.9", Port: 5060, Transport: "UDP", Extension: "1008", AuthName: "1008", Password: "x", Expires: 3600, Delta: 5}},
		{"TLS is not simulated", lineConfig("198.51.100.1", "5060", "4", "1009", "", "x", "", ""),
			sipLine{Host: "198.51.100.1", Port: 5060, Transport: "UDP", Extension: "1009", AuthName: "1009", Password: "x", Expires: 3600, Delta: 5,
				Note: `transportLayerProtocol "4" is not simulated: UDP`}},
		{"truncated password", lineConfig("198.51.100.1", "5060", "", "1010", "", "abcdefghijklmnop", "", ""),
			sipLine{Host: "198.51.100.1", Port: 5060, Transport: "UDP", Extension: "1010", AuthName: "1010", Password: "abcdefghijkl", Expires: 3600, Delta: 5}},
		{"no account (bench registrar)", lineConfig("10.79.1.1", "5060", "", "0001", "", "", "USECALLMANAGER", ""),
			sipLine{Host: "10.79.1.1", Port: 5060, Transport: "UDP", Extension: "0001", AuthName: "0001", Expires: 3600, Delta: 5}},
	} {
		cfg, c := parse(tc.cfg)
		if diff := cmp.Diff(tc.want, lineFrom(cfg, c, 12)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
	}
}

func TestRefreshAfter(t *testing.T) {
	l := sipLine{Expires: 3600, Delta: 5}
	for expires, want := range map[int]time.Duration{3600: 3595 * time.Second, 60: 55 * time.Second, 30: time.Hour, 0: time.Hour} {
		if got := l.refreshAfter(expires); got != want {
			t.Errorf("granted %d s: refresh after %v, want %v", expires, got, want)
		}
	}
}

func TestUserAgentAndInstance(t *testing.T) {
	id := Identity{MAC: testMAC, Model: "06"}
	if got := userAgent(id, "SIP11.9-4-2SR1-1S"); got != "Cisco-CP7906G/9.4.2SR1" {
		t.Errorf("user agent %q", got)
	}
	if got := userAgent(Identity{MAC: testMAC, Model: "11"}, "SIP11.9-4-2-1S"); got != "Cisco-CP7911G/9.4.2" {
		t.Errorf("user agent %q", got)
	}
	if got := instance(id); got != `"<urn:uuid:00000000-0000-0000-0000-002290bad777>"` {
		t.Errorf("instance %q", got)
	}
}

func TestClassify(t *testing.T) {
	res := func(code int, reason string, headers ...sip.Header) *sip.Response {
		r := sip.NewResponse(code, reason)
		for _, h := range headers {
			r.AppendHeader(h)
		}
		return r
	}
	mine := &sip.ContactHeader{Address: sip.Uri{User: "1006", Host: "10.79.1.100", Port: 5060}, Params: sip.NewParams()}
	mine.Params.Add("expires", "600")
	other := &sip.ContactHeader{Address: sip.Uri{User: "1006", Host: "10.79.1.101"}, Params: sip.NewParams()}
	other.Params.Add("expires", "30")
	for _, tc := range []struct {
		res  *sip.Response
		want regOutcome
	}{
		{res(200, "OK", other, mine), regOutcome{"registered", 200, "OK", 600}},
		{res(200, "OK", sip.NewHeader("Expires", "120")), regOutcome{"registered", 200, "OK", 120}},
		{res(200, "OK"), regOutcome{"registered", 200, "OK", 3600}},
		{res(403, "Wrong password"), regOutcome{"refused", 403, "Wrong password", 0}},
		{res(401, "Unauthorized"), regOutcome{"refused", 401, "Unauthorized", 0}},
		{res(404, "Not Found"), regOutcome{"unknown-extension", 404, "Not Found", 0}},
		{res(503, "Service Unavailable"), regOutcome{"reg-rejected", 503, "Service Unavailable", 0}},
	} {
		if got := classify(tc.res, 3600, "10.79.1.100"); got != tc.want {
			t.Errorf("%d %s: %+v, want %+v", tc.res.StatusCode, tc.res.Reason, got, tc.want)
		}
	}
}
