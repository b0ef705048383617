package ziptest_test

import (
	"archive/zip"
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/phoneflash/phoneflash/internal/ziptest"
)

func TestFilesAndFile(t *testing.T) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	want := map[string]string{"SEP001122AABBCC.cnf.xml": "<device/>", "dir/empty": ""}
	for name, body := range want {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(body))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	name := filepath.Join(t.TempDir(), "office.zip")
	if err := os.WriteFile(name, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, got := range []map[string][]byte{ziptest.Files(t, buf.Bytes()), ziptest.File(t, name)} {
		if len(got) != len(want) {
			t.Errorf("read %d members, want %d", len(got), len(want))
		}
		for n, body := range want {
			if string(got[n]) != body {
				t.Errorf("%s = %q, want %q", n, got[n], body)
			}
		}
	}
}

// notZip records the failure Files reports instead of stopping the test.
type notZip struct {
	testing.TB
	failed string
}

func (n *notZip) Fatalf(format string, args ...any) { n.failed = format; panic(n) }

func TestFilesNotAZip(t *testing.T) {
	n := &notZip{TB: t}
	defer func() {
		if r := recover(); r != n || n.failed == "" {
			t.Errorf("Files of a non-zip did not fail the test (recovered %v)", r)
		}
	}()
	ziptest.Files(n, []byte("not a zip"))
}
