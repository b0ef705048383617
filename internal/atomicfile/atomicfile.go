// Package atomicfile replaces files so that a reader, and the disk after a
// power cut, sees the old content or the new one and never a part: the
// data goes to a temporary file in the same directory, which is synced,
// given its mode and renamed over the name; then the directory is synced
// so the rename itself survives. It is the module's one such writer (lease
// files, the account table, reports, the simulators' state) and uses the
// standard library only, so that firmware may use it too.
package atomicfile

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// WriteFile replaces name with data, with permissions perm.
func WriteFile(name string, data []byte, perm fs.FileMode) error {
	return Write(name, perm, func(w io.Writer) error {
		_, err := io.Copy(w, bytes.NewReader(data))
		return err
	})
}

// WriteJSON replaces name with v as indented JSON and a newline, with
// permissions perm.
func WriteJSON(name string, v any, perm fs.FileMode) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("atomic write of %s: %w", name, err)
	}
	return WriteFile(name, append(b, '\n'), perm)
}

// Write replaces name with what fill writes, with permissions perm. When
// fill or any step fails, name is unchanged and no temporary file is left.
func Write(name string, perm fs.FileMode, fill func(io.Writer) error) error {
	dir := filepath.Dir(name)
	f, err := os.CreateTemp(dir, "."+filepath.Base(name)+".tmp-*")
	if err != nil {
		return fmt.Errorf("atomic write of %s: %w", name, err)
	}
	tmp := f.Name()
	err = fill(f)
	if err == nil {
		err = f.Chmod(perm)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, name)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("atomic write of %s: %w", name, err)
	}
	if err := SyncDir(dir); err != nil {
		return fmt.Errorf("atomic write of %s: %w", name, err)
	}
	return nil
}

// SyncDir makes the names in dir durable: files created, renamed or removed
// there survive a power cut once it returns.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync directory %s: %w", dir, err)
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("sync directory %s: %w", dir, err)
	}
	return nil
}
