package firmware

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
)

// FileInfo describes one file of a load in the store.
type FileInfo struct {
	Name         string `json:"name"`
	Size         int64  `json:"size"`
	SHA256       string `json:"sha256"`
	SHA1         string `json:"sha1"`
	EmbeddedName string `json:"embeddedName"` // tag 14 of the signed header
	Known        bool   `json:"known"`        // SHA-1 is in the known-good table
}

// Load is one firmware load in the store: its own .loads file, the term
// files of the models it serves, and its images.
type Load struct {
	Name     string      `json:"name"` // e.g. SIP11.9-4-2SR1-1S
	Protocol Protocol    `json:"protocol"`
	Version  Version     `json:"version"`
	Release  string      `json:"release"` // Version.String(), for readers of the manifest
	Models   []ModelName `json:"models"`  // from the term files and loadNNN.txt
	Images   []string    `json:"images"`  // in the order the phone fetches them
	// Files are the .loads, then the term files, then the images.
	Files  []FileInfo `json:"files"`
	Source string     `json:"source"` // base name of what it was imported from
}

// ManifestName is the manifest file in each load's folder.
const ManifestName = "manifest.json"

// LoadsFile is the load's own .loads file name.
func (l Load) LoadsFile() string { return l.Name + ".loads" }

// Family is the load family of its name: "42" for SIP42.9-4-2SR3-1S, "" if
// the name does not parse.
func (l Load) Family() string {
	ln, err := ParseLoadName(l.Name)
	if err != nil {
		return ""
	}
	return ln.Family
}

// TermFile is the model's termNN.default.loads if the load has it, else "".
func (l Load) TermFile(m Model) string {
	if _, ok := l.File(m.TermFile()); ok {
		return m.TermFile()
	}
	return ""
}

// File returns the named file of the load.
func (l Load) File(name string) (FileInfo, bool) {
	for _, f := range l.Files {
		if f.Name == name {
			return f, true
		}
	}
	return FileInfo{}, false
}

// TotalBytes is the size of all the load's files.
func (l Load) TotalBytes() int64 {
	var n int64
	for _, f := range l.Files {
		n += f.Size
	}
	return n
}

// ImageBytes is the size of the load's images, what a phone downloads after
// the .loads file.
func (l Load) ImageBytes() int64 {
	var n int64
	for _, img := range l.Images {
		f, _ := l.File(img)
		n += f.Size
	}
	return n
}

// KnownFiles counts the files whose SHA-1 is in the known-good table.
func (l Load) KnownFiles() int {
	n := 0
	for _, f := range l.Files {
		if f.Known {
			n++
		}
	}
	return n
}

// HasModel reports whether the load names the model (by term file or
// loadNNN.txt).
func (l Load) HasModel(name ModelName) bool { return slices.Contains(l.Models, name) }

// Store is the firmware directory: one folder per load, each with its files
// and a manifest. It is safe for concurrent use; readers get copies.
type Store struct {
	dir      string
	importMu sync.Mutex // one import at a time

	mu     sync.RWMutex
	limits Limits
	models Models // what imports know of phone models
	loads  map[string]Load
	broken map[string]error // folders whose manifest cannot be read
}

// OpenStore reads the manifests in dir, which must exist. A folder whose
// manifest cannot be read is left out of Loads and reported by Verify.
func OpenStore(dir string) (*Store, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("firmware store: %w", err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("firmware store: %s is not a directory", dir)
	}
	s := &Store{dir: dir, limits: DefaultLimits(), models: BuiltinModels()}
	if err := s.Reload(); err != nil {
		return nil, err
	}
	return s, nil
}

// SetLimits changes the limits of later imports.
func (s *Store) SetLimits(l Limits) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.limits = l
}

// SetModels sets the model table later imports use: which families a load
// may be of and which term files name which models (BuiltinModels by
// default; the appliance adds the user's rows).
func (s *Store) SetModels(t Models) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.models = slices.Clone(t)
}

