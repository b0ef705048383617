package provision

import (
	"bytes"
	"encoding/csv"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// FuzzParseTable: the reader never panics, and whatever it accepts is a
// valid table that survives writing it out and reading it back.
func FuzzParseTable(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "*.csv"))
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("extension,pbx_host\n1001,pbx\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		tab, err := ParseTable(bytes.NewReader(data))
		if err != nil {
			return
		}
		seen := map[string]bool{}
		for _, a := range tab.Rows {
			if a.Extension == "" || a.PBXHost == "" || seen[a.Extension] || a.PBXPort < 1 || a.PBXPort > 65535 {
				t.Fatalf("accepted an invalid row %+v", a)
			}
			seen[a.Extension] = true
		}
		var buf bytes.Buffer
		w := csv.NewWriter(&buf)
		w.Write([]string{"mac", "port", "extension", "display_name", "auth_name", "password", "pbx_host", "pbx_port"})
		for _, a := range tab.Rows {
			w.Write([]string{a.MAC, a.Port, a.Extension, a.DisplayName, a.AuthName, a.Password, a.PBXHost, strconv.Itoa(a.PBXPort)})
		}
		w.Flush()
		again, err := ParseTable(&buf)
		if err != nil {
			t.Fatalf("written table does not read back: %v\n%s", err, buf.Bytes())
		}
		if diff := cmp.Diff(tab.Rows, again.Rows, cmpopts.IgnoreFields(Account{}, "Line")); diff != "" {
			t.Fatalf("round trip (-first +second):\n%s", diff)
		}
		p := &Provisioner{Table: tab}
		for _, a := range tab.Rows {
			if _, _, _, err := p.SIP("001122AABBCC", "eth1", m7906, "SIP11.9-4-2SR1-1S", a.Extension); err != nil {
				t.Fatalf("SIP config for %+v: %v", a, err)
			}
		}
	})
}
