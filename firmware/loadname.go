package firmware

import (
	"cmp"
	"fmt"
	"strconv"
	"strings"
)

// Protocol is the call-control protocol of a load.
type Protocol string

// The protocols of 79x1 loads.
const (
	SCCP Protocol = "SCCP"
	SIP  Protocol = "SIP"
)

// Version is a Cisco release number such as 8.5(2) or 9.4(2)SR1, with the
// build number of the load name (the 1 of 9-4-2SR1-1). Zero fields are absent.
type Version struct {
	Major int `json:"major"`
	Minor int `json:"minor"`
	Maint int `json:"maint"`
	SR    int `json:"sr,omitempty"`    // service release; 0 for none
	Build int `json:"build,omitempty"` // the -N after the SR; 0 for none
}

// Compare orders versions: -1 if v < w, 0 if equal, +1 if v > w. A service
// release sorts after its base: 9.4(2) < 9.4(2)SR1 < 9.4(2)SR1-1 < 9.4(3).
func (v Version) Compare(w Version) int {
	return cmp.Or(cmp.Compare(v.Major, w.Major), cmp.Compare(v.Minor, w.Minor),
		cmp.Compare(v.Maint, w.Maint), cmp.Compare(v.SR, w.SR), cmp.Compare(v.Build, w.Build))
}

// Less reports whether v sorts before w.
func (v Version) Less(w Version) bool { return v.Compare(w) < 0 }

// String is Cisco's notation: 8.5(2), 9.4(2)SR1. The build number is left out.
func (v Version) String() string {
	s := fmt.Sprintf("%d.%d(%d)", v.Major, v.Minor, v.Maint)
	if v.SR > 0 {
		s += fmt.Sprintf("SR%d", v.SR)
	}
	return s
}

// Dashed is the form of load names: 8-5-2, 9-4-2SR1-1.
func (v Version) Dashed() string {
	s := fmt.Sprintf("%d-%d-%d", v.Major, v.Minor, v.Maint)
	if v.SR > 0 {
		s += fmt.Sprintf("SR%d", v.SR)
	}
	if v.Build > 0 {
		s += fmt.Sprintf("-%d", v.Build)
	}
	return s
}

// ParseVersion parses Cisco's notation (8.3(3), 9.4(2)SR1) or the dashed
// form of load names (8-3-3, 9-4-2SR1-1).
func ParseVersion(s string) (Version, error) {
	if v, ok := parseDotted(s); ok {
		return v, nil
	}
	if v, ok := parseDashed(s); ok {
		return v, nil
	}
	return Version{}, fmt.Errorf("version %q: want a form like 8.5(2), 9.4(2)SR1 or 9-4-2SR1-1", s)
}

func parseDotted(s string) (Version, bool) {
	majMin, rest, ok := strings.Cut(s, "(")
	maint, sr, ok2 := strings.Cut(rest, ")")
	maj, min, ok3 := strings.Cut(majMin, ".")
	if !ok || !ok2 || !ok3 {
		return Version{}, false
	}
	v := Version{}
	var good bool
	if v.Major, good = number(maj); !good {
		return Version{}, false
	}
	if v.Minor, good = number(min); !good {
		return Version{}, false
	}
	if v.Maint, good = number(maint); !good {
		return Version{}, false
	}
	return v, parseSR(sr, &v)
}

func parseDashed(s string) (Version, bool) {
	parts := strings.SplitN(s, "-", 3)
	if len(parts) != 3 {
		return Version{}, false
	}
	v := Version{}
	var good bool
	if v.Major, good = number(parts[0]); !good {
		return Version{}, false
	}
	if v.Minor, good = number(parts[1]); !good {
		return Version{}, false
	}
	last := parts[2]
	end := 0
	for end < len(last) && last[end] >= '0' && last[end] <= '9' {
		end++
	}
	if v.Maint, good = number(last[:end]); !good {
		return Version{}, false
	}
	return v, parseSR(last[end:], &v)
}

// parseSR parses the tail after the maintenance number: "", "SR1", "SR1-1",
// or a build without a service release, "-1" (the 7970's 9-4-2-1).
func parseSR(s string, v *Version) bool {
	if s == "" {
		return true
	}
	if build, ok := strings.CutPrefix(s, "-"); ok {
		n, good := number(build)
		v.Build = n
		return good && n > 0
	}
	sr, ok := strings.CutPrefix(s, "SR")
	if !ok {
		return false
	}
	srNum, build, hasBuild := strings.Cut(sr, "-")
	var good bool
	if v.SR, good = number(srNum); !good || v.SR == 0 {
		return false
	}
	if hasBuild {
		if v.Build, good = number(build); !good {
			return false
		}
	}
	return true
}

// number parses a short run of decimal digits.
func number(s string) (int, bool) {
	if s == "" || len(s) > 4 {
		return 0, false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	n, err := strconv.Atoi(s)
	return n, err == nil
}

// LoadName is a parsed load name such as SIP11.9-4-2SR1-1S: the protocol, the
// phone family (Model.Family: 11 for the 7906/7911) and the version.
type LoadName struct {
	Name     string // as written, without ".loads"
	Protocol Protocol
	Family   string // "11" for the 7906/7911 (Model.Family)
	Version  Version
}

// ParseLoadName parses a load name, with or without the ".loads" suffix.
func ParseLoadName(s string) (LoadName, error) {
	name := strings.TrimSuffix(s, ".loads")
	bad := func(why string) (LoadName, error) {
		return LoadName{}, fmt.Errorf("load name %q: %s (want a form like SCCP11.8-5-2S or SIP11.9-4-2SR1-1S)", name, why)
	}
	var ln LoadName
	var rest string
	switch {
	case strings.HasPrefix(name, "SCCP"):
		ln.Protocol, rest = SCCP, name[4:]
	case strings.HasPrefix(name, "SIP"):
		ln.Protocol, rest = SIP, name[3:]
	default:
		return bad("does not start with SCCP or SIP")
	}
	family, ver, ok := strings.Cut(rest, ".")
	if _, good := number(family); !ok || !good {
		return bad("no family number and dot after the protocol")
	}
	ver, ok = strings.CutSuffix(ver, "S")
	if !ok {
		return bad("does not end in S")
	}
	v, ok := parseDashed(ver)
	if !ok {
		return bad(fmt.Sprintf("version %q is not like 8-5-2 or 9-4-2SR1-1", ver))
	}
	ln.Name, ln.Family, ln.Version = name, family, v
	return ln, nil
}

// FileName is the load's own `.loads` file name.
func (ln LoadName) FileName() string { return ln.Name + ".loads" }
