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
	dir := filepath.Join(t.TempDir(), "firmware")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	s, err := firmware.OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
