// Package ziptest reads a zip archive the code under test wrote (the
// office bundle, /bundle.zip) into a map a test can check.
package ziptest

import (
	"archive/zip"
	"bytes"
	"io"
	"os"
	"testing"
)

// Files returns each member of the zip archive data by name, stopping the
// test if data is not a zip or a member cannot be read.
func Files(t testing.TB, data []byte) map[string][]byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatalf("not a zip archive (%d bytes): %v", len(data), err)
	}
	out := make(map[string][]byte, len(zr.File))
	for _, f := range zr.File {
		r, err := f.Open()
		if err != nil {
			t.Fatalf("zip member %s: %v", f.Name, err)
		}
		b, err := io.ReadAll(r)
		r.Close()
		if err != nil {
			t.Fatalf("zip member %s: %v", f.Name, err)
		}
		out[f.Name] = b
	}
	return out
}

// File is Files of the zip archive in the file name.
func File(t testing.TB, name string) map[string][]byte {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return Files(t, data)
}
