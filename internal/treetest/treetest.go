// Package treetest writes directory trees for tests.
package treetest

import (
	"os"
	"path/filepath"
	"testing"
)

// Write creates the files under dir, with the directories they need:
// names are slash-separated paths relative to dir, values their contents.
func Write(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
