package provision

import "encoding/xml"

// The XML shapes of the files phones ask for, with the element names of
// working 79x1 SIP configs (domain notes §5.2; usecallmanager's
// SEPMAC.cnf.xml reference). encoding/xml escapes every value, so operator
// text cannot break the document.

type device struct {
	XMLName         xml.Name       `xml:"device"`
	DeviceProtocol  string         `xml:"deviceProtocol,omitempty"`
	SSHUserID       string         `xml:"sshUserId,omitempty"`
	SSHPassword     string         `xml:"sshPassword,omitempty"`
	DevicePool      *devicePool    `xml:"devicePool,omitempty"`
	SIPProfile      *sipProfile    `xml:"sipProfile,omitempty"`
	CommonProfile   *commonProfile `xml:"commonProfile,omitempty"`
	LoadInformation string         `xml:"loadInformation"`
	VendorConfig    *vendorConfig  `xml:"vendorConfig,omitempty"`
	// Transport is transportLayerProtocol: 1 TCP, 2 UDP (0 leaves it out).
	Transport int `xml:"transportLayerProtocol,omitempty"`
}

type devicePool struct {
	DateTime         dateTime         `xml:"dateTimeSetting"`
	CallManagerGroup callManagerGroup `xml:"callManagerGroup"`
}

type dateTime struct {
	DateTemplate string `xml:"dateTemplate"`
	TimeZone     string `xml:"timeZone"`
	NTP          []ntp  `xml:"ntps>ntp"`
}

type ntp struct {
	Name string `xml:"name"`
	Mode string `xml:"ntpMode"`
}

type callManagerGroup struct {
	Members []member `xml:"members>member"`
}

type member struct {
	Priority    int         `xml:"priority,attr"`
	CallManager callManager `xml:"callManager"`
}

type callManager struct {
	Ports           cmPorts `xml:"ports"`
	ProcessNodeName string  `xml:"processNodeName"`
}

type cmPorts struct {
	EthernetPhonePort int `xml:"ethernetPhonePort"`
	SIPPort           int `xml:"sipPort"`
	SecuredSIPPort    int `xml:"securedSipPort"`
}

type sipProfile struct {
	RegisterWithProxy bool            `xml:"sipProxies>registerWithProxy"`
	CallFeatures      sipCallFeatures `xml:"sipCallFeatures"`
	Stack             sipStack        `xml:"sipStack"`
	NATEnabled        bool            `xml:"natEnabled"`
	PhoneLabel        string          `xml:"phoneLabel"`
	Lines             []sipLine       `xml:"sipLines>line"`
	VoipControlPort   int             `xml:"voipControlPort"`
	StartMediaPort    int             `xml:"startMediaPort"`
	StopMediaPort     int             `xml:"stopMediaPort"`
	DSCPForAudio      int             `xml:"dscpForAudio"`
	DialTemplate      string          `xml:"dialTemplate"`
}

// sipCallFeatures are the service URIs the softkeys use.
type sipCallFeatures struct {
	CallForwardURI       string `xml:"callForwardURI"`
	CallPickupURI        string `xml:"callPickupURI"`
	CallPickupListURI    string `xml:"callPickupListURI"`
	CallPickupGroupURI   string `xml:"callPickupGroupURI"`
	MeetMeServiceURI     string `xml:"meetMeServiceURI"`
	AbbreviatedDialURI   string `xml:"abbreviatedDialURI"`
	SemiAttendedTransfer bool   `xml:"semiAttendedTransfer"`
	RemoteCcEnable       bool   `xml:"remoteCcEnable"`
}

type sipStack struct {
	TimerRegisterExpires int `xml:"timerRegisterExpires"`
	TimerRegisterDelta   int `xml:"timerRegisterDelta"`
	TimerT1              int `xml:"timerT1"`
	TimerT2              int `xml:"timerT2"`
}

type sipLine struct {
	Button                   int    `xml:"button,attr"`
	FeatureID                int    `xml:"featureID"`
	FeatureLabel             string `xml:"featureLabel"`
	Proxy                    string `xml:"proxy"`
	Port                     int    `xml:"port"`
	Name                     string `xml:"name"`
	DisplayName              string `xml:"displayName"`
	Contact                  string `xml:"contact"`
	AuthName                 string `xml:"authName,omitempty"`
	AuthPassword             string `xml:"authPassword,omitempty"`
	MessageWaitingLampPolicy int    `xml:"messageWaitingLampPolicy"`
	MessagesNumber           string `xml:"messagesNumber,omitempty"`
}

type commonProfile struct {
	PhonePassword         string `xml:"phonePassword"`
	BackgroundImageAccess bool   `xml:"backgroundImageAccess"`
}

// vendorConfig: webAccess and sshAccess are 0 for on, 1 for off;
// settingsAccess 1 for on (usecallmanager's SEPMAC.cnf.xml notes).
type vendorConfig struct {
	PCPort         int `xml:"pcPort"`
	SettingsAccess int `xml:"settingsAccess"`
	WebAccess      int `xml:"webAccess"`
	SSHAccess      int `xml:"sshAccess"`
	SpanToPCPort   int `xml:"spanToPCPort"`
}

// xmlDefault is XMLDefault.cnf.xml: the load per device type.
type xmlDefault struct {
	XMLName xml.Name   `xml:"Default"`
	Loads   []loadInfo `xml:",any"`
}

type loadInfo struct {
	XMLName xml.Name
	Model   string `xml:"model,attr"`
	Load    string `xml:",chardata"`
}

func marshal(v any) ([]byte, error) {
	b, err := xml.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(append([]byte(xml.Header), b...), '\n'), nil
}
