package main

import (
	"bytes"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestRunUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
	}{
		{[]string{"-h"}, exitOK},
		{[]string{"-flash", "x"}, exitUsage},
		{[]string{"-iface", "e", "-flash", "x", "-until", "done:0"}, exitUsage},
		{[]string{"-iface", "e", "-flash", "x", "-pw-mode", "lenient"}, exitUsage},
		{[]string{"-iface", "e", "-flash", "x", "-cut-at", "image:2:50%"}, exitUsage},
		{[]string{"-iface", "e", "-flash", "x", "-model", "7940"}, exitUsage},
	} {
		var out bytes.Buffer
		if got := run(tc.args, &out, &out); got != tc.code {
			t.Errorf("run(%q) = %d, want %d\n%s", tc.args, got, tc.code, out.String())
		}
	}
}

func TestParseFlags(t *testing.T) {
	var out bytes.Buffer
	c, err := parseFlags([]string{"-iface", "eth1", "-flash", "f.json", "-model", "CP-7906G", "-until", "rejected:3",
		"-timescale", "4", "-scale-tftp", "-scenario", "sccp852", "-load", "none", "-cnu", "new9"}, &out)
	if err != nil {
		t.Fatal(err)
	}
	if c.Model != "CP-7906G" || c.Until != "rejected" || c.UntilN != 3 || c.Opt.TFTPTimeout != time.Second {
		t.Errorf("config = %+v", c)
	}
	f, err := c.initialFlash()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(Flash{Model: "CP-7906G", CNU: cnuNew9}, f); diff != "" {
		t.Errorf("initial flash (-want +got):\n%s", diff)
	}
}
