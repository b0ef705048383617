package firmware_test

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/phoneflash/phoneflash/firmware"
	"github.com/phoneflash/phoneflash/firmware/fwgen"
	"github.com/phoneflash/phoneflash/internal/fwtest"
)

// testScale keeps generated loads small (the SIP set is ~131 kB).
const testScale = 1.0 / 64

// snapshot maps every path under root to its type, size, mtime and content hash.
func snapshot(t testing.TB, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if filepath.Base(rel) == firmware.StagingDir {
			ents, err := os.ReadDir(p)
			if err != nil || len(ents) != 0 {
				t.Errorf("staging folder holds %d entries after the import (%v)", len(ents), err)
			}
			return fs.SkipDir
		}
		v := fmt.Sprintf("%v %d %d", info.Mode(), info.Size(), info.ModTime().UnixNano())
		if info.Mode().IsRegular() {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			v += fmt.Sprintf(" %x", sha256.Sum256(b))
		}
		out[rel] = v
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// newStore is an empty firmware store in a new temporary directory.
var newStore = fwtest.NewStore

// storeWith is a new store that holds load l, imported from its COP. The
// hostile tests start from one that holds the SCCP load, so that its staging
// folder exists and a failed import must leave everything as is.
func storeWith(t *testing.T, l fwgen.Load) *firmware.Store {
	t.Helper()
	s := newStore(t)
	if _, err := s.Import(source(t, "cop", l)); err != nil {
		t.Fatal(err)
	}
	return s
}

// source writes l in the given container form into a new directory.
func source(t testing.TB, form string, l fwgen.Load) string {
	t.Helper()
	dir := t.TempDir()
	var path string
	var err error
	switch form {
	case "cop":
		path, err = fwgen.WriteCOP(dir, l, testScale)
	case "zip":
		path, err = fwgen.WriteZip(dir, l, testScale)
	case "tgz":
		path, err = fwgen.WriteTarGz(dir, l, testScale)
	case "folder":
		path = filepath.Join(dir, "loose")
		if err = os.Mkdir(path, 0o755); err == nil {
			err = fwgen.WriteLoad(path, l, testScale)
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	return path
}

// wantLoad is what the store must say about generated load l.
func wantLoad(t testing.TB, l fwgen.Load, models []firmware.ModelName) firmware.Load {
	t.Helper()
	ln, err := firmware.ParseLoadName(l.Name)
	if err != nil {
		t.Fatal(err)
	}
	files, err := fwgen.Files(l, testScale)
	if err != nil {
		t.Fatal(err)
	}
	want := firmware.Load{Name: l.Name, Protocol: ln.Protocol, Version: ln.Version, Release: ln.Version.String(),
		Models: models, Images: l.ImageNames()}
	for _, f := range files {
		want.Files = append(want.Files, firmware.FileInfo{Name: f.Name, Size: int64(len(f.Data)), EmbeddedName: f.Name})
	}
	return want
}

// strip drops the hashes and source, checked elsewhere.
func strip(l firmware.Load) firmware.Load {
	l.Source = ""
	l.Files = slices.Clone(l.Files)
	for i := range l.Files {
		l.Files[i].SHA1, l.Files[i].SHA256 = "", ""
	}
	return l
}

func TestImportRoundTrip(t *testing.T) {
	both := []firmware.ModelName{"CP-7906G", "CP-7911G"}
	for _, form := range []string{"cop", "zip", "tgz", "folder"} {
		for _, l := range fwgen.Loads() {
			t.Run(form+"/"+l.Name, func(t *testing.T) {
				s := newStore(t)
				src := source(t, form, l)
				importWant(t, s, firmware.ImportResult{Added: []string{l.Name}}, src)
				got := loadWant(t, s, wantLoad(t, l, both))
				if got.Source != filepath.Base(src) {
					t.Errorf("source %q, want %q", got.Source, filepath.Base(src))
				}
				checkServed(t, s, got)
				before := snapshot(t, s.Dir())
				importWant(t, s, firmware.ImportResult{Unchanged: []string{l.Name}}, src)
				if d := diff(before, snapshot(t, s.Dir())); d != "" {
					t.Errorf("second import changed the store:\n%s", d)
				}
				if rep := s.Verify(); len(rep.Problems) != 0 || rep.Loads != 1 {
					t.Errorf("verify: %d loads, problems %v", rep.Loads, rep.Problems)
				}
			})
		}
	}
}

// checkServed reads every file through Store.Open and checks its manifest hash.
func checkServed(t *testing.T, s *firmware.Store, l firmware.Load) {
	t.Helper()
	for _, f := range l.Files {
		r, err := s.Open(l.Name, f.Name)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(r)
		r.Close()
		if err != nil {
			t.Fatal(err)
		}
		if got := fmt.Sprintf("%x", sha256.Sum256(b)); got != f.SHA256 || int64(len(b)) != f.Size {
			t.Errorf("%s: served %d bytes sha256 %s, manifest %d %s", f.Name, len(b), got, f.Size, f.SHA256)
		}
	}
	if _, err := s.Open(l.Name, "nosuch.sbn"); !errors.Is(err, firmware.ErrNoFile) {
		t.Errorf("Open(nosuch.sbn) = %v, want ErrNoFile", err)
	}
	if _, err := s.Open("SIP11.1-1-1S", "x"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Open of a missing load = %v, want ErrNotExist", err)
	}
}

// TestImportTwoLoads imports both COPs in one call, then lists them; the
// store reopened from disk says the same.
func TestImportTwoLoads(t *testing.T) {
	s := newStore(t)
	res, err := s.Import(source(t, "cop", fwgen.SIP942()), source(t, "cop", fwgen.SCCP852()))
	if err != nil {
		t.Fatal(err)
	}
	if d := diff([]string{"SCCP11.8-5-2S", "SIP11.9-4-2SR1-1S"}, res.Added); d != "" {
		t.Errorf("added (-want +got):\n%s", d)
	}
	var names []string
	for _, l := range s.Loads() {
		names = append(names, l.Name)
	}
	if d := diff([]string{"SCCP11.8-5-2S", "SIP11.9-4-2SR1-1S"}, names); d != "" {
		t.Errorf("Loads (-want +got):\n%s", d)
	}
	again, err := firmware.OpenStore(s.Dir())
	if err != nil {
		t.Fatal(err)
	}
	if d := diff(s.Loads(), again.Loads()); d != "" {
		t.Errorf("reopened store differs:\n%s", d)
	}
	l, f, ok := s.FindFile("cnu11.9-4-2ES9.sbn")
	if !ok || l.Name != "SIP11.9-4-2SR1-1S" || f.Name != "cnu11.9-4-2ES9.sbn" {
		t.Errorf("FindFile(cnu11.9-4-2ES9.sbn) = %s %s %v", l.Name, f.Name, ok)
	}
	if _, _, ok := s.FindFile("term06.default.loads"); ok {
		t.Errorf("FindFile found a term file; term files belong to each load")
	}
	sip, _ := s.Load("SIP11.9-4-2SR1-1S")
	if sip.TermFile(model(t, "CP-7906G")) != "term06.default.loads" || sip.ImageBytes() != fwgen.SIP942().TotalImageBytes(testScale) {
		t.Errorf("TermFile %q, image bytes %d", sip.TermFile(model(t, "CP-7906G")), sip.ImageBytes())
	}
}

// TestImportGrows imports a load without term files (models unknown), then
// its COP: the load gains the term files and models.
func TestImportGrows(t *testing.T) {
	s := newStore(t)
	l := fwgen.SIP942()
	dir := t.TempDir()
	files, err := fwgen.Files(l, testScale)
	if err != nil {
		t.Fatal(err)
	}
	var keep []fwgen.File
	for _, f := range files {
		if !firmware.IsTermFile(f.Name) {
			keep = append(keep, f)
		}
	}
	if err := fwgen.WriteFiles(dir, keep); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Import(dir); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Load(l.Name); len(got.Models) != 0 || got.TermFile(model(t, "CP-7906G")) != "" {
		t.Errorf("models %v, term file %q; want none", got.Models, got.TermFile(model(t, "CP-7906G")))
	}
	importWant(t, s, firmware.ImportResult{Updated: []string{l.Name}}, source(t, "cop", l))
	got := loadWant(t, s, wantLoad(t, l, []firmware.ModelName{"CP-7906G", "CP-7911G"}))
	if got.Source != filepath.Base(dir) {
		t.Errorf("source %q, want the first import's %q", got.Source, filepath.Base(dir))
	}
	if rep := s.Verify(); len(rep.Problems) != 0 {
		t.Errorf("verify: %v", rep.Problems)
	}
}

// TestImportConflict: a different file under a name already in the store is
// an error that names both, and the store is unchanged.
func TestImportConflict(t *testing.T) {
	s := newStore(t)
	l := fwgen.SIP942()
	if _, err := s.Import(source(t, "folder", l)); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := fwgen.WriteLoad(dir, l, testScale*2); err != nil { // other sizes, same names
		t.Fatal(err)
	}
	// The .loads files are the same; the images differ. Both files are named.
	importRefused(t, s, fmt.Sprintf("import %s: apps11.9-4-2ES9.sbn differs from the file of that name in %s (load %s)",
		dir, filepath.Join(s.Dir(), l.Name, "apps11.9-4-2ES9.sbn"), l.Name), dir)
}

// importWant imports srcs into s and wants the result want.
func importWant(t *testing.T, s *firmware.Store, want firmware.ImportResult, srcs ...string) {
	t.Helper()
	res, err := s.Import(srcs...)
	if err != nil {
		t.Fatal(err)
	}
	if d := diff(want, res); d != "" {
		t.Errorf("import result (-want +got):\n%s", d)
	}
}

// loadWant wants the store to hold the load want (compared without the
// fields of the moment, see strip) and returns it as the store has it.
func loadWant(t *testing.T, s *firmware.Store, want firmware.Load) firmware.Load {
	t.Helper()
	got, ok := s.Load(want.Name)
	if !ok {
		t.Fatalf("load %s not in the store", want.Name)
	}
	if d := diff(want, strip(got)); d != "" {
		t.Errorf("load %s (-want +got):\n%s", want.Name, d)
	}
	return got
}

// importRefused imports srcs into s and wants an error containing want,
// with the store's files unchanged.
func importRefused(t *testing.T, s *firmware.Store, want string, srcs ...string) {
	t.Helper()
	before := snapshot(t, s.Dir())
	if _, err := s.Import(srcs...); err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("Import error %v, want one containing %q", err, want)
	}
	if d := diff(before, snapshot(t, s.Dir())); d != "" {
		t.Errorf("store changed:\n%s", d)
	}
}

func TestVerify(t *testing.T) {
	l := fwgen.SIP942()
	s := storeWith(t, l)
	dir := filepath.Join(s.Dir(), l.Name)
	// The classic mistake: the load's own .loads copied over term06.default.loads.
	b, err := os.ReadFile(filepath.Join(dir, l.LoadsFile()))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "term06.default.loads"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, "dsp11.9-4-2ES9.sbn")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "stray.sbn"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	rep := s.Verify()
	var got []string
	for _, p := range rep.Problems {
		got = append(got, p.String())
	}
	want := []string{
		"SIP11.9-4-2SR1-1S/term06.default.loads: term06.default.loads is SIP11.9-4-2SR1-1S.loads renamed (its signed header says SIP11.9-4-2SR1-1S.loads): the phone checks that name and rejects the file; use the term06.default.loads shipped with the load",
		"SIP11.9-4-2SR1-1S/dsp11.9-4-2ES9.sbn: open " + filepath.Join(dir, "dsp11.9-4-2ES9.sbn") + ": no such file or directory",
		"SIP11.9-4-2SR1-1S/SIP11.9-4-2SR1-1S.loads: names image dsp11.9-4-2ES9.sbn, which is missing",
		"SIP11.9-4-2SR1-1S/term11.default.loads: names image dsp11.9-4-2ES9.sbn, which is missing",
		"SIP11.9-4-2SR1-1S/stray.sbn: is not in the manifest: import files, do not copy them into the store",
	}
	if d := diff(want, got); d != "" {
		t.Errorf("problems (-want +got):\n%s", d)
	}
}

func TestKnownGood(t *testing.T) {
	if !firmware.KnownGood("cnu11.9-4-2ES9.sbn", "c047a2c751c1e9a61bd864e98d3945affd8060a9") {
		t.Error("the notes' cnu11 hash is not known")
	}
	if firmware.KnownGood("cnu11.9-4-2ES9.sbn", "4127916da721a3a7f95add566b03cdcfe6711acc") {
		t.Error("a hash under another file's name is known")
	}
	s := storeWith(t, fwgen.SIP942())
	if rep := s.Verify(); len(rep.Known) != 0 {
		t.Errorf("synthetic files reported known: %v", rep.Known)
	}
}

// TestImportLooseFiles: the files of a load given one by one form one source.
func TestImportLooseFiles(t *testing.T) {
	s := newStore(t)
	l := fwgen.SIP942()
	dir := source(t, "folder", l)
	var args []string
	for _, name := range append(append([]string{l.LoadsFile()}, l.TermFiles()...), l.ImageNames()...) {
		args = append(args, filepath.Join(dir, name))
	}
	importWant(t, s, firmware.ImportResult{Added: []string{l.Name}}, args...)
	loadWant(t, s, wantLoad(t, l, []firmware.ModelName{"CP-7906G", "CP-7911G"}))
	// Only the .loads, without its images: a clear error.
	_, err := newStore(t).Import(args[0])
	if err == nil || !strings.Contains(err.Error(), "SIP11.9-4-2SR1-1S.loads lists jar11sip.9-4-2ES9.sbn, which is not in "+args[0]) {
		t.Errorf("error %v", err)
	}
}

func TestStoreFS(t *testing.T) {
	l := fwgen.SIP942()
	s := storeWith(t, l)
	want, err := fwgen.Files(l, testScale)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range want {
		got, err := fs.ReadFile(s.FS(), l.Name+"/"+f.Name)
		if err != nil || !bytes.Equal(got, f.Data) {
			t.Errorf("%s: %d bytes, %v", f.Name, len(got), err)
		}
	}
	for _, bad := range []string{l.Name + "/manifest.json", l.Name, "../x", "/" + l.Name + "/term06.default.loads", l.Name + "/x/y", "nosuch/term06.default.loads"} {
		if _, err := s.FS().Open(bad); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Open(%q) = %v, want ErrNotExist", bad, err)
		}
	}
	// Importing the store into itself is refused.
	if _, err := s.Import(s.Dir()); err == nil || !strings.Contains(err.Error(), "overlaps the firmware store") {
		t.Errorf("self-import error %v", err)
	}
}

