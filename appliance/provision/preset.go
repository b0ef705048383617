package provision

import (
	"fmt"
	"strings"
)

// Preset is what one kind of PBX needs in a phone's config: the transport,
// the PBX's SIP port, the registration expiry, NAT handling and the
// voicemail number. A row of the account table may name its own preset;
// otherwise the bench's (-pbx-preset) applies, else Base. A row's own
// columns (transport, pbx_port, voicemail) win over any preset.
type Preset struct {
	Name      string
	Transport string // "udp" or "tcp" (transportLayerProtocol 2 or 1)
	Port      int    // the PBX's SIP port (sipPort, the line's port)
	Expires   int    // timerRegisterExpires, seconds; the phone refreshes timerRegisterDelta (5 s) before
	NAT       bool   // natEnabled: the phone rewrites its own addresses (false: the PBX handles NAT)
	Voicemail string // messagesNumber: what the messages key dials; "" leaves it out
	Why       string // the reason, for the README table and messages
}

// Base is what a config says when no preset is named: UDP to port 5060,
// an hour's registration and FreePBX's voicemail code, which is what a
// stock FreePBX (pjsip binds UDP 5060 only) and a stock Asterisk accept.
var Base = Preset{Name: "", Transport: "udp", Port: 5060, Expires: 3600, Voicemail: "*97",
	Why: "stock FreePBX/Asterisk: pjsip listens on UDP 5060 only after install; *97 is FreePBX's My Voicemail"}

// presets are the named presets, in the order help texts list them. The
// sources of each value are in the README's preset table and in
// ../shared/domain/cisco-79xx-families.md ("After the bench").
var presets = []Preset{
	{Name: "freepbx-pjsip", Transport: "tcp", Port: 5060, Expires: 3600, Voicemail: "*97",
		Why: "TCP is the most reported fix for 79x1 phones that will not register with pjsip (UDP gives SIP retransmit errors); FreePBX puts pjsip on 5060, and its TCP transport must be switched on (SIP Settings, chan_pjsip, tcp 0.0.0.0: Yes)"},
	{Name: "freepbx-chansip", Transport: "udp", Port: 5160, Expires: 3600, Voicemail: "*97",
		Why: "FreePBX puts chan_sip on 5160 when pjsip has 5060; chan_sip listens on UDP unless tcpenable is set; its maxexpiry is 3600"},
	{Name: "asterisk", Transport: "udp", Port: 5060, Expires: 3600,
		Why: "a plain Asterisk (sip.conf or pjsip.conf samples) listens on UDP 5060; it has no standard voicemail number"},
	{Name: "hosted", Transport: "udp", Port: 5060, Expires: 120,
		Why: "a PBX across the internet: the phone re-registers every 115 s, which keeps the office NAT's UDP mapping open (RFC 4787 asks NATs to keep one at least 2 minutes) and is above the 60 s minimum Asterisk accepts; the PBX rewrites the phone's addresses (rport), so the phone's own NAT mode stays off"},
}

// PresetNames lists the named presets, for help texts and errors.
func PresetNames() []string {
	out := make([]string, len(presets))
	for i, p := range presets {
		out[i] = p.Name
	}
	return out
}

// LookupPreset returns the preset of that name (case-insensitive); ""
// is Base. An unknown name is an error listing the presets.
func LookupPreset(name string) (Preset, error) {
	n := strings.ToLower(strings.TrimSpace(name))
	if n == "" {
		return Base, nil
	}
	for _, p := range presets {
		if p.Name == n {
			return p, nil
		}
	}
	return Preset{}, fmt.Errorf("unknown PBX preset %q; use one of %s", name, strings.Join(PresetNames(), ", "))
}
