package appliance

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/phoneflash/phoneflash/appliance/tftpd"
	"github.com/phoneflash/phoneflash/internal/treetest"
)

// servedTree builds a firmware directory with files the TFTP server may
// serve (top level and one folder below), files it must not (deeper, in a
// hidden staging folder, outside), and symlinks leading out by absolute and
// relative paths, to a folder outside, and one staying inside. It returns
// the directory and the files that may be served.
func servedTree(t testing.TB) (string, []os.FileInfo) {
	dir := t.TempDir()
	fw := filepath.Join(dir, "fw")
	put := func(name, content string) { treetest.Write(t, dir, map[string]string{name: content}) }
	link := func(target, name string) {
		if err := os.Symlink(target, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	served := []string{"fw/term06.default.loads", "fw/SIP11.9-4-2SR1-1S/jar11sip.9-4-2ES9.sbn",
		"fw/SIP11.9-4-2SR1-1S/SIP11.9-4-2SR1-1S.loads", "fw/SCCP11.8-5-2S/cnu11.8-5-2ES9.sbn"}
	for _, name := range served {
		put(name, name)
	}
	put("fw/a/b/deep.sbn", "too deep")
	put("fw/.stage/partial.sbn", "hidden staging folder")
	put("secret.txt", "secret")
	put("outside/other.sbn", "outside folder")
	link(filepath.Join(dir, "secret.txt"), "fw/abs.sbn")
	link("../secret.txt", "fw/rel.sbn")
	link("../../secret.txt", "fw/SCCP11.8-5-2S/rel2.sbn")
	link(filepath.Join(dir, "outside"), "fw/outdir")
	link("../outside", "fw/reldir")
	link("term06.default.loads", "fw/inside.loads")
	var infos []os.FileInfo
	for _, name := range served {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		infos = append(infos, fi)
	}
	return fw, infos
}

// FuzzResolveName drives an RRQ's file name through tftpd.CleanName and the
// firmware directory's resolver, as the TFTP server does, and asserts that
// whatever is opened is one of the served files: never anything outside the
// directory (through "..", absolute names or symlinks), deeper than one
// folder, or in a hidden folder. Seeds are in testdata/fuzz/FuzzResolveName.
func FuzzResolveName(f *testing.F) {
	fw, served := servedTree(f)
	files, err := openFirmwareFiles(fw)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { files.Close() })
	f.Fuzz(func(t *testing.T, raw string) {
		name, err := tftpd.CleanName(raw)
		if err != nil {
			return
		}
		c, err := files.Resolve(context.Background(), tftpd.Request{Name: name})
		if err != nil {
			if !errors.Is(err, tftpd.ErrNotFound) {
				t.Fatalf("Resolve(%q) = %v, want a file or ErrNotFound", name, err)
			}
			return
		}
		defer c.Close()
		file, ok := c.Data.(*os.File)
		if !ok {
			t.Fatalf("Resolve(%q) served %T, want a file", name, c.Data)
		}
		fi, err := file.Stat()
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range served {
			if os.SameFile(fi, s) {
				return
			}
		}
		t.Fatalf("RRQ %q (cleaned %q) opened %s, which is not a served file", raw, name, file.Name())
	})
}

func TestResolveRefusesHiddenFolders(t *testing.T) {
	fw, _ := servedTree(t)
	files, err := openFirmwareFiles(fw)
	if err != nil {
		t.Fatal(err)
	}
	defer files.Close()
	for _, name := range []string{".stage/partial.sbn", "partial.sbn"} {
		if _, err := files.Resolve(context.Background(), tftpd.Request{Name: name}); !errors.Is(err, tftpd.ErrNotFound) {
			t.Errorf("Resolve(%q) = %v, want ErrNotFound: a hidden folder holds imports in progress", name, err)
		}
	}
}
