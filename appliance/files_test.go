package appliance

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/phoneflash/phoneflash/appliance/tftpd"
	"github.com/phoneflash/phoneflash/internal/treetest"
)

func TestFirmwareFiles(t *testing.T) {
	dir := t.TempDir()
	fw := filepath.Join(dir, "fw")
	files := map[string]string{
		"fw/term06.default.loads":                    "top",
		"fw/SIP11.9-4-2SR1-1S/jar11sip.9-4-2ES9.sbn": "jar",
		"fw/SIP11.9-4-2SR1-1S/term06.default.loads":  "shadowed by the top level",
		"fw/SCCP11.8-5-2S/cnu11.8-5-2ES9.sbn":        "cnu",
		"fw/a/b/deep.sbn":                            "too deep",
		"fw/.tmp/partial.sbn":                        "hidden folder",
		"secret.txt":                                 "secret",
	}
	treetest.Write(t, dir, files)
	if err := os.Symlink(filepath.Join(dir, "secret.txt"), filepath.Join(fw, "escape.sbn")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../secret.txt", filepath.Join(fw, "SCCP11.8-5-2S", "rel.sbn")); err != nil {
		t.Fatal(err)
	}
	f, err := openFirmwareFiles(fw)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tests := []struct{ name, want string }{
		{"term06.default.loads", "top"},
		{"jar11sip.9-4-2ES9.sbn", "jar"},
		{"cnu11.8-5-2ES9.sbn", "cnu"},
		{"SCCP11.8-5-2S/cnu11.8-5-2ES9.sbn", "cnu"},
		{"JAR11SIP.9-4-2ES9.SBN", ""},
		{"deep.sbn", ""},
		{"a/b/deep.sbn", ""},
		{"partial.sbn", ""},
		{"SIP11.9-4-2SR1-1S", ""}, // a folder
		{"escape.sbn", ""},
		{"rel.sbn", ""},
		{"SEP001122334455.cnf.xml", ""},
	}
	for _, tt := range tests {
		c, err := f.Resolve(context.Background(), tftpd.Request{Name: tt.name})
		if tt.want == "" {
			if !errors.Is(err, tftpd.ErrNotFound) {
				t.Errorf("Resolve(%q) = %v, want ErrNotFound", tt.name, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("Resolve(%q): %v", tt.name, err)
			continue
		}
		got, _ := io.ReadAll(io.NewSectionReader(c.Data, 0, c.Size))
		c.Close()
		if string(got) != tt.want {
			t.Errorf("Resolve(%q) = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestRunFailsCleanlyWithoutFirmwareDir(t *testing.T) {
	cfg := testConfig(t, "test-net-a")
	cfg.FirmwareDir = filepath.Join(t.TempDir(), "missing")
	err := Run(context.Background(), cfg, nil, discard())
	if err == nil || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Run without a firmware directory = %v, want a not-exist error", err)
	}
}
