package firmware

import (
	"fmt"
	"strings"
)

// CurrentKind is how much is known of the load a phone runs. The strings
// are what the journal holds in a session's "current".
type CurrentKind string

// What may be known of a phone's current load.
const (
	// CurrentUnknown: nothing; its loader may be older than 8.3(3) (a
	// phone in default-load mode after a factory reset).
	CurrentUnknown CurrentKind = "unknown"
	// CurrentOldLoader: its loader refused a 9.x load, so it is older than
	// 8.3(3) and needs the stepping stone.
	CurrentOldLoader CurrentKind = "old-loader"
	// CurrentNewLoader: its loader is taken to accept the target directly
	// (the direct policy, or a phone that boots normally and asks for its
	// config); the load's name is unknown.
	CurrentNewLoader CurrentKind = "new-loader"
	// CurrentLoad: it runs the named load.
	CurrentLoad CurrentKind = "load"
)

// Current is what is known of a phone's current load.
type Current struct {
	Kind CurrentKind `json:"kind"`
	Load string      `json:"load,omitempty"` // with CurrentLoad
}

// ParseCurrent parses "unknown" (or ""), "old" (or "old-loader"), "new"
// (or "new-loader"), or a load name.
func ParseCurrent(s string) (Current, error) {
	switch s {
	case "", "unknown":
		return Current{Kind: CurrentUnknown}, nil
	case "old", string(CurrentOldLoader):
		return Current{Kind: CurrentOldLoader}, nil
	case "new", string(CurrentNewLoader):
		return Current{Kind: CurrentNewLoader}, nil
	}
	if _, err := ParseLoadName(s); err != nil {
		return Current{}, fmt.Errorf("current load: %w; or say unknown, old or new", err)
	}
	return Current{Kind: CurrentLoad, Load: strings.TrimSuffix(s, ".loads")}, nil
}

// String is the form logs and the report show.
func (c Current) String() string {
	switch c.Kind {
	case CurrentLoad:
		return c.Load
	case CurrentOldLoader:
		return "old loader (<8.3(3))"
	case CurrentNewLoader:
		return "unknown (loader >= 8.3(3))"
	}
	return "unknown"
}

// Policy chooses how a phone of unknown history is upgraded.
type Policy string

// The upgrade policies.
const (
	// PolicyStepping (default): a phone of unknown history may be older
	// than 8.3(3), so it gets the stepping stone first.
	PolicyStepping Policy = "stepping"
	// PolicyDirect: a phone of unknown history is taken to accept the
	// target directly; a loader that refuses it still gets the stepping
	// stone.
	PolicyDirect Policy = "direct"
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

// Assume is what the policy takes a phone in state c to run: under
// PolicyDirect an unknown one has a new loader.
func (p Policy) Assume(c Current) Current {
	if p == PolicyDirect && (c.Kind == CurrentUnknown || c.Kind == "") {
		return Current{Kind: CurrentNewLoader}
	}
	return c
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
func Plan(model Model, current Current, target string, loads []Load) ([]string, error) {
	tn, err := ParseLoadName(target)
	if err != nil {
		return nil, fmt.Errorf("plan: target: %w", err)
	}
	if model.Name == "" || model.Term == "" {
		return nil, fmt.Errorf("plan: phone model %q is in no row of the model table", model.Name)
	}
	if current.Kind == CurrentLoad && current.Load == tn.Name {
		return nil, nil
	}
	tl, ok := findLoad(loads, tn.Name)
	if !ok {
		return nil, &ImportHintError{Target: tn.Name, Need: "its own files in the firmware store", Import: model.COPName(tn)}
	}
	if len(tl.Models) > 0 && !tl.HasModel(model.Name) {
		return nil, fmt.Errorf("plan: %s in the store is for %s, not the %s (it has no %s)", tn.Name, modelList(tl.Models), model, model.TermFile())
	}
	if !needsStepping(current, tn.Version) {
		return []string{tn.Name}, nil
	}
	stone, ok := steppingStone(model, loads)
	if !ok {
		return nil, &ImportHintError{
			Target: tn.Name,
			Need:   fmt.Sprintf("a stepping stone %s for phones older than %s", SteppingRange(), steppingLow()),
			Import: model.COPName(LoadName{Name: "SCCP" + model.Family + ".8-5-2S", Protocol: SCCP}),
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
	case CurrentNewLoader:
		return false
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

func modelList(ms []ModelName) string {
	var s []string
	for _, m := range ms {
		s = append(s, string(m))
	}
	return strings.Join(s, " and ")
}
