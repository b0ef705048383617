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

// release drops the build only: 9.4(2)SR1-1 → 9.4(2)SR1.
func release(v Version) Version { v.Build = 0; return v }

// Hop is one step of a model's path: an SCCP load of the model's family
// from Low to High. A hop of one version (Low == High) takes that release
// only, any build; a range whose High has no service release takes High's
// service releases too (8.3(3)-8.5(2) holds 8.5(2)SR1).
type Hop struct {
	Low, High Version
}

// ParseHop parses a path entry: a version in Cisco's notation (8.5(2)SR1)
// or a range of two (8.3(3)-8.5(2)).
func ParseHop(s string) (Hop, error) {
	lo, hi, isRange := strings.Cut(strings.TrimSpace(s), ")-")
	if isRange {
		lo += ")"
	} else {
		hi = lo
	}
	l, okL := parseDotted(strings.TrimSpace(lo))
	h, okH := parseDotted(strings.TrimSpace(hi))
	if !okL || !okH {
		return Hop{}, fmt.Errorf("%q: want a version like 8.5(2)SR1 or a range like 8.3(3)-8.5(2)", s)
	}
	if h.Less(l) {
		return Hop{}, fmt.Errorf("%q: the range ends before it starts", s)
	}
	return Hop{Low: release(l), High: release(h)}, nil
}

func (h Hop) String() string {
	if h.Low == h.High {
		return h.Low.String()
	}
	return h.Low.String() + "-" + h.High.String()
}

// holds reports whether a load of version v fits the hop.
func (h Hop) holds(v Version) bool {
	v = release(v)
	if h.Low == h.High {
		return v == h.Low
	}
	return h.Low.Compare(v) <= 0 && h.notBeyond(v)
}

// notBeyond reports whether v is not newer than the hop's end: a target
// this old needs no hop.
func (h Hop) notBeyond(v Version) bool {
	if h.High.SR == 0 {
		return base(v).Compare(h.High) <= 0
	}
	return release(v).Compare(h.High) <= 0
}

// Plan returns the loads a phone of model goes through, in order, to end on
// target: empty when it runs target already, [target] when it can go
// straight there, else the loads of the model's path (its row's Path, by
// default the stepping stone 8.3(3)-8.5(2)) that it has not reached yet,
// then the target. Each hop is the newest SCCP load of the model's family
// in loads that fits the hop and has the model's term file. When loads lack
// what the plan needs, the error is an *ImportHintError naming the file to
// import. Plan is pure.
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
	if err := servesModel(tl, tn, model); err != nil {
		return nil, err
	}
	hops, err := model.Hops()
	if err != nil {
		return nil, fmt.Errorf("plan: %w", err)
	}
	var plan []string
	cur := current
	for _, h := range hops {
		if h.notBeyond(tn.Version) || !needsHop(cur, h) {
			continue
		}
		stone, ok := hopLoad(model, h, loads)
		if !ok {
			return nil, hopHint(model, h, tn.Name)
		}
		plan = append(plan, stone.Name)
		cur = Current{Kind: CurrentLoad, Load: stone.Name}
	}
	return append(plan, tn.Name), nil
}

// servesModel checks that load l (named tn) is one for the model: of its
// family, and with its term file where the load names its models.
func servesModel(l Load, tn LoadName, model Model) error {
	if tn.Family != model.Family {
		return fmt.Errorf("plan: %s is a load of family %s; the %s runs family %s loads (%s%s.*)", tn.Name, tn.Family, model, model.Family, tn.Protocol, model.Family)
	}
	if len(l.Models) > 0 && !l.HasModel(model.Name) && l.TermFile(model) == "" {
		return fmt.Errorf("plan: %s in the store is for %s, not the %s (it has no %s)", tn.Name, modelList(l.Models), model, model.TermFile())
	}
	return nil
}

// hopHint says which package holds a missing hop.
func hopHint(model Model, h Hop, target string) error {
	stone := LoadName{Name: "SCCP" + model.Family + "." + h.High.Dashed() + "S", Protocol: SCCP, Family: model.Family, Version: h.High}
	need := fmt.Sprintf("a stepping stone %s for phones older than %s", h, h.Low)
	if model.Path != nil {
		need = fmt.Sprintf("SCCP %s of family %s, on the path of the %s's row (%s)", h, model.Family, model, strings.Join(model.Path, ", "))
	}
	return &ImportHintError{Target: target, Need: need, Import: model.COPName(stone)}
}

// needsHop reports whether a phone in state current needs hop h: it may run
// something older than the hop's start.
func needsHop(current Current, h Hop) bool {
	switch current.Kind {
	case CurrentOldLoader:
		return true
	case CurrentNewLoader:
		return false // taken to accept the target directly
	case CurrentLoad:
		cn, err := ParseLoadName(current.Load)
		if err == nil {
			return release(cn.Version).Less(h.Low)
		}
	}
	return true // unknown: it may be older than 8.3(3)
}

// hopLoad picks the newest SCCP load of the model's family in hop h that
// has the model's term file (a factory-reset phone asks for it).
func hopLoad(model Model, h Hop, loads []Load) (Load, bool) {
	var best Load
	found := false
	for _, l := range loads {
		if l.Protocol != SCCP || l.Family() != model.Family || !h.holds(l.Version) || l.TermFile(model) == "" {
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
