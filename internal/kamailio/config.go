// Package kamailio runs Debian's Kamailio (5.6) as a real office PBX for
// phoneflash's tests and demo: a registrar with digest authentication
// against a small user table held in the generated kamailio.cfg itself
// (modules auth and htable: no database). Each instance has its own runtime
// directory, pid file and ctl socket, so several run at once, each in the
// network namespace it is given; registrations are read back with
// `kamcmd ul.dump` through that instance's ctl socket.
//
// Answers, so tests can name them: a REGISTER for an extension not in the
// table gets Unknown (404 "Not Found"); one without credentials gets a 401
// challenge (realm = the To domain); one whose digest does not match gets
// Refuse (403 "Wrong password" by default; with Code 401 a fresh challenge,
// as Kamailio's stock configuration does); a good one is saved in the
// location table and answered 200 OK. OPTIONS gets 200, everything else 405.
//
// The demo links this package into the appliance's binary, so it does not
// import testing: tests start Kamailio with kamailiotest.Start, which stops
// it when the test ends.
package kamailio

import (
	_ "embed"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"text/template"
)

//go:embed kamailio.cfg.tmpl
var cfgTemplate string

var tmpl = template.Must(template.New("kamailio.cfg").Parse(cfgTemplate))

// DefaultModulePath is where Debian's kamailio package installs its modules.
const DefaultModulePath = "/usr/lib/x86_64-linux-gnu/kamailio/modules"

// User is one line of the PBX's account table.
type User struct {
	Extension string // the address-of-record user (the phone's line name)
	AuthName  string // digest user name; "" means Extension
	Password  string
}

// Reply is a SIP status code and its reason phrase.
type Reply struct {
	Code   int
	Reason string
}

// Config describes one Kamailio instance. Zero fields take defaults.
type Config struct {
	Addr       netip.Addr // listen address inside the namespace (required)
	Port       int        // UDP and TCP; default 5060
	Aliases    []string   // other names the PBX answers for, e.g. pbx.office.test
	Users      []User
	Refuse     Reply // to a credentialed REGISTER whose digest fails; default 403 "Wrong password"
	Unknown    Reply // to a REGISTER for an extension not in Users; default 404 "Not Found"
	QOP        bool  // challenge with qop=auth
	MinExpires int   // default 60
	MaxExpires int   // default 3600
	Debug      int   // Kamailio's log level; default 2 (info)
	ModulePath string
}

// withDefaults fills the zero fields.
func (c Config) withDefaults() Config {
	if c.Port == 0 {
		c.Port = 5060
	}
	if c.Refuse.Code == 0 {
		c.Refuse = Reply{403, "Wrong password"}
	}
	if c.Unknown.Code == 0 {
		c.Unknown = Reply{404, "Not Found"}
	}
	if c.MinExpires == 0 {
		c.MinExpires = 60
	}
	if c.MaxExpires == 0 {
		c.MaxExpires = 3600
	}
	if c.Debug == 0 {
		c.Debug = 2
	}
	if c.ModulePath == "" {
		c.ModulePath = DefaultModulePath
	}
	c.Users = append([]User(nil), c.Users...)
	for i, u := range c.Users {
		if u.AuthName == "" {
			c.Users[i].AuthName = u.Extension
		}
	}
	return c
}

// validate refuses values that the generated file could not carry safely:
// names go into htable keys, passwords and reasons into quoted strings.
func (c Config) validate() error {
	var errs []error
	if !c.Addr.Is4() {
		errs = append(errs, fmt.Errorf("kamailio: listen address %v: want IPv4", c.Addr))
	}
	for _, u := range c.Users {
		if !token(u.Extension) || !token(u.AuthName) {
			errs = append(errs, fmt.Errorf("kamailio: user %q/%q: names must be letters, digits, '.', '_', '-' or '+'", u.Extension, u.AuthName))
		}
		if !quotable(u.Password) {
			errs = append(errs, fmt.Errorf("kamailio: password of %q: printable ASCII without '\"', '\\' or '$'", u.Extension))
		}
	}
	for _, a := range c.Aliases {
		if !token(a) {
			errs = append(errs, fmt.Errorf("kamailio: alias %q: not a host name", a))
		}
	}
	for _, r := range []Reply{c.Refuse, c.Unknown} {
		if r.Code < 300 || r.Code > 699 || !quotable(r.Reason) || r.Reason == "" {
			errs = append(errs, fmt.Errorf("kamailio: reply %d %q: want a 3xx-6xx code and a printable reason", r.Code, r.Reason))
		}
	}
	return errors.Join(errs...)
}

func token(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._-+", r)
		if !ok {
			return false
		}
	}
	return true
}

func quotable(s string) bool {
	for _, r := range s {
		if r < 0x20 || r > 0x7e || strings.ContainsRune("\"\\$", r) {
			return false
		}
	}
	return true
}

// Render returns the kamailio.cfg text for c, with its ctl socket at ctl.
func Render(c Config, ctl string) (string, error) {
	c = c.withDefaults()
	if err := c.validate(); err != nil {
		return "", err
	}
	flags := "0"
	if c.QOP {
		flags = "1"
	}
	var b strings.Builder
	err := tmpl.Execute(&b, struct {
		Config
		CtlSocket      string
		ChallengeFlags string
	}{c, ctl, flags})
	if err != nil {
		return "", fmt.Errorf("kamailio: render config: %w", err)
	}
	return b.String(), nil
}
