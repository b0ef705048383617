package firmware

import (
	"encoding/hex"
	"net"
	"strings"
	"time"
)

// The model table. Every fact cites its source and confidence: H (vendor
// doc, firmware string or several reports), M (one good report), L
// (inference), U (unconfirmed). Sources:
//   - families: /work/shared/domain/cisco-79xx-families.md, "Models",
//     "Quirks" and "Stepping stone";
//   - protocol: /work/shared/domain/cisco-79x1-protocol.md, with its
//     source keys [Sx];
//   - chan-sccp: chan-sccp/chan-sccp src/sccp_protocol.h, the
//     SKINNY_DEVICETYPE_CISCO79xx numbers (the same numbers, with the
//     loadInformationNNN element of each, are in FreePBX SCCP Manager's
//     device table);
//   - wazo pkgs: wazo-platform/wazo-provd-plugins
//     plugins/xivo-cisco-unified/sccp-8.5.2/pkgs/pkgs.db, Cisco's SCCP
//     8.5(2) zips per family (cmterm-7942_7962-sccp.8-5-2.zip, ...) and the
//     models each serves; wazo common.py, the option 60 strings
//     "Cisco Systems, Inc. IP Phone CP-7941G\x00" it has seen;
//   - twc script: a public install script for recycled phones ("Computer
//     Recycling @ The Working Centre", 2025) listing the files of Cisco's
//     9.2(1) SIP packages: term41/term61, term42/term62 and term45/term65
//     each in its pair's package, images apps41, jar42sip, cvm45sip, ...
//
// A COP name (Model.COP) is the models part of Cisco's package names; the
// zips' names are H (wazo pkgs), that the .cop.sgn of a family has the same
// name is L (as for the 7911, protocol §3.4). Facts below H are defaults
// that a row of <state>/models.json may change (LoadModels). A model is
// added by adding a row.
var builtinModels = Models{
	{
		Name:        "CP-7906G",            // H: families "Models"; sipcc TNP_MODEL_7906 [S8]
		Family:      "11",                  // H: families "Models"; protocol §3.2 (the 7906 runs the 7911's *11* images)
		Term:        "06",                  // H: families "Models"; protocol §2.2 A, the term06 loop of [S1]
		DeviceType:  369,                   // H: families "Models"; protocol §5.1 (load369.txt [S3], sipcc PHONE_MODEL_NUMBER_7906 [S8])
		XMLModel:    "Cisco IP Phone 7906", // H: protocol §5.1, the loadInformation369 example ([S3], [S13])
		VendorClass: "CP-7906G",            // H: families "Models"; protocol §1.1 (sipcc model table [S8]); the 7906's bytes on the wire are U (protocol §10)
		COP:         "7911_7906",           // H: wazo pkgs (cmterm-7911_7906-sccp.8-5-2.zip); protocol §3.4
		Password:    passwordLimit79xx,
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
		COP:         "7911_7906",           // H: wazo pkgs; protocol §3.4
		Password:    passwordLimit79xx,
	},
	{
		Name:        "CP-7941G",            // H: families "Models"; wazo pkgs ("7941G/7941G-GE and 7961G/7961G-GE")
		Family:      "41",                  // H: families "Models"; twc script (apps41, jar41sip)
		Term:        "41",                  // H: families "Models"; twc script (term41.default.loads)
		DeviceType:  115,                   // H: families "Models"; chan-sccp 115
		XMLModel:    "Cisco IP Phone 7941", // L: the form of the 7906/7911 rows
		VendorClass: "CP-7941G",            // H: families "Models"; wazo common.py ("CP-7941G\x00" from 9.0(3))
		COP:         "7941_7961",           // H: wazo pkgs (cmterm-7941_7961-sccp.8-5-2.zip)
		Password:    passwordLimit79xx,
		Stall:       stall794x1,
		// Path: the stepping stone. One report needed 8.5(2), 8.5(2)SR1
		// and 8.5(3) on a 7941 (families "Stepping stone", M): a
		// models.json row {"name":"CP-7941G","path":["8.5(2)","8.5(2)SR1","8.5(3)"]}
		// asks for that path (README).
	},
	{
		Name:        "CP-7941G-GE",             // H: wazo pkgs (the 7941G-GE in the 7941/7961 package)
		Family:      "41",                      // H: wazo pkgs
		Term:        "41",                      // M: families "Models" (the same term file as the 7941G; so the term file cannot tell them apart: ForTermFile gives the first row, the 7941G)
		DeviceType:  309,                       // H: families "Models"; chan-sccp 309 (SKINNY_DEVICETYPE_CISCO7941GE)
		XMLModel:    "Cisco IP Phone 7941G-GE", // L
		VendorClass: "CP-7941G-GE",             // U: families "Models"
		COP:         "7941_7961",               // H: wazo pkgs
		Password:    passwordLimit79xx,
		Stall:       stall794x1,
	},
	{
		Name:        "CP-7961G",            // H: families "Models"; wazo pkgs
		Family:      "41",                  // H: families "Models"; wazo pkgs
		Term:        "61",                  // H: families "Models"; twc script (term61.default.loads)
		DeviceType:  30018,                 // H: families "Models"; chan-sccp 30018
		XMLModel:    "Cisco IP Phone 7961", // L
		VendorClass: "CP-7961G",            // L: families "Models" (the 7941's form)
		COP:         "7941_7961",           // H: wazo pkgs
		Password:    passwordLimit79xx,
		Stall:       stall794x1,
	},
	{
		Name:        "CP-7961G-GE",             // H: wazo pkgs
		Family:      "41",                      // H: wazo pkgs
		Term:        "61",                      // M: families "Models" (as the 7961G: the term file tells the 7961G)
		DeviceType:  308,                       // H: families "Models"; chan-sccp 308 (SKINNY_DEVICETYPE_CISCO7961GE)
		XMLModel:    "Cisco IP Phone 7961G-GE", // L
		VendorClass: "CP-7961G-GE",             // U: families "Models"
		COP:         "7941_7961",               // H: wazo pkgs
		Password:    passwordLimit79xx,
		Stall:       stall794x1,
	},
	{
		Name:        "CP-7942G",            // H: families "Models"; wazo pkgs ("7942G and 7962G")
		Family:      "42",                  // H: families "Models" (SIP42.9-4-2SR3-1S, *42*.9-4-2ES26.sbn); twc script
		Term:        "42",                  // H: families "Models"; twc script (term42.default.loads)
		DeviceType:  434,                   // H: families "Models"; chan-sccp 434
		XMLModel:    "Cisco IP Phone 7942", // L
		VendorClass: "CP-7942G",            // L: families "Models"
		COP:         "7942_7962",           // H: wazo pkgs (cmterm-7942_7962-sccp.8-5-2.zip); families (cmterm-7942_7962-sip.9-4-2SR3-1)
		Password:    passwordLimit79xx,
		Quirks:      Quirks{FewPowerCycles: true}, // H: families "Quirks" (Cisco field notice FN63772)
	},
	{
		Name:        "CP-7962G",                   // H: families "Models"; wazo pkgs
		Family:      "42",                         // H: families "Models" (one package for the pair)
		Term:        "62",                         // H: families "Models"; twc script (term62.default.loads)
		DeviceType:  404,                          // H: families "Models"; chan-sccp 404
		XMLModel:    "Cisco IP Phone 7962",        // L
		VendorClass: "CP-7962G",                   // L: families "Models"
		COP:         "7942_7962",                  // H: wazo pkgs
		Password:    passwordLimit79xx,            // the 30 of usecallmanager was tested on a 7962 (protocol §0.9, [S4b])
		Quirks:      Quirks{FewPowerCycles: true}, // H: FN63772
	},
	{
		Name:        "CP-7945G",            // H: families "Models"; wazo pkgs ("7945G and 7965G")
		Family:      "45",                  // H: families "Models"; twc script (apps45.9-4-2ES26.sbn)
		Term:        "45",                  // H: families "Models"; twc script (term45.default.loads)
		DeviceType:  435,                   // H: families "Models"; chan-sccp 435
		XMLModel:    "Cisco IP Phone 7945", // L
		VendorClass: "CP-7945G",            // L: families "Models"
		COP:         "7945_7965",           // H: wazo pkgs (cmterm-7945_7965-sccp.8-5-2.zip)
		Password:    passwordLimit79xx,
		Quirks:      Quirks{FewPowerCycles: true}, // H: FN63772
	},
	{
		Name:        "CP-7965G",            // H: families "Models"; wazo pkgs
		Family:      "45",                  // H: families "Models"
		Term:        "65",                  // H: families "Models"; twc script (term65.default.loads)
		DeviceType:  436,                   // H: families "Models"; chan-sccp 436
		XMLModel:    "Cisco IP Phone 7965", // L
		VendorClass: "CP-7965G",            // L: families "Models"
		COP:         "7945_7965",           // H: wazo pkgs
		Password:    passwordLimit79xx,
		Quirks:      Quirks{FewPowerCycles: true}, // H: FN63772
	},
	{
		Name:        "CP-7970G",            // H: families "Models"; wazo pkgs ("7970G, 7971G and 7971GE")
		Family:      "70",                  // H: families "Models"; wazo pkgs; SCCP Manager's table (SCCP70 loads for 7970 and 7971)
		Term:        "70",                  // H: families "Models"
		DeviceType:  30006,                 // H: families "Models"; chan-sccp 30006
		XMLModel:    "Cisco IP Phone 7970", // L
		VendorClass: "CP-7970G",            // L: families "Models"
		COP:         "7970_7971",           // H: wazo pkgs (cmterm-7970_7971-sccp.8-5-2.zip)
		Password:    passwordLimit79xx,
		Quirks:      Quirks{MorePower: true}, // M: families "Quirks" (6.3 W at boot, more asked over CDP)
	},
	{
		Name:        "CP-7971G-GE",         // H: families "Models"; wazo pkgs
		Family:      "70",                  // H: wazo pkgs; SCCP Manager's table
		Term:        "71",                  // H: families "Models"
		DeviceType:  119,                   // H: families "Models"; chan-sccp 119
		XMLModel:    "Cisco IP Phone 7971", // L
		VendorClass: "CP-7971G-GE",         // L: families "Models"
		COP:         "7970_7971",           // H: wazo pkgs
		Password:    passwordLimit79xx,
		Quirks:      Quirks{MorePower: true}, // L: families "Quirks" (the 7970's hardware)
	},
	{
		Name:        "CP-7975G",            // H: families "Models"; wazo pkgs
		Family:      "75",                  // H: families "Models"; wazo pkgs (its own package); SCCP Manager's table (SCCP75)
		Term:        "75",                  // M: families "Models"
		DeviceType:  437,                   // H: families "Models"; chan-sccp 437
		XMLModel:    "Cisco IP Phone 7975", // L
		VendorClass: "CP-7975G",            // L: families "Models"
		COP:         "7975",                // H: wazo pkgs (cmterm-7975-sccp.8-5-2.zip)
		Password:    passwordLimit79xx,
		Quirks:      Quirks{FewPowerCycles: true, MorePower: true}, // H: FN63772; L: the 797x power of families "Quirks"
	},
}

// passwordLimit79xx is the authPassword limit of the SIP 9.4(2) loads
// (protocol §0.9 and §5.3; families "Quirks": per-model limits stay data).
// Max is 30 (M): usecallmanager's published limit, tested on hardware (a
// 7962 with the same SIP stack, [S4b][S4c]). The sipcc source's 32-byte
// buffers would hold 31 [S8], but that is read from code, not tested on a
// phone; the lower limit never accepts a password a real phone refuses
// (which shows as a registration loop, the failure phoneflash exists to
// prevent). Warn is 12 (M): one 7962 user saw config parse errors above 12
// [S14], one 7942 user refused passwords (families "Quirks").
var passwordLimit79xx = PasswordLimit{Max: 30, Warn: 12}

// stall794x1 gives the 7941/7961 loaders time (M: families "Quirks", "7941/
// 7961 loaders take minutes to write flash"; the twc script: "some
// bootloaders take several minutes! (EG 7941, 7961)"): twice the default
// flash write and reboot.
var stall794x1 = StallTimers{Applying: 20 * time.Minute}

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
