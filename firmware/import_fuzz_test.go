package firmware_test

import (
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/phoneflash/phoneflash/firmware"
)

// FuzzImport writes any bytes as a file and imports it into an empty store,
// through the COP, gzip'd tar, tar and zip readers (chosen by content). It
// never panics; nothing is written outside the store (the source folder and
// the parent stay as they were); limits hold; a failed import leaves the
// store empty; a successful one leaves a store that verifies, whose files
// all open. Seeds are in testdata/fuzz/FuzzImport: synthetic COP, tar.gz
// and zip loads, and hostile archives (traversal, absolute names, symlinks,
// bombs).
func FuzzImport(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		dir := t.TempDir()
		src, storeDir := filepath.Join(dir, "src"), filepath.Join(dir, "store")
		for _, d := range []string{src, storeDir} {
			if err := os.Mkdir(d, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		file := filepath.Join(src, "upload.cop.sgn")
		if err := os.WriteFile(file, b, 0o644); err != nil {
			t.Fatal(err)
		}
		s, err := firmware.OpenStore(storeDir)
		if err != nil {
			t.Fatal(err)
		}
		const maxBytes = 1 << 20
		s.SetLimits(firmware.Limits{MaxBytes: maxBytes, MaxEntries: 64})
		_, err = s.Import(file)
		for d, want := range map[string]int{dir: 2, src: 1} {
			if es, _ := os.ReadDir(d); len(es) != want {
				t.Fatalf("import wrote outside the store: %s holds %d entries, want %d", d, len(es), want)
			}
		}
		if err != nil {
			if len(s.Loads()) != 0 {
				t.Fatalf("failed import (%v) left loads %v", err, s.Loads())
			}
			return
		}
		if rep := s.Verify(); len(rep.Problems) > 0 {
			t.Fatalf("store after import does not verify: %v", rep.Problems)
		}
		var total int64
		for _, l := range s.Loads() {
			for _, fi := range l.Files {
				r, err := s.Open(l.Name, fi.Name)
				if err != nil {
					t.Fatalf("load %s lists %s but it does not open: %v", l.Name, fi.Name, err)
				}
				n, _ := io.Copy(io.Discard, r)
				r.Close()
				total += n
			}
		}
		if total > maxBytes {
			t.Fatalf("import wrote %d bytes, limit %d", total, maxBytes)
		}
	})
}
