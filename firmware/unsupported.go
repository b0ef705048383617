package firmware

import (
	"fmt"
	"strings"
)

// The 7940/7960 take another journey (families notes, "7940/7960", H): a
// universal application loader (P003-8-12-00), OS79XX.TXT, SIPDefault.cnf
// and SIP<MAC>.cnf, P0S3 SIP loads. Their option 60 strings are
// CP-7940G/CP-7960G (wazo common.py: "CP-7940G\x00" from 8.1(2)).
var journey7940 = []string{"CP-7940G", "CP-7960G"}

// isJourney7940File reports whether a file is one a 7940/7960 asks for.
func isJourney7940File(file string) bool {
	f := strings.ToUpper(file)
	return f == "OS79XX.TXT" || f == "SIPDEFAULT.CNF" || f == "RINGLIST.DAT" ||
		(strings.HasPrefix(f, "SIP") && strings.HasSuffix(f, ".CNF")) || strings.HasPrefix(f, "P0S3") || strings.HasPrefix(f, "P003")
}

// NotSupported is the reason shown for a phone the model table does not
// know, from what it said of itself (the model string of its DHCP option
// 60, "" for none) and the file it asked for ("" for none): what it is,
// what it asked for, and "not supported yet: <what to do>".
func NotSupported(vendorModel, file string) string {
	who := "a phone that named no model (no DHCP option 60 the table knows)"
	if vendorModel != "" {
		who = vendorModel + " (DHCP option 60)"
	}
	asked := "asked for no file after DHCP"
	if file != "" {
		asked = "asks for " + file
	}
	var todo string
	switch {
	case contains(journey7940, vendorModel) || isJourney7940File(file):
		if vendorModel == "" {
			who = "a 7940/7960"
		}
		todo = "a different journey: SIP via OS79XX.TXT and P0S3 loads, not handled by phoneflash"
	case IsTermFile(file):
		todo = fmt.Sprintf("no row of the model table has %s; add one for this model to %s in the state directory (README: adding a model), restart phoneflash and import its firmware", file, ModelFileName)
	case vendorModel != "":
		todo = fmt.Sprintf("add a row for %s to %s in the state directory if it is a SEP-XML phone that asks for a termNN.default.loads after a factory reset (README: adding a model)", vendorModel, ModelFileName)
	default:
		todo = "key its factory reset (hold # while powering it on, then " + ResetKeys + ") so it asks for its termNN.default.loads, which names its model"
	}
	return fmt.Sprintf("%s %s: not supported yet: %s", who, asked, todo)
}

func contains(list []string, s string) bool {
	for _, l := range list {
		if strings.EqualFold(l, s) {
			return true
		}
	}
	return false
}
