package provision

import (
	"slices"
	"strings"
	"testing"
)

// TestChanged: replacing the table names exactly the phones whose config
// (or the dial plan) differs: a changed password, a removed row, a new
// preset on the bench; not the phones whose rows stayed as they were.
func TestChanged(t *testing.T) {
	table := func(rows string) *Table {
		t.Helper()
		tab, err := ParseTable(strings.NewReader("extension,pbx_host,password\n" + rows))
		if err != nil {
			t.Fatal(err)
		}
		return tab
	}
	phones := []Phone{
		{MAC: "001122AABB01", Port: "eth1", Model: m7906, Load: target, Account: "1001"},
		{MAC: "001122AABB02", Port: "eth2", Model: m7911, Load: target, Account: "1002"},
		{MAC: "001122AABB03", Port: "eth3", Model: m7911, Load: target, Account: "1003"},
		{MAC: "001122AABB09", Port: "eth4", Model: m7911, Load: target}, // no account
	}
	old := &Provisioner{Table: table("1001,pbx,pw1\n1002,pbx,pw2\n1003,pbx,pw3\n")}
	macs := func(ps []Phone) []string {
		var out []string
		for _, p := range ps {
			out = append(out, p.MAC)
		}
		return out
	}
	for _, tt := range []struct {
		name string
		next *Provisioner
		want []string
	}{
		{"same table", &Provisioner{Table: table("1001,pbx,pw1\n1002,pbx,pw2\n1003,pbx,pw3\n")}, nil},
		{"rows reordered", &Provisioner{Table: table("1003,pbx,pw3\n1001,pbx,pw1\n1002,pbx,pw2\n")}, nil},
		{"one password", &Provisioner{Table: table("1001,pbx,pw1\n1002,pbx,new\n1003,pbx,pw3\n")}, []string{"001122AABB02"}},
		{"row removed", &Provisioner{Table: table("1001,pbx,pw1\n1002,pbx,pw2\n")}, []string{"001122AABB03"}},
		{"bench preset", &Provisioner{Table: old.Table, Preset: "freepbx-pjsip"}, macs(phones)},
		{"dial plan", &Provisioner{Table: table("1001,pbx,pw1\n1002,pbx,pw2\n1003,pbx,pw3\n10001,pbx,pw4\n")}, macs(phones)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Changed(old, tt.next, phones)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(macs(got), tt.want) {
				t.Errorf("changed %v, want %v", macs(got), tt.want)
			}
		})
	}
	if _, err := Changed(old, &Provisioner{Table: old.Table, Preset: "nope"}, phones); err == nil {
		t.Error("a bad preset gave no error")
	}
}
