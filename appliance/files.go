package appliance

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"

	"github.com/phoneflash/phoneflash/appliance/tftpd"
)

// firmwareFiles resolves TFTP names to files of the firmware directory, until
// the session layer decides per phone. A bare name (what phones ask for) is
// looked up at the top level, then in each folder one level below (the
// store's per-load folders, in name order); a name with one folder is looked
// up as given, unless that folder is hidden (the store's staging area).
// Everything else is File not found. Files are opened through os.Root, so
// neither "..", absolute names nor symlinks lead outside the directory.
type firmwareFiles struct {
	root *os.Root
}

func openFirmwareFiles(dir string) (*firmwareFiles, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("firmware directory: %w", err)
	}
	return &firmwareFiles{root: root}, nil
}

func (f *firmwareFiles) Close() error { return f.root.Close() }

// Resolve is a tftpd.Resolver.
func (f *firmwareFiles) Resolve(_ context.Context, req tftpd.Request) (tftpd.Content, error) {
	switch strings.Count(req.Name, "/") {
	case 0:
		if c, err := f.open(req.Name); !errors.Is(err, tftpd.ErrNotFound) {
			return c, err
		}
		for _, dir := range f.folders() {
			if c, err := f.open(dir + "/" + req.Name); !errors.Is(err, tftpd.ErrNotFound) {
				return c, err
			}
		}
		return tftpd.Content{}, tftpd.ErrNotFound
	case 1:
		if strings.HasPrefix(req.Name, ".") { // a hidden folder, e.g. the store's staging area
			return tftpd.Content{}, tftpd.ErrNotFound
		}
		return f.open(req.Name)
	}
	return tftpd.Content{}, tftpd.ErrNotFound
}

func (f *firmwareFiles) open(name string) (tftpd.Content, error) {
	file, err := f.root.Open(name)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return tftpd.Content{}, tftpd.ErrNotFound
		}
		// A symlink leading outside, a permission problem: the phone sees
		// File not found, the log the reason.
		return tftpd.Content{}, fmt.Errorf("%w: %v", tftpd.ErrNotFound, err)
	}
	return tftpd.File(file)
}

func (f *firmwareFiles) folders() []string {
	d, err := f.root.Open(".")
	if err != nil {
		return nil
	}
	defer d.Close()
	entries, err := d.ReadDir(-1)
	if err != nil {
		return nil
	}
	var dirs []string
	for _, e := range entries {
		if e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
			dirs = append(dirs, e.Name())
		}
	}
	slices.Sort(dirs)
	return dirs
}
