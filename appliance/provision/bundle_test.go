package provision

import (
	"archive/zip"
	"bytes"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/phoneflash/phoneflash/firmware"
	"github.com/phoneflash/phoneflash/firmware/fwgen"
	"github.com/phoneflash/phoneflash/internal/fwtest"
	"github.com/phoneflash/phoneflash/internal/ziptest"
)

// testStore is a firmware store holding the synthetic SIP target.
func testStore(t *testing.T) (*firmware.Store, firmware.Load) {
	t.Helper()
	store := fwtest.NewStore(t)
	cop, err := fwgen.WriteCOP(t.TempDir(), fwgen.SIP942(), 0.001)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Import(cop); err != nil {
		t.Fatal(err)
	}
	l, ok := store.Load(target)
	if !ok {
		t.Fatalf("no %s in the store: %v", target, store.Loads())
	}
	return store, l
}

func storeOpener(s *firmware.Store) func(load, file string) (io.ReadCloser, error) {
	return func(load, file string) (io.ReadCloser, error) { return s.Open(load, file) }
}

// TestBundle: the bundle holds each phone's final config (for phones with
// an account whose PBX is not on the bench), XMLDefault naming the target
// for the models seen, the dial plan, the target's files byte for byte,
// and a README that says how to serve it and which phones are missing.
func TestBundle(t *testing.T) {
	store, load := testStore(t)
	tab, err := ParseTable(strings.NewReader("extension,password,pbx_host,preset\n" +
		"1001,pw1001,pbx.office.example,freepbx-pjsip\n1002,0123456789012345678901234567890,192.0.2.10,\n1003,pw1003,10.79.2.1,\n"))
	if err != nil {
		t.Fatal(err)
	}
	p := &Provisioner{Table: tab}
	phones := []BundlePhone{
		{MAC: "001BD4791101", Port: "eth1", Model: m7911, Account: "1001"},
		{MAC: "001BD4790602", Port: "eth2", Model: m7906, Account: "1002"},
		{MAC: "001BD4790603", Port: "eth2", Model: m7906, Account: "1003"},
		{MAC: "001BD4790604", Port: "eth3", Model: m7906},
		{MAC: "001BD4790605", Port: "eth3", Account: "1001"},
		{MAC: "001BD4790606", Port: "eth4", Model: m7911, Account: "1001", Result: "in progress (loading)"},
	}
	bench := []netip.Prefix{netip.MustParsePrefix("10.79.0.0/16")}
	made := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	var buf bytes.Buffer
	b := Bundle{Phones: phones, Target: load, Open: storeOpener(store), Bench: bench, Made: made}
	if err := CheckBundle(b); err != nil {
		t.Fatal(err)
	}
	if err := p.WriteBundle(&buf, b); err != nil {
		t.Fatal(err)
	}
	files := ziptest.Files(t, buf.Bytes())
	want := []string{"README.txt", "SEP001BD4790602.cnf.xml", "SEP001BD4790606.cnf.xml", "SEP001BD4791101.cnf.xml", "XMLDefault.cnf.xml", "dialplan.xml"}
	for _, f := range load.Files {
		want = append(want, f.Name)
		stored, err := os.ReadFile(filepath.Join(store.Dir(), load.Name, f.Name))
		if err != nil || !bytes.Equal(stored, files[f.Name]) {
			t.Errorf("%s differs from the store's copy (%v)", f.Name, err)
		}
	}
	var got []string
	for name := range files {
		got = append(got, name)
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("bundle holds %v, want %v", got, want)
	}
	sip, _, _, _ := p.SIP("001BD4791101", "eth1", m7911, target, "1001")
	if !bytes.Equal(files["SEP001BD4791101.cnf.xml"], sip) {
		t.Errorf("the bundle's config is not the bench's:\n%s", files["SEP001BD4791101.cnf.xml"])
	}
	if def := string(files["XMLDefault.cnf.xml"]); !strings.Contains(def, `<loadInformation307 model="Cisco IP Phone 7911">`+target) ||
		!strings.Contains(def, `<loadInformation369 model="Cisco IP Phone 7906">`+target) {
		t.Errorf("XMLDefault.cnf.xml:\n%s", def)
	}
	plan, _ := p.DialPlan()
	if !bytes.Equal(files["dialplan.xml"], plan) {
		t.Errorf("dialplan.xml:\n%s", files["dialplan.xml"])
	}
	readme := string(files["README.txt"])
	for _, s := range []string{"/tftpboot", "--enable-tftp", "dhcp-option=150", "code 150 = array of ip-address", `"type": "ipv4-address"`, "Alternate TFTP",
		"001BD4791101  CP-7911G  line 1001  registers with pbx.office.example:5060 over TCP",
		"001BD4790602  CP-7906G  line 1002  registers with 192.0.2.10:5060 over UDP\n      password for 1002 is 31 characters; CP-7906G accepts at most 30",
		"(its config has no password: it will not register)",
		"001BD4790603  CP-7906G  line 1003\n      its row's pbx_host is an address on the bench",
		"001BD4790604  CP-7906G  line -\n      no account: no config in this bundle",
		"001BD4790605  unknown model  line 1001\n      the bench never learnt its model",
		"001BD4790606  CP-7911G  line 1001  registers with pbx.office.example:5060 over TCP\n      on the bench: in progress (loading)"} {
		if !strings.Contains(readme, s) {
			t.Errorf("README.txt lacks %q:\n%s", s, readme)
		}
	}
	for name, data := range files {
		if mentionsBench(data, bench[0]) {
			t.Errorf("%s names a bench address", name)
		}
	}
}

// TestBundleRefuses: a store file that no longer matches its manifest,
// and a missing target, stop the bundle with a reason.
func TestBundleRefuses(t *testing.T) {
	store, load := testStore(t)
	img := filepath.Join(store.Dir(), load.Name, load.Images[0])
	data, _ := os.ReadFile(img)
	data[len(data)-1] ^= 1
	os.WriteFile(img, data, 0o644)
	err := (&Provisioner{}).WriteBundle(io.Discard, Bundle{Target: load, Open: storeOpener(store)})
	if err == nil || !strings.Contains(err.Error(), load.Images[0]) || !strings.Contains(err.Error(), "phoneflash firmware verify") {
		t.Errorf("corrupt image: %v", err)
	}
	if err := CheckBundle(Bundle{Open: storeOpener(store)}); err == nil || !strings.Contains(err.Error(), "target load is not in the firmware store") {
		t.Errorf("no target: %v", err)
	}
	var buf bytes.Buffer
	z := zip.NewWriter(&buf)
	if err := put(z, "x.cnf.xml", Bundle{Bench: []netip.Prefix{netip.MustParsePrefix("10.79.1.0/24")}}, []byte("<a>10.79.1.1</a>")); err == nil {
		t.Error("a file naming a bench address was written")
	}
}
