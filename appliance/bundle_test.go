package appliance

import (
	"bytes"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/phoneflash/phoneflash/appliance/nettest"
	"github.com/phoneflash/phoneflash/internal/ziptest"
)

// TestBundleDownloadFromThePage: after a phone finished on a loopback
// bench, the page's download (with the password) is the office bundle:
// the phone's config pointing at the PBX of its row, its firmware, and no
// address of the bench port in any file.
func TestBundleDownloadFromThePage(t *testing.T) {
	cfg := testConfig(t)
	port := Port{Name: nettest.Unique("pfp"), Addr: netip.MustParsePrefix("127.0.9.1/24")}
	cfg.Ports = []Port{port}
	cfg.HTTPAddr = freeAddr(t)
	cfg.WebPassword = "s3cret"
	cfg.AccountsFile = writeTemp(t, "mac,extension,password,pbx_host\n00:1b:d4:79:06:09,1009,pw1009,192.0.2.10\n")
	p := newSimPhone(t, "00:1b:d4:79:06:09", "CP-7906G")
	defer runWithPhone(t, cfg, p)()
	if _, err := p.journey(DefaultTarget, func() bool { return true }); err != nil {
		t.Fatalf("journey: %v (asked for %v)", err, p.asked)
	}
	base := "http://" + cfg.HTTPAddr
	if code, _ := httpDo(t, "GET", base+"/bundle.zip", "", ""); code != http.StatusUnauthorized {
		t.Fatalf("download without the password: %d", code)
	}
	var files map[string][]byte
	waitFor(t, func() bool { // the journal reaches the disk a moment after the phone
		code, body := httpDo(t, "GET", base+"/bundle.zip", "", "s3cret")
		if code != 200 {
			t.Fatalf("download: %d %q", code, body)
		}
		files = ziptest.Files(t, []byte(body))
		_, ok := files["SEP"+p.key()+".cnf.xml"]
		return ok
	})
	if cfgXML := string(files["SEP"+p.key()+".cnf.xml"]); !strings.Contains(cfgXML, "<processNodeName>192.0.2.10</processNodeName>") ||
		!strings.Contains(cfgXML, "<authPassword>pw1009</authPassword>") {
		t.Errorf("config:\n%s", cfgXML)
	}
	load, _ := os.ReadDir(filepath.Join(cfg.FirmwareDir, DefaultTarget))
	for _, e := range load {
		if e.Name() == "manifest.json" {
			continue
		}
		stored, _ := os.ReadFile(filepath.Join(cfg.FirmwareDir, DefaultTarget, e.Name()))
		if !bytes.Equal(files[e.Name()], stored) {
			t.Errorf("%s is not the store's copy", e.Name())
		}
	}
	for name, data := range files {
		if bytes.Contains(data, []byte("127.0.9.")) {
			t.Errorf("%s names the bench port's subnet", name)
		}
	}
}
