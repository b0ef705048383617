package provision

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestChanged(t *testing.T) {
	old := testProvisioner(t)
	tab, err := ParseTable(strings.NewReader("MAC,Port,Extension,Display Name,Auth_Name,Password,PBX_Host,PBX_Port\n" +
		"00:11:22:aa:bb:01,,1001,Reception,1001,s3cretPass,pbx.example.org,5060\n" + // unchanged
		",eth2,1002,Port Two,,newpw,192.0.2.10,\n" + // a new password
		",,1004,Warned,,0123456789abcdef,192.0.2.11,5060\n")) // another PBX; 1003 is gone
	if err != nil {
		t.Fatal(err)
	}
	next := &Provisioner{Table: tab}
	phones := []Phone{
		{MAC: "001122AABB01", Port: "eth1", Model: m7906, Load: target, Account: "1001"},
		{MAC: "001122AABB02", Port: "eth2", Model: m7906, Load: target, Account: "1002"},
		{MAC: "001122AABB03", Port: "eth1", Model: m7911, Load: target, Account: "1003"},
		{MAC: "001122AABB04", Port: "eth1", Model: m7911, Load: target, Account: "1004"},
		{MAC: "001122AABB05", Port: "eth1", Model: m7911, Load: target, Account: ""},
	}
	got, err := Changed(old, next, phones)
	if err != nil {
		t.Fatal(err)
	}
	var macs []string
	for _, p := range got {
		macs = append(macs, p.MAC)
	}
	if diff := cmp.Diff([]string{"001122AABB02", "001122AABB03", "001122AABB04"}, macs); diff != "" {
		t.Errorf("changed (-want +got):\n%s", diff)
	}
	if same, _ := Changed(old, old, phones); len(same) != 0 {
		t.Errorf("the same table changed %d phones", len(same))
	}
}
