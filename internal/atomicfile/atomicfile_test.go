package atomicfile

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

func TestWriteFileReplaces(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "leases-eth1.json")
	for _, content := range []string{"first\n", "second, longer\n", ""} {
		if err := WriteFile(name, []byte(content), 0o640); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(name)
		if err != nil || string(got) != content {
			t.Fatalf("after writing %q: %q, %v", content, got, err)
		}
	}
	st, err := os.Stat(name)
	if err != nil || st.Mode().Perm() != 0o640 {
		t.Errorf("mode %v, %v; want 0640", st.Mode(), err)
	}
	assertOnly(t, dir, "leases-eth1.json")
}

// assertOnly fails unless dir holds exactly the names given: no temporary
// file is left behind.
func assertOnly(t *testing.T, dir string, names ...string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range ents {
		got = append(got, e.Name())
	}
	if len(got) != len(names) || (len(got) > 0 && got[0] != names[0]) {
		t.Errorf("directory holds %q, want %q", got, names)
	}
}

func TestFailedWriteKeepsTheOldFile(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "report.csv")
	if err := WriteFile(name, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("disk full")
	err := Write(name, 0o644, func(w io.Writer) error {
		w.Write([]byte("half of the new"))
		return boom
	})
	if !errors.Is(err, boom) {
		t.Errorf("Write = %v, want the fill's error", err)
	}
	if got, _ := os.ReadFile(name); string(got) != "old" {
		t.Errorf("after a failed write: %q, want the old content", got)
	}
	assertOnly(t, dir, "report.csv")
	if err := WriteFile(filepath.Join(dir, "missing", "f"), nil, 0o644); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("write into a missing directory: %v, want ErrNotExist", err)
	}
}

// TestReadersSeeWholeFiles: a reader racing with writers sees one complete
// version or another, never a mix or a part.
func TestReadersSeeWholeFiles(t *testing.T) {
	name := filepath.Join(t.TempDir(), "flash.json")
	a, b := bytes.Repeat([]byte("a"), 64<<10), bytes.Repeat([]byte("b"), 96<<10)
	if err := WriteFile(name, a, 0o644); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if err := WriteFile(name, [][]byte{a, b}[i%2], 0o644); err != nil {
				t.Error(err)
				return
			}
		}
	})
	for range 200 {
		got, err := os.ReadFile(name)
		if err != nil || !(bytes.Equal(got, a) || bytes.Equal(got, b)) {
			t.Errorf("read %d bytes (%v), want one whole version", len(got), err)
			break
		}
	}
	close(stop)
	wg.Wait()
}

func TestWriteJSON(t *testing.T) {
	name := filepath.Join(t.TempDir(), "result.json")
	if err := WriteJSON(name, map[string]int{"boots": 2}, 0o644); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(name); string(got) != "{\n  \"boots\": 2\n}\n" {
		t.Errorf("wrote %q", got)
	}
	if err := WriteJSON(name, func() {}, 0o644); err == nil {
		t.Error("WriteJSON of a func succeeded")
	}
}

func TestSyncDir(t *testing.T) {
	if err := SyncDir(t.TempDir()); err != nil {
		t.Error(err)
	}
	if err := SyncDir(filepath.Join(t.TempDir(), "gone")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("SyncDir of a missing directory: %v, want ErrNotExist", err)
	}
}
