// Package session follows every phone the appliance sees, keyed by MAC, from
// power-on to the SIP target: a pure state machine (Step) fed by DHCP, TFTP,
// link and power events, and the stage vocabulary every surface shows.
package session

import "time"

// Stage is where a phone is on its journey. The same words are shown on the
// OLED, the LEDs, the web page, the API and in logs.
type Stage string

// The stages, in journey order (design.md, "What happens to one phone").
const (
	StageEmpty       Stage = "empty"       // nothing on the port
	StagePowered     Stage = "powered"     // port powered or link up
	StageDHCP        Stage = "dhcp"        // the phone is getting its address
	StageConfig      Stage = "config"      // the phone asked for a config or term file
	StageLoading     Stage = "loading"     // fetching images (file k of n, bytes)
	StageApplying    Stage = "applying"    // writing flash and rebooting
	StageStepping    Stage = "stepping"    // running the stepping-stone load
	StageRegistering Stage = "registering" // SIP config served, waiting for the PBX's answer
	StageDone        Stage = "done"        // on the target with its SIP config (and registered, where the bench watches)
	StageNeedsReset  Stage = "needs-reset" // the operator must key the factory reset
	StageFailed      Stage = "failed"      // stopped, with a reason a person can act on
)

// Stages lists every stage in journey order.
var Stages = []Stage{StageEmpty, StagePowered, StageDHCP, StageConfig, StageLoading,
	StageApplying, StageStepping, StageRegistering, StageDone, StageNeedsReset, StageFailed}

// Phone is the public snapshot of one phone's session: what the API, the web
// page, the OLED and the report show. JSON names follow design.md.
type Phone struct {
	MAC       string    `json:"mac"`              // uppercase hex, no separators: 001122AABBCC
	Port      string    `json:"port"`             // bench interface name
	PortIndex int       `json:"port_index"`       // 0-based bench port number
	IP        string    `json:"ip,omitempty"`     // leased address
	Model     string    `json:"model,omitempty"`  // the model's name (CP-7906G), or what its DHCP option 60 says of a model the table lacks; "" until known
	Stage     Stage     `json:"stage"`            //
	Load      string    `json:"load,omitempty"`   // load the phone runs, as far as known
	Target    string    `json:"target"`           // load it ends on
	Plan      []string  `json:"plan,omitempty"`   // loads still to install, in order
	File      string    `json:"file,omitempty"`   // file in flight
	FileIndex int       `json:"file_index"`       // k of n (1-based; 0 when none)
	FileCount int       `json:"file_count"`       // n
	Bytes     int64     `json:"bytes"`            // bytes of the current load sent so far
	Total     int64     `json:"total"`            // bytes of the current load
	Reason    string    `json:"reason,omitempty"` // why failed / needs-reset / a warning
	Account   string    `json:"account,omitempty"`
	Since     time.Time `json:"since"`            // when the phone entered this stage
	Started   time.Time `json:"started"`          // when the bench first saw it
	Result    string    `json:"result,omitempty"` // report line: done, done (no account), failed, ...
	// Registration is what the bench saw of its SIP registration; absent
	// until its SIP config was served.
	Registration *RegistrationView `json:"registration,omitempty"`
	// CheckSync says whether it was asked to re-read its config after the
	// account table changed, and whether it did; absent when never asked.
	CheckSync *Sync `json:"check_sync,omitempty"`
}
