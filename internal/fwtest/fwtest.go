// Package fwtest has the firmware store helpers the module's tests share.
package fwtest

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/phoneflash/phoneflash/firmware"
)

// NewStore opens an empty firmware store in a new temporary directory.
func NewStore(t testing.TB) *firmware.Store {
	t.Helper()
	return OpenStore(t, filepath.Join(t.TempDir(), "firmware"))
}

// OpenStore makes the directory dir (its parent must exist) and opens an
// empty firmware store in it.
func OpenStore(t testing.TB, dir string) *firmware.Store {
	t.Helper()
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	s, err := firmware.OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
