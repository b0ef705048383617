package firmware

import (
	"encoding/hex"
	"net"
	"strings"
)

// The model table. Every fact cites the domain notes in /work/shared/domain
// (families = cisco-79xx-families.md, protocol = cisco-79x1-protocol.md,
// with the notes' source keys [Sx]) and their confidence: H (vendor doc,
// firmware string or several reports), M (one good report), L (inference),
// U (unconfirmed). A model is added by adding a row.
var builtinModels = Models{
	{
		Name:        "CP-7906G",            // H: families "Models"; sipcc TNP_MODEL_7906 [S8]
		Family:      "11",                  // H: families "Models"; protocol §3.2 (the 7906 runs the 7911's *11* images)
		Term:        "06",                  // H: families "Models"; protocol §2.2 A, the term06 loop of [S1]
		DeviceType:  369,                   // H: families "Models"; protocol §5.1 (load369.txt [S3], sipcc PHONE_MODEL_NUMBER_7906 [S8])
		XMLModel:    "Cisco IP Phone 7906", // H: protocol §5.1, the loadInformation369 example ([S3], [S13])
		VendorClass: "CP-7906G",            // H: families "Models"; protocol §1.1 (sipcc model table [S8]); the 7906's bytes on the wire are U (protocol §10)
		COP:         "7911_7906",           // L: protocol §3.4 infers cmterm-7911_7906-sip.9-4-2SR1-1.cop.sgn from the files of [S3]
		Password:    passwordLimit79x1,
		// Stall: the defaults (flash writes take "a few minutes", protocol §7, U).
		// Quirks: none known: FN63772 names the 79x2/79x5 only (families
		// "Quirks"); PoE class 2, about 2.8 W measured on a 7911 [S16].
	},
	{
		Name:        "CP-7911G",            // H: families "Models"; sipcc TNP_MODEL_7911 [S8]
		Family:      "11",                  // H: families "Models"; protocol §3.2
		Term:        "11",                  // H: families "Models"; protocol §2.2 A, the log of [S2]
		DeviceType:  307,                   // H: families "Models"; protocol §5.1 (load307.txt [S3], sipcc PHONE_MODEL_NUMBER_7911 [S8])
		XMLModel:    "Cisco IP Phone 7911", // H: protocol §3.4 and §5.1 (load307.txt "IP Phone 7911G" [S3])
		VendorClass: "CP-7911G",            // H: protocol §1.1 (firmware string; the ISC dhcpd match of [S7])
		COP:         "7911_7906",           // L: protocol §3.4, as for the 7906
		Password:    passwordLimit79x1,
	},
}

// passwordLimit79x1 is the authPassword limit of the 7906/7911 SIP 9.4(2)
// load (protocol §0.9 and §5.3; the 7906's own limit is U). Max is 30 (M):
// usecallmanager's published limit, tested on hardware (a 7962 with the
// same SIP stack, [S4b][S4c]). The sipcc source's 32-byte buffers would
// hold 31 [S8], but that is read from code, not tested on a phone; the
// lower limit never accepts a password a real phone refuses (which shows
// as a registration loop, the failure phoneflash exists to prevent). Warn
// is 12 (M): one 7962 user saw config parse errors above 12 [S14].
var passwordLimit79x1 = PasswordLimit{Max: 30, Warn: 12}

// VendorClassPrefix starts DHCP option 60 of Cisco's IP phones; the model
// string and, on the 79x1 firmware, a NUL byte follow (protocol §1.1).
const VendorClassPrefix = "Cisco Systems, Inc. IP Phone "

// ParseVendorClass reads DHCP option 60 of a Cisco IP phone: the model
// string after VendorClassPrefix ("CP-7906G" of "Cisco Systems, Inc. IP
// Phone CP-7906G\x00"), with or without the trailing NUL. ok is false for
// other clients and for a model string that is empty or not printable
// ASCII. The model may be one the table does not know (79XX, CP-8945).
func ParseVendorClass(vendorClass string) (model string, ok bool) {
	m, ok := strings.CutPrefix(strings.TrimRight(vendorClass, "\x00"), VendorClassPrefix)
	m = strings.TrimSpace(m)
	if !ok || m == "" {
		return "", false
	}
	for _, r := range m {
		if r < 0x20 || r > 0x7e {
			return "", false
		}
	}
	return m, true
}

// IsPhone reports whether a DHCP client is a Cisco IP phone, one the table
// knows or not: its option 60 is a phone's (ParseVendorClass), or its
// hostname (option 12) is SEP and its own MAC (protocol §1.1).
func IsPhone(vendorClass, hostname string, mac net.HardwareAddr) bool {
	if _, ok := ParseVendorClass(vendorClass); ok {
		return true
	}
	return len(mac) == 6 && strings.EqualFold(hostname, "SEP"+hex.EncodeToString(mac))
}

// ResetKeys is what a person keys on a SEP-XML 79xx phone after holding #
// while powering it on: the reset that formats /flash0 except the CNU
// (protocol §7 and §2.1, [S1][S2][S14]), after which the phone asks for
// its termNN.default.loads and forgets any CUCM trust list.
const ResetKeys = "3491672850*#"
