package session

import (
	"cmp"
	"log/slog"
	"time"

	"github.com/phoneflash/phoneflash/firmware"
)

// Event is an input to Step. Port events (Power, Link) concern every phone on
// the port; the others name a MAC.
type Event interface{ eventName() string }

// Power reports that a port's PoE power went on or off.
type Power struct {
	Port string
	On   bool
}

// Link reports that a port's carrier went up or down.
type Link struct {
	Port string
	Up   bool
}

// DHCPKind is the DHCP message type seen from a phone.
type DHCPKind string

// DHCP message types.
const (
	DHCPDiscover DHCPKind = "discover"
	DHCPRequest  DHCPKind = "request"
	DHCPAck      DHCPKind = "ack"
	DHCPDecline  DHCPKind = "decline"
	DHCPRelease  DHCPKind = "release"
)

// DHCP is one DHCP message from or to a phone.
type DHCP struct {
	Kind        DHCPKind
	MAC         string // any common format; normalised by NormalizeMAC
	IP          string // the leased address (ack)
	Port        string
	PortIndex   int
	VendorClass string // option 60
	Hostname    string // option 12 (SEP<MAC>): informational, the model comes from option 60
}

// TFTPRequest is a read request; Step answers it with exactly one Answer.
type TFTPRequest struct {
	MAC  string
	File string
}

// TFTPProgress reports bytes sent of a file.
type TFTPProgress struct {
	MAC          string
	File         string
	Bytes, Total int64
}

// TFTPDone reports a file sent completely.
type TFTPDone struct {
	MAC  string
	File string
}

// TFTPFailed reports a transfer that stopped.
type TFTPFailed struct {
	MAC  string
	File string
	Err  string
}

// Tick lets timeouts fire.
type Tick struct{}

func (Power) eventName() string        { return "power" }
func (Link) eventName() string         { return "link" }
func (DHCP) eventName() string         { return "dhcp" }
func (TFTPRequest) eventName() string  { return "tftp-request" }
func (TFTPProgress) eventName() string { return "tftp-progress" }
func (TFTPDone) eventName() string     { return "tftp-done" }
func (TFTPFailed) eventName() string   { return "tftp-failed" }
func (Tick) eventName() string         { return "tick" }

// Action is an output of Step for the owner to carry out.
type Action interface{ actionName() string }

// AnswerKind says how a TFTP request is answered.
type AnswerKind string

// The answers to a TFTP request.
const (
	AnswerNotFound AnswerKind = "not-found" // TFTP error 1 "File not found"
	AnswerFile     AnswerKind = "file"      // file File of load Load from the store
	AnswerBytes    AnswerKind = "bytes"     // generated Data
)

// Answer is the reply to one TFTPRequest.
type Answer struct {
	Kind AnswerKind
	Load string // AnswerFile
	File string // the requested name
	Data []byte // AnswerBytes
}

// PowerCycle asks the owner to switch a port's power off and on. Step emits
// it only for ports with power control (Machine.PowerControl).
type PowerCycle struct {
	Port string
}

// Log is a line for the logger; the owner adds mac and port.
type Log struct {
	Level  slog.Level
	Msg    string
	File   string
	Reason string
}

// Journal asks the owner to persist the phone's state now, with a history
// entry of this kind ("stage", "file", "restart", ...) and detail.
type Journal struct {
	Kind   string
	Detail string
}

func (Answer) actionName() string     { return "answer" }
func (PowerCycle) actionName() string { return "power-cycle" }
func (Log) actionName() string        { return "log" }
func (Journal) actionName() string    { return "journal" }

// Timeouts are the stall limits per stage. Scale multiplies them all (use a
// small Scale for simulations).
type Timeouts struct {
	DHCP     time.Duration // after the DHCP ack, no TFTP request
	Config   time.Duration // config named a load, no .loads/.sbn fetched; or a term file without images
	Loading  time.Duration // no progress during an image transfer
	Applying time.Duration // after the last image until the phone is back by DHCP
	Boot     time.Duration // after a power cut, until a phone of a FewPowerCycles model asks for DHCP again
	Settle   time.Duration // after a SIP config naming the running load: no .loads, so it runs it
	Pair     time.Duration // term requests closer than this count once
	Loop     int           // the same term file this many times without an image is a loop
	// Register bounds the wait for the PBX's answer to a phone's REGISTER
	// (and for the REGISTER itself). It is not scaled: the PBX answers in
	// real time.
	Register time.Duration
	Scale    float64 // 0 means 1
}

// DefaultRegisterTimeout is Timeouts.Register of DefaultTimeouts: 64*T1,
// the phone's own Timer F, after which it gives up on a REGISTER.
const DefaultRegisterTimeout = 32 * time.Second

// DefaultTimeouts suit real phones.
func DefaultTimeouts() Timeouts {
	return Timeouts{
		DHCP:     2 * time.Minute,
		Config:   6 * time.Minute,
		Loading:  60 * time.Second,
		Applying: 10 * time.Minute,
		Boot:     3 * time.Minute,
		Settle:   20 * time.Second,
		Pair:     5 * time.Second,
		Loop:     3,
		Register: DefaultRegisterTimeout,
		Scale:    1,
	}
}

// forModel applies a model's stall limits; its zero fields keep t's.
func (t Timeouts) forModel(st firmware.StallTimers) Timeouts {
	t.DHCP = cmp.Or(st.DHCP, t.DHCP)
	t.Config = cmp.Or(st.Config, t.Config)
	t.Loading = cmp.Or(st.Loading, t.Loading)
	t.Applying = cmp.Or(st.Applying, t.Applying)
	t.Boot = cmp.Or(st.Boot, t.Boot)
	return t
}

func (t Timeouts) scaled(d time.Duration) time.Duration {
	if t.Scale <= 0 || t.Scale == 1 {
		return d
	}
	return time.Duration(float64(d) * t.Scale)
}