// BenchmarkImportCOP imports the SIP COP at its real size (8.4 MB).
func BenchmarkImportCOP(b *testing.B) {
	dir := b.TempDir()
	cop, err := fwgen.WriteCOP(dir, fwgen.SIP942(), 1)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(fwgen.SIP942().TotalImageBytes(1))
	for b.Loop() {
		s := newStore(b)
		if _, err := s.Import(cop); err != nil {
			b.Fatal(err)
		}
	}
}

// TestBrokenFolder: a load folder whose manifest is garbage is reported by
// Verify and blocks importing that load, with the store left as it was.
func TestBrokenFolder(t *testing.T) {
	s := newStore(t)
	l := fwgen.SIP942()
	bad := filepath.Join(s.Dir(), l.Name)
	if err := os.Mkdir(bad, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bad, firmware.ManifestName), []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := s.Reload(); err != nil {
		t.Fatal(err)
	}
	rep := s.Verify()
	if len(rep.Problems) != 1 || !strings.Contains(rep.Problems[0].String(), l.Name+": manifest unreadable") {
		t.Errorf("problems %v", rep.Problems)
	}
	src := source(t, "cop", l)
	if _, err := s.Import(source(t, "cop", fwgen.SCCP852())); err != nil {
		t.Fatal(err)
	}
	importRefused(t, s, "has no readable manifest", src)
}

// TestConcurrentReadersDuringImport: serving goes on while a load is added
// (run with -race).
func TestConcurrentReadersDuringImport(t *testing.T) {
	s := storeWith(t, fwgen.SCCP852())
	src := source(t, "cop", fwgen.SIP942())
	done := make(chan struct{})
	errc := make(chan error, 1)
	go func() {
		defer close(errc)
		for {
			select {
			case <-done:
				return
			default:
			}
			for _, l := range s.Loads() {
				f, err := s.Open(l.Name, l.Images[0])
				if err != nil {
					errc <- err
					return
				}
				f.Close()
			}
		}
	}()
	_, err := s.Import(src)
	close(done)
	if err != nil {
		t.Fatal(err)
	}
	if err := <-errc; err != nil {
		t.Errorf("reader: %v", err)
	}
	if len(s.Loads()) != 2 {
		t.Errorf("loads %d", len(s.Loads()))
	}
}