// Models is the model table imports use.
func (s *Store) Models() Models {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return slices.Clone(s.models)
}

// Dir is the store's directory.
func (s *Store) Dir() string { return s.dir }

// Reload re-reads every manifest (after another process imported).
func (s *Store) Reload() error {
	ents, err := os.ReadDir(s.dir)
	if err != nil {
		return fmt.Errorf("firmware store: %w", err)
	}
	loads, broken := map[string]Load{}, map[string]error{}
	for _, e := range ents {
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		l, err := readManifest(filepath.Join(s.dir, e.Name()))
		if err != nil {
			broken[e.Name()] = err
			continue
		}
		loads[l.Name] = l
	}
	s.mu.Lock()
	s.loads, s.broken = loads, broken
	s.mu.Unlock()
	return nil
}

func readManifest(dir string) (Load, error) {
	b, err := os.ReadFile(filepath.Join(dir, ManifestName))
	if err != nil {
		return Load{}, err
	}
	var l Load
	if err := json.Unmarshal(b, &l); err != nil {
		return Load{}, fmt.Errorf("%s: %w", filepath.Join(dir, ManifestName), err)
	}
	if l.Name != filepath.Base(dir) {
		return Load{}, fmt.Errorf("%s names load %q, not its folder's", filepath.Join(dir, ManifestName), l.Name)
	}
	return l, nil
}

// Loads returns every load, SCCP before SIP, older versions first.
func (s *Store) Loads() []Load {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]Load, 0, len(s.loads))
	for _, l := range s.loads {
		out = append(out, cloneLoad(l))
	}
	sortLoads(out)
	return out
}

func sortLoads(ls []Load) {
	slices.SortFunc(ls, func(a, b Load) int {
		return cmp.Or(cmp.Compare(a.Protocol, b.Protocol), a.Version.Compare(b.Version), cmp.Compare(a.Name, b.Name))
	})
}

func cloneLoad(l Load) Load {
	l.Models = slices.Clone(l.Models)
	l.Images = slices.Clone(l.Images)
	l.Files = slices.Clone(l.Files)
	return l
}

// Load returns the named load (without ".loads").
func (s *Store) Load(name string) (Load, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	l, ok := s.loads[name]
	return cloneLoad(l), ok
}

// ErrNoFile means a load has no file of that name.
var ErrNoFile = errors.New("no such file in the load")

// Open opens one file of a load for reading; callers share the store's file
// (no copy per client) and must Close it.
func (s *Store) Open(load, file string) (*os.File, error) {
	l, ok := s.Load(load)
	if !ok {
		return nil, fmt.Errorf("firmware store: load %s: %w", load, fs.ErrNotExist)
	}
	if _, ok := l.File(file); !ok {
		return nil, fmt.Errorf("firmware store: %s/%s: %w", load, file, ErrNoFile)
	}
	f, err := os.Open(filepath.Join(s.dir, load, file))
	if err != nil {
		return nil, fmt.Errorf("firmware store: %w", err)
	}
	return f, nil
}

// FindFile returns the load holding a file named name, for names that are
// not term files (a term file belongs to each load; the session picks one).
// Images shared by several loads are identical (import enforces it), so any
// holder serves.
func (s *Store) FindFile(name string) (Load, FileInfo, bool) {
	if IsTermFile(name) {
		return Load{}, FileInfo{}, false
	}
	for _, l := range s.Loads() {
		if f, ok := l.File(name); ok {
			return l, f, true
		}
	}
	return Load{}, FileInfo{}, false
}

// FS serves the store's files as "LOAD/FILE" paths (for example
// "SIP11.9-4-2SR1-1S/term06.default.loads"), only those a manifest lists.
func (s *Store) FS() fs.FS { return storeFS{s} }

type storeFS struct{ s *Store }

func (f storeFS) Open(name string) (fs.File, error) {
	load, file, ok := strings.Cut(name, "/")
	if !fs.ValidPath(name) || !ok || strings.Contains(file, "/") {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	fh, err := f.s.Open(load, file)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return fh, nil
}
