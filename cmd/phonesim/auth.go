package main

import (
	"fmt"
	"strings"

	"github.com/phoneflash/phoneflash/firmware"
)

// Authentication of signed files.
//
// A real phone checks an RSA signature and, per the domain notes (§9.1), the
// SHA-1 of each file against the hashes its loader knows. Synthetic firmware
// carries a placeholder signature and has no known hashes, so the simulator
// checks what it can and makes acceptance version-based instead:
//
//   - the signed header parses (else "File is not signed!");
//   - its embedded file name (tag 14) equals the requested name (else
//     "filename doesn't match filename in envelope");
//   - a .loads body parses, its #HARDWARE_COMP_1 level is not above the
//     phone's (1), and its version is one the CNU accepts: the old CNU
//     (before 8.3(3)) refuses every 9.x load, the stepping stone; a new CNU
//     accepts all.

// hwcLevel is the phone's hardware-compatibility level.
const hwcLevel = 1

// LoadsInfo is an authenticated .loads file.
type LoadsInfo struct {
	Name     string // the load it installs, e.g. SCCP11.8-5-2S
	Version  firmware.Version
	Protocol firmware.Protocol
	Images   []string
}

// checkSigned parses the signed header at the start of head and checks its
// embedded name; it returns the header length.
func checkSigned(name string, head []byte) (int, error) {
	h, err := firmware.ParseHeader(head)
	if err != nil {
		return 0, fmt.Errorf("auth: File is not signed!: %w", err)
	}
	if h.FileName != name {
		return 0, fmt.Errorf("auth: filename doesn't match filename in envelope: requested %s, envelope %s", name, h.FileName)
	}
	return h.Length, nil
}

// knownReleases names the version of the load a default-load file installs,
// by the release in its "# RELEASE load version" comment and its protocol:
// the 9.4(2)SR1 images of the 7906/7911 are *.9-4-2ES9.sbn (protocol notes
// §7), the 9.4(2)SR3 images of the other families *.9-4-2ES26.sbn
// (families notes), fwgen's SCCP 8.5(2) ones *.8-5-2TH1-9.sbn. Term files
// name no load; the real phone reads the load id out of its images, which
// synthetic images do not carry. Other releases give their leading
// N-N-N[SRn]: PROTO<family>.<version>S.
var knownReleases = map[string]string{
	"SIP 9-4-2ES9":    "9-4-2SR1-1",
	"SIP 9-4-2ES26":   "9-4-2SR3-1",
	"SCCP 8-5-2TH1-9": "8-5-2",
}

// parseLoadsFile authenticates a whole .loads file fetched as name by a
// phone of family (its model's: a term file names no load).
func parseLoadsFile(name string, data []byte, family string) (LoadsInfo, error) {
	hl, err := checkSigned(name, data)
	if err != nil {
		return LoadsInfo{}, err
	}
	lf, err := firmware.ParseLoads(data[hl:])
	if err != nil {
		return LoadsInfo{}, fmt.Errorf("%s: %w", name, err)
	}
	if lvl, ok := lf.Hardware[1]; ok && lvl > hwcLevel {
		return LoadsInfo{}, fmt.Errorf("auth: Load rejected - hardware compatibility mismatch (loadhwc %d, myhwc %d)", lvl, hwcLevel)
	}
	info := LoadsInfo{Images: lf.Images, Protocol: protocolOf(lf.Images)}
	if ln, err := firmware.ParseLoadName(name); err == nil {
		info.Name, info.Version, info.Protocol = ln.Name, ln.Version, ln.Protocol
		return info, nil
	}
	release := releaseOf(lf.Comments)
	ver, ok := knownReleases[string(info.Protocol)+" "+release]
	if !ok {
		ver = dashedPrefix(release)
	}
	ln, err := firmware.ParseLoadName(string(info.Protocol) + family + "." + ver + "S")
	if err != nil {
		return LoadsInfo{}, fmt.Errorf("%s: no load version (release %q): %w", name, release, err)
	}
	info.Name, info.Version = ln.Name, ln.Version
	return info, nil
}

// protocolOf tells SIP from SCCP by the image names (jar11sip, cvm11sccp).
func protocolOf(images []string) firmware.Protocol {
	for _, img := range images {
		if strings.Contains(strings.ToLower(img), "sip.") {
			return firmware.SIP
		}
	}
	return firmware.SCCP
}

// releaseOf finds "RELEASE load version X" among the comments.
func releaseOf(comments []string) string {
	for _, c := range comments {
		if _, v, ok := strings.Cut(c, "RELEASE load version "); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// dashedPrefix keeps the leading N-N-N of a release such as 8-5-2TH1-9,
// with a service release that follows it: 8-5-2SR1 of 8-5-2SR1TH1-1.
func dashedPrefix(s string) string {
	dashes := 0
	for i, c := range s {
		switch {
		case c == '-':
			dashes++
			if dashes == 3 {
				return s[:i]
			}
		case c < '0' || c > '9':
			if sr, ok := strings.CutPrefix(s[i:], "SR"); ok && dashes == 2 {
				n := len(sr) - len(strings.TrimLeft(sr, "0123456789"))
				if n > 0 {
					return s[:i+2+n]
				}
			}
			return s[:i]
		}
	}
	return s
}

// acceptLoad is the version-based stand-in for the loader's hash table: the
// old CNU refuses 9.x loads (the stepping-stone rule), new CNUs accept all.
func acceptLoad(cnu string, li LoadsInfo) error {
	if cnu == cnuOld && li.Version.Major >= 9 {
		return fmt.Errorf("auth: Authentication *** FAILED ***: the old loader refuses %s (version %s); install 8.3(3)..8.5(2) first", li.Name, li.Version)
	}
	return nil
}

// cnuFor is the CNU a load brings along.
func cnuFor(v firmware.Version) string {
	switch {
	case v.Major >= 9:
		return cnuNew9
	case v.Compare(firmware.Version{Major: 8, Minor: 3, Maint: 3}) >= 0:
		return cnuNew
	}
	return cnuOld
}
