package firmware

import (
	"fmt"
	"strings"
)

// CurrentKind is how much is known of the load a phone runs.
type CurrentKind int

// What may be known of a phone's current load.
const (
	CurrentUnknown   CurrentKind = iota // nothing: it may be older than 8.3(3)
	CurrentOldLoader                    // its loader is older than 8.3(3) (it loops on termNN.default.loads)
	CurrentLoad                         // it runs the named load
)

// Current is what is known of a phone's current load.
type Current struct {
	Kind CurrentKind
	Load string // for CurrentLoad
}

// ParseCurrent parses "unknown" (or ""), "old", or a load name.
func ParseCurrent(s string) (Current, error) {
	switch s {
	case "", "unknown":
		return Current{Kind: CurrentUnknown}, nil
	case "old":
		return Current{Kind: CurrentOldLoader}, nil
	}
	if _, err := ParseLoadName(s); err != nil {
		return Current{}, fmt.Errorf("current load: %w; or say unknown or old", err)
	}
	return Current{Kind: CurrentLoad, Load: strings.TrimSuffix(s, ".loads")}, nil
}

func (c Current) String() string {
	switch c.Kind {
	case CurrentOldLoader:
		return "loader older than 8.3(3)"
	case CurrentLoad:
		return c.Load
	}
	return "unknown"
}

// Policy says whether plans go through the stepping stone.
type Policy string

// Plan policies.
const (
	PolicyStepping Policy = "stepping" // default: the stepping stone when the phone may be older than 8.3(3)
	PolicyDirect   Policy = "direct"   // straight to the target
)

// ParsePolicy parses "stepping" (or "") and "direct".
func ParsePolicy(s string) (Policy, error) {
	switch Policy(s) {
	case "", PolicyStepping:
		return PolicyStepping, nil
	case PolicyDirect:
		return PolicyDirect, nil
	}
	return "", fmt.Errorf("policy %q: want stepping or direct", s)
}

// The stepping-stone range (domain notes §4): phones older than 8.3(3) must
// first run an SCCP load from 8.3(3) to 8.5(2).
func steppingLow() Version  { return Version{Major: 8, Minor: 3, Maint: 3} }
func steppingHigh() Version { return Version{Major: 8, Minor: 5, Maint: 2} }

// SteppingRange is how plans and messages name the range: "8.3(3)-8.5(2)".
func SteppingRange() string { return steppingLow().String() + "-" + steppingHigh().String() }

// ImportHintError means the store cannot satisfy a plan; the message says
// what to import and is meant to be shown as it is.
type ImportHintError struct {
	Target string // the load the plan was for
	Need   string // what is missing, e.g. "a stepping stone 8.3(3)-8.5(2) for phones older than 8.3(3)"
	Import string // the file to import, e.g. cmterm-7911_7906-sccp.8-5-2.cop.sgn
}

func (e *ImportHintError) Error() string {
	return fmt.Sprintf("%s needs %s: import %s", e.Target, e.Need, e.Import)
}

// base drops the service release and build: 8.5(2)SR1 → 8.5(2).
func base(v Version) Version { return Version{Major: v.Major, Minor: v.Minor, Maint: v.Maint} }

// inSteppingRange reports whether v is an accepted intermediate version.
func inSteppingRange(v Version) bool {
	b := base(v)
	return b.Compare(steppingLow()) >= 0 && b.Compare(steppingHigh()) <= 0
}

// Plan returns the loads a phone of model goes through, in order, to end on
// target: empty when it runs target already, [target] when it can go
// straight there, or [stepping stone, target] when it may be older than
// 8.3(3) and the target is newer than 8.5(2). The stepping stone is the
// newest SCCP load from 8.3(3) to 8.5(2) in loads that has the model's term
// file. When loads lack what the plan needs, the error is an
// *ImportHintError naming the file to import. Plan is pure.
func Plan(model Model, current Current, target string, loads []Load, policy Policy) ([]string, error) {
	tn, err := ParseLoadName(target)
	if err != nil {
		return nil, fmt.Errorf("plan: target: %w", err)
	}
	if model.DeviceType() == 0 {
		return nil, fmt.Errorf("plan: unsupported phone model %d", int(model))
	}
	if current.Kind == CurrentLoad && current.Load == tn.Name {
		return nil, nil
	}
	tl, ok := findLoad(loads, tn.Name)
	if !ok {
		return nil, &ImportHintError{Target: tn.Name, Need: "its own files in the firmware store", Import: tn.COPName()}
	}
	if len(tl.Models) > 0 && !tl.HasModel(model) {
		return nil, fmt.Errorf("plan: %s in the store is for %s, not the %s (it has no %s)", tn.Name, modelList(tl.Models), model, model.TermFile())
	}
	if policy == PolicyDirect || !needsStepping(current, tn.Version) {
		return []string{tn.Name}, nil
	}
	stone, ok := steppingStone(model, loads)
	if !ok {
		return nil, &ImportHintError{
			Target: tn.Name,
			Need:   fmt.Sprintf("a stepping stone %s for phones older than %s", SteppingRange(), steppingLow()),
			Import: LoadName{Name: "SCCP11.8-5-2S", Protocol: SCCP}.COPName(),
		}
	}
	return []string{stone.Name, tn.Name}, nil
}

// needsStepping reports whether a phone in state current needs the stepping
// stone before a target of version tv.
func needsStepping(current Current, tv Version) bool {
	if base(tv).Compare(steppingHigh()) <= 0 {
		return false // the target is itself old enough for an old loader
	}
	switch current.Kind {
	case CurrentOldLoader:
		return true
	case CurrentLoad:
		cn, err := ParseLoadName(current.Load)
		if err == nil {
			return base(cn.Version).Compare(steppingLow()) < 0
		}
	}
	return true // unknown: it may be older than 8.3(3)
}

// steppingStone picks the newest SCCP load in the stepping range that has
// the model's term file (a factory-reset phone asks for it).
func steppingStone(model Model, loads []Load) (Load, bool) {
	var best Load
	found := false
	for _, l := range loads {
		if l.Protocol != SCCP || !inSteppingRange(l.Version) || l.TermFile(model) == "" {
			continue
		}
		if !found || best.Version.Less(l.Version) {
			best, found = l, true
		}
	}
	return best, found
}

func findLoad(loads []Load, name string) (Load, bool) {
	for _, l := range loads {
		if l.Name == name {
			return l, true
		}
	}
	return Load{}, false
}

func modelList(ms []Model) string {
	var s []string
	for _, m := range ms {
		s = append(s, m.String())
	}
	return strings.Join(s, " and ")
}
