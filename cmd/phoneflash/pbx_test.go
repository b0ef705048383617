package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestServePBXFlags: an unknown -pbx-preset and a -dialplan that is not a
// dial plan stop serve before anything starts, with one line and the exit
// code of a configuration that cannot work (125);
// known presets (any case) and a good plan pass the checks.
func TestServePBXFlags(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "plan.xml")
	bad := filepath.Join(dir, "bad.xml")
	os.WriteFile(good, []byte(`<DIALTEMPLATE><TEMPLATE MATCH="*" Timeout="3"/></DIALTEMPLATE>`), 0o644)
	os.WriteFile(bad, []byte(`<DIALTEMPLATE><TEMPLATE MATCH="1x" Timeout="3"/></DIALTEMPLATE>`), 0o644)
	base := []string{"serve", "-ports", "lo", "-uplink", "", "-firmware", dir, "-state", dir, "-http", ""}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"-pbx-preset", "3cx"}, `phoneflash serve: -pbx-preset: unknown PBX preset "3cx"; use one of freepbx-pjsip, freepbx-chansip, asterisk, hosted` + "\n"},
		{[]string{"-dialplan", bad}, "phoneflash serve: -dialplan: dial plan " + bad + `: line 1: <TEMPLATE>: MATCH "1x": 'x' is not a digit`},
		{[]string{"-dialplan", filepath.Join(dir, "none.xml")}, "phoneflash serve: -dialplan: dial plan: open "},
	} {
		var out, errOut bytes.Buffer
		code := run(context.Background(), append(base, tt.args...), &out, &errOut)
		if code != exitConfig || !strings.HasPrefix(errOut.String(), tt.want) || strings.Count(errOut.String(), "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", tt.args, code, errOut.String(), exitConfig, tt.want)
		}
	}
	for _, args := range [][]string{{"-pbx-preset", "FreePBX-PJSIP"}, {"-pbx-preset", "hosted", "-dialplan", good}} {
		o, err := serveFlags(append(base[1:], args...), &bytes.Buffer{})
		if err == nil {
			err = o.cfg.Validate(fakeEnv("lo"))
		}
		if err != nil {
			t.Errorf("%v: %v", args, err)
		}
	}
}
