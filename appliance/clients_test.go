package appliance

import (
	"bytes"
	"errors"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/phoneflash/phoneflash/appliance/session"
	"github.com/phoneflash/phoneflash/appliance/tftpd"
	"github.com/phoneflash/phoneflash/firmware"
	"github.com/phoneflash/phoneflash/firmware/fwgen"
)

// hostileStore is a firmware store with both synthetic loads, plus what a
// TFTP client must never get from it: a file in a load's folder that no
// manifest lists, the manifests themselves, an import in progress in the
// hidden staging folder, files outside the store, and symlinks leading out
// by absolute and relative paths, to a file and to a folder.
func hostileStore(t testing.TB) *bench {
	dir := t.TempDir()
	fw := filepath.Join(dir, "fw")
	if err := os.Mkdir(fw, 0o755); err != nil {
		t.Fatal(err)
	}
	importFirmware(t, fw)
	put := func(name, content string) {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	link := func(target, name string) {
		if err := os.Symlink(target, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	put("secret.txt", "secret")
	put("outside/other.sbn", "outside folder")
	put("fw/"+DefaultTarget+"/unlisted.sbn", "not in the manifest")
	put("fw/.stage/partial.sbn", "hidden staging folder")
	put("fw/top.sbn", "loose at the top")
	put("fw/a/b/deep.sbn", "too deep")
	link(filepath.Join(dir, "secret.txt"), "fw/abs.sbn")
	link("../secret.txt", "fw/rel.sbn")
	link("../../secret.txt", "fw/"+DefaultTarget+"/rel2.sbn")
	link(filepath.Join(dir, "outside"), "fw/outdir")
	link("../outside", "fw/reldir")
	store, err := firmware.OpenStore(fw)
	if err != nil {
		t.Fatal(err)
	}
	return &bench{cfg: Config{Target: DefaultTarget}, store: store}
}

// TestStoreFile: a TFTP client that is no phone gets what the store's
// manifests list, by "LOAD/FILE" or by bare name (a term file is the
// target's), and nothing else.
func TestStoreFile(t *testing.T) {
	b := hostileStore(t)
	sccp, sip := fwgen.SCCP852(), fwgen.SIP942()
	read := func(load, file string) []byte {
		f, err := b.store.Open(load, file)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		data, _ := io.ReadAll(f)
		return data
	}
	served := []struct{ name, load, file string }{
		{"term06.default.loads", sip.Name, "term06.default.loads"},
		{"term11.default.loads", sip.Name, "term11.default.loads"},
		{sccp.Name + "/term06.default.loads", sccp.Name, "term06.default.loads"},
		{sip.LoadsFile(), sip.Name, sip.LoadsFile()},
		{sccp.ImageNames()[0], sccp.Name, sccp.ImageNames()[0]},
		{sip.Name + "/" + sip.ImageNames()[4], sip.Name, sip.ImageNames()[4]},
	}
	for _, tt := range served {
		c, err := b.storeFile(tt.name)
		if err != nil {
			t.Errorf("storeFile(%q): %v", tt.name, err)
			continue
		}
		got, _ := io.ReadAll(io.NewSectionReader(c.Data, 0, c.Size))
		c.Close()
		if want := read(tt.load, tt.file); len(want) == 0 || !bytes.Equal(got, want) {
			t.Errorf("storeFile(%q): %d bytes, want the %d of %s/%s", tt.name, len(got), len(want), tt.load, tt.file)
		}
	}
	for _, name := range []string{
		"unlisted.sbn", DefaultTarget + "/unlisted.sbn", DefaultTarget + "/" + firmware.ManifestName,
		".stage/partial.sbn", "partial.sbn", "top.sbn", "a/b/deep.sbn", "abs.sbn", "rel.sbn", "rel2.sbn",
		DefaultTarget + "/rel2.sbn", "outdir/other.sbn", "reldir/other.sbn", "../secret.txt",
		DefaultTarget + "/../../secret.txt", DefaultTarget, "SEP001122334455.cnf.xml", "TERM06.DEFAULT.LOADS",
	} {
		if c, err := b.storeFile(name); !errors.Is(err, tftpd.ErrNotFound) {
			if err == nil {
				c.Close()
			}
			t.Errorf("storeFile(%q) = %v, want ErrNotFound", name, err)
		}
	}
}

// FuzzResolveName drives an RRQ's file name through tftpd.CleanName and the
// resolver of clients that are no phones, as the TFTP server does, and
// asserts that whatever is opened is a file some manifest of the store
// lists. Seeds are in testdata/fuzz/FuzzResolveName.
func FuzzResolveName(f *testing.F) {
	b := hostileStore(f)
	var listed []os.FileInfo
	for _, l := range b.store.Loads() {
		for _, file := range l.Files {
			fi, err := os.Stat(filepath.Join(b.store.Dir(), l.Name, file.Name))
			if err != nil {
				f.Fatal(err)
			}
			listed = append(listed, fi)
		}
	}
	f.Fuzz(func(t *testing.T, raw string) {
		name, err := tftpd.CleanName(raw)
		if err != nil {
			return
		}
		c, err := b.storeFile(name)
		if err != nil {
			if !errors.Is(err, tftpd.ErrNotFound) {
				t.Fatalf("storeFile(%q) = %v, want a file or ErrNotFound", name, err)
			}
			return
		}
		defer c.Close()
		file, ok := c.Data.(*os.File)
		if !ok {
			t.Fatalf("storeFile(%q) served %T, want a file", name, c.Data)
		}
		fi, err := file.Stat()
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range listed {
			if os.SameFile(fi, l) {
				return
			}
		}
		t.Fatalf("RRQ %q (cleaned %q) opened %s, which no manifest lists", raw, name, file.Name())
	})
}

// TestLeaseIndex: an ACK binds an address to a MAC (moving the MAC off its
// old address), a release or decline of that binding unbinds it, and the
// sessions' own addresses seed it after a restart.
func TestLeaseIndex(t *testing.T) {
	a, b2 := netip.MustParseAddr("10.79.1.100"), netip.MustParseAddr("10.79.1.101")
	x := leasesOf([]session.Phone{{MAC: "001122AABBCC", IP: "10.79.1.100"}, {MAC: "001122AABBCD"}})
	if mac, ok := x.macAt(a); !ok || mac != "001122AABBCC" {
		t.Fatalf("resumed: macAt(%s) = %q %v", a, mac, ok)
	}
	x.bind(b2, "00:11:22:aa:bb:cc")
	if _, ok := x.macAt(a); ok {
		t.Error("the MAC still holds its old address after a new ACK")
	}
	x.unbind(b2, "00:11:22:aa:bb:dd") // another MAC's release
	if mac, _ := x.macAt(b2); mac != "001122AABBCC" {
		t.Errorf("another MAC's release unbound %s", b2)
	}
	x.unbind(b2, "00:11:22:aa:bb:cc")
	if _, ok := x.macAt(b2); ok {
		t.Error("a release left the binding")
	}
}
