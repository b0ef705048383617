package firmware

import (
	"fmt"
	"slices"
	"strings"
)

// Targets says which load the phones of each family end on: the -target
// setting. It names at most one load per family, and may name a release
// for the families it names no load of; a family named nowhere gets the
// store's SIP load of that release (or of the first load named), else the
// newest SIP load the store holds for it. The zero value names nothing:
// every family gets its newest SIP load.
type Targets struct {
	named   []LoadName // in the order written, one per family
	release *Version   // for the other families; nil: the first named load's
}

// ParseTargets parses the -target setting: a comma-separated list of load
// names (SIP42.9-4-2SR3-1S), one per family, and at most one release
// (9.4(2)SR3). "" names nothing.
func ParseTargets(s string) (Targets, error) {
	var t Targets
	if strings.TrimSpace(s) == "" {
		return t, nil
	}
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		if ln, err := ParseLoadName(item); err == nil {
			if prev, ok := t.Named(ln.Family); ok {
				return Targets{}, fmt.Errorf("target %q: %s and %s are both of family %s; name one load per family", s, prev, ln.Name, ln.Family)
			}
			t.named = append(t.named, ln)
			continue
		}
		v, err := ParseVersion(item)
		switch {
		case err != nil:
			return Targets{}, fmt.Errorf("target %q: %q is not a load name or a release; write it like %s, or a list such as SIP11.9-4-2SR1-1S,SIP42.9-4-2SR3-1S,9.4(2)SR3", s, item, "SIP11.9-4-2SR1-1S")
		case t.release != nil:
			return Targets{}, fmt.Errorf("target %q: two releases (%s and %s); name one", s, t.release, v)
		}
		v = release(v)
		t.release = &v
	}
	return t, nil
}

// Named returns the load named for family.
func (t Targets) Named(family string) (string, bool) {
	for _, ln := range t.named {
		if ln.Family == family {
			return ln.Name, true
		}
	}
	return "", false
}

// Loads are the loads named, in the order written.
func (t Targets) Loads() []string {
	var out []string
	for _, ln := range t.named {
		out = append(out, ln.Name)
	}
	return out
}

// Release is the release the families named nowhere are matched against:
// the one given, else the first named load's; ok is false for neither.
func (t Targets) Release() (Version, bool) {
	switch {
	case t.release != nil:
		return *t.release, true
	case len(t.named) > 0:
		return release(t.named[0].Version), true
	}
	return Version{}, false
}

// String is the setting as ParseTargets reads it back.
func (t Targets) String() string {
	var items []string
	for _, ln := range t.named {
		items = append(items, ln.Name)
	}
	if t.release != nil {
		items = append(items, t.release.String())
	}
	return strings.Join(items, ",")
}

// LatestSIP is the newest SIP release Cisco published for the SEP-XML 79xx
// families (families "Latest SIP loads": 9.4(2)SR3, H for 11/42/45, M for
// 41/70/75). Hints name it when the store has no SIP load of a family.
func LatestSIP() Version { return Version{Major: 9, Minor: 4, Maint: 2, SR: 3, Build: 1} }

// For returns the load a phone of model ends on: the one named for its
// family, else the SIP load of loads that serves the model (its family,
// and its term file or its name in the manifest) of the release, the
// newest build first, else the newest such SIP load. When loads hold none
// the error is an *ImportHintError naming the package to import.
func (t Targets) For(m Model, loads []Load) (string, error) {
	if name, ok := t.Named(m.Family); ok {
		return name, nil
	}
	var fit []Load
	for _, l := range loads {
		if l.Protocol == SIP && l.Family() == m.Family && (l.TermFile(m) != "" || l.HasModel(m.Name)) {
			fit = append(fit, l)
		}
	}
	if len(fit) == 0 {
		v := LatestSIP()
		if t.release != nil {
			v = *t.release
		}
		want := LoadName{Name: "SIP" + m.Family + "." + v.Dashed() + "S", Protocol: SIP, Family: m.Family, Version: v}
		return "", &ImportHintError{Target: "the " + string(m.Name), Need: fmt.Sprintf("a SIP load of family %s (%s.*) in the firmware store", m.Family, "SIP"+m.Family), Import: m.COPName(want)}
	}
	slices.SortFunc(fit, func(a, b Load) int { return b.Version.Compare(a.Version) })
	if rel, ok := t.Release(); ok {
		for _, l := range fit {
			if release(l.Version) == rel {
				return l.Name, nil
			}
		}
	}
	return fit[0].Name, nil
}

// TargetSummary names a set of target loads in a few characters, for a
// status header: the load when there is one, SIP*.9-4-2SR3-1S when they
// differ only in their family, SIP 9.4(2)SR1/SR3 when only in their family
// and service release, else "3 target loads".
func TargetSummary(loads []string) string {
	var distinct []string
	for _, l := range loads {
		if l != "" && !slices.Contains(distinct, l) {
			distinct = append(distinct, l)
		}
	}
	var names []LoadName
	for _, l := range distinct {
		ln, err := ParseLoadName(l)
		if err != nil {
			return fmt.Sprintf("%d target loads", len(distinct))
		}
		names = append(names, ln)
	}
	switch len(names) {
	case 0:
		return "newest SIP per family"
	case 1:
		return names[0].Name
	}
	first := names[0]
	sameVersion, sameBase := true, true
	var srs []string
	for _, n := range names {
		sameVersion = sameVersion && n.Protocol == first.Protocol && n.Version == first.Version
		sameBase = sameBase && n.Protocol == first.Protocol && base(n.Version) == base(first.Version)
		if sr := strings.TrimPrefix(release(n.Version).String(), base(n.Version).String()); !slices.Contains(srs, sr) {
			srs = append(srs, sr)
		}
	}
	switch {
	case sameVersion:
		return fmt.Sprintf("%s*.%sS", first.Protocol, first.Version.Dashed())
	case sameBase:
		slices.Sort(srs)
		return fmt.Sprintf("%s %s%s", first.Protocol, base(first.Version), strings.Join(srs, "/"))
	}
	return fmt.Sprintf("%d target loads", len(names))
}
