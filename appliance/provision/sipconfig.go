package provision

import (
	"cmp"
	"fmt"
)

// DialPlanFile is the dial template every SIP config names; the
// appliance serves it and the office bundle carries it.
const DialPlanFile = "dialplan.xml"

// Settings are what one phone's config says beyond its line: each from
// the row when it has one, else its preset's, else the bench's.
type Settings struct {
	Preset    Preset
	Transport string // udp or tcp
	Port      int    // the PBX's SIP port
	Voicemail string
	NTP       string
	TimeZone  string // the phone's own name
}

// SettingsFor resolves the settings of a phone with row a (nil: a phone
// without an account, which takes the bench's).
func (p *Provisioner) SettingsFor(a *Account) (Settings, error) {
	name := p.Preset
	if a != nil && a.Preset != "" {
		name = a.Preset
	}
	pre, err := LookupPreset(name)
	if err != nil {
		return Settings{}, err
	}
	s := Settings{Preset: pre, Transport: pre.Transport, Port: pre.Port, Voicemail: pre.Voicemail,
		NTP: cmp.Or(p.NTP, DefaultNTP), TimeZone: cmp.Or(p.TimeZone, DefaultTimeZone)}
	if a != nil {
		s.Transport = cmp.Or(a.Transport, s.Transport)
		s.Port = cmp.Or(a.PBXPort, s.Port)
		s.Voicemail = cmp.Or(a.Voicemail, s.Voicemail)
		s.NTP = cmp.Or(a.NTP, s.NTP)
		s.TimeZone = cmp.Or(a.TimeZone, s.TimeZone)
	}
	return s, nil
}

// transportNumber is transportLayerProtocol: 1 TCP, 2 UDP.
func transportNumber(t string) (int, error) {
	switch t {
	case "tcp":
		return 1, nil
	case "udp":
		return 2, nil
	}
	return 0, fmt.Errorf("transport %q: use udp or tcp", t)
}

// sipDevice is the SIP config for row a (nil: no account, no line).
func (p *Provisioner) sipDevice(load string, a *Account) (device, error) {
	s, err := p.SettingsFor(a)
	if err != nil {
		return device{}, err
	}
	tr, err := transportNumber(s.Transport)
	if err != nil {
		return device{}, err
	}
	d := device{DeviceProtocol: "SIP", LoadInformation: load, Transport: tr,
		DevicePool: &devicePool{DateTime: dateTime{DateTemplate: "D/M/Y", TimeZone: s.TimeZone,
			NTP: []ntp{{Name: s.NTP, Mode: "Unicast"}}}},
		SIPProfile: &sipProfile{RegisterWithProxy: a != nil, CallFeatures: callFeatures,
			Stack:      sipStack{TimerRegisterExpires: s.Preset.Expires, TimerRegisterDelta: 5, TimerT1: 500, TimerT2: 4000},
			NATEnabled: s.Preset.NAT, VoipControlPort: 5060, StartMediaPort: 16384, StopMediaPort: 32766,
			DSCPForAudio: 184, DialTemplate: DialPlanFile},
		CommonProfile: &commonProfile{BackgroundImageAccess: true},
		VendorConfig:  &vendorConfig{PCPort: 0, SettingsAccess: 1, WebAccess: 0, SSHAccess: 1, SpanToPCPort: 1},
	}
	if a == nil {
		return d, nil
	}
	d.DevicePool.CallManagerGroup.Members = []member{{Priority: 0, CallManager: callManager{
		Ports:           cmPorts{EthernetPhonePort: 2000, SIPPort: s.Port, SecuredSIPPort: 5061},
		ProcessNodeName: a.PBXHost}}}
	d.SIPProfile.PhoneLabel = cmp.Or(a.Label, label(a.Extension))
	d.SIPProfile.Lines = []sipLine{{Button: 1, FeatureID: 9, FeatureLabel: a.DisplayName, Proxy: "USECALLMANAGER",
		Port: s.Port, Name: a.Extension, DisplayName: a.DisplayName, Contact: a.Extension,
		AuthName: a.AuthName, AuthPassword: a.Password, MessageWaitingLampPolicy: 3, MessagesNumber: s.Voicemail}}
	d.CommonProfile.PhonePassword = a.PhonePassword
	if a.SSHUser != "" {
		d.SSHUserID, d.SSHPassword = a.SSHUser, a.SSHPassword
		d.VendorConfig.SSHAccess = 0
	}
	return d, nil
}

// callFeatures are the softkeys' service URIs as Cisco's SIP loads name
// them (x-cisco-serviceuri-*), with semi-attended transfer.
var callFeatures = sipCallFeatures{
	CallForwardURI: "x-cisco-serviceuri-cfwdall", CallPickupURI: "x-cisco-serviceuri-pickup",
	CallPickupListURI: "x-cisco-serviceuri-opickup", CallPickupGroupURI: "x-cisco-serviceuri-gpickup",
	MeetMeServiceURI: "x-cisco-serviceuri-meetme", AbbreviatedDialURI: "x-cisco-serviceuri-abbrdial",
	SemiAttendedTransfer: true, RemoteCcEnable: true,
}
