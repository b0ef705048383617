package provision

import "encoding/xml"

// The XML shapes of the files phones ask for. encoding/xml escapes every
// value, so operator text cannot break the document.

type device struct {
	XMLName         xml.Name    `xml:"device"`
	DeviceProtocol  string      `xml:"deviceProtocol,omitempty"`
	DevicePool      *devicePool `xml:"devicePool,omitempty"`
	SIPProfile      *sipProfile `xml:"sipProfile,omitempty"`
	LoadInformation string      `xml:"loadInformation"`
}

type devicePool struct {
	DateTime         dateTime         `xml:"dateTimeSetting"`
	CallManagerGroup callManagerGroup `xml:"callManagerGroup"`
}

type dateTime struct {
	DateTemplate string `xml:"dateTemplate"`
	TimeZone     string `xml:"timeZone"`
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
	RegisterWithProxy    bool      `xml:"sipProxies>registerWithProxy"`
	TimerRegisterExpires int       `xml:"sipStack>timerRegisterExpires"`
	TimerRegisterDelta   int       `xml:"sipStack>timerRegisterDelta"`
	TimerT1              int       `xml:"sipStack>timerT1"`
	TimerT2              int       `xml:"sipStack>timerT2"`
	PhoneLabel           string    `xml:"phoneLabel"`
	Lines                []sipLine `xml:"sipLines>line"`
	VoipControlPort      int       `xml:"voipControlPort"`
}

type sipLine struct {
	Button         int    `xml:"button,attr"`
	FeatureID      int    `xml:"featureID"`
	FeatureLabel   string `xml:"featureLabel"`
	Proxy          string `xml:"proxy"`
	Port           int    `xml:"port"`
	Name           string `xml:"name"`
	DisplayName    string `xml:"displayName"`
	Contact        string `xml:"contact"`
	AuthName       string `xml:"authName,omitempty"`
	AuthPassword   string `xml:"authPassword,omitempty"`
	MessagesNumber string `xml:"messagesNumber,omitempty"`
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
