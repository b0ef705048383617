package firmware

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/phoneflash/phoneflash/internal/atomicfile"
)

// StagingDir is the store's hidden folder for imports in progress.
const StagingDir = ".staging"

// ImportResult says what an import did, by load name.
type ImportResult struct {
	Added     []string // new in the store
	Updated   []string // already there, now with more files or models
	Unchanged []string // already there, identical: nothing was written
	Ignored   []string // firmware-looking files no load uses (e.g. another family's term file)
}

// Import takes firmware the way users bring it, each src being a .cop.sgn,
// .zip, .tar.gz/.tgz, .tar, a loose signed file or a folder, and adds the
// loads it holds. It is all or nothing: on error the store is unchanged.
// Importing a load that is already there changes nothing; a file that
// differs from one of the same name in the store is an error naming both.
func (s *Store) Import(srcs ...string) (ImportResult, error) {
	if len(srcs) == 0 {
		return ImportResult{}, errors.New("import: nothing to import")
	}
	s.importMu.Lock()
	defer s.importMu.Unlock()
	if err := s.Reload(); err != nil {
		return ImportResult{}, err
	}
	// Stage under a permanent hidden folder of the store (same file system,
	// so the commit is renames), leaving the store's own folder untouched
	// when nothing changes.
	staging := filepath.Join(s.dir, StagingDir)
	if err := os.Mkdir(staging, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
		return ImportResult{}, fmt.Errorf("import: %w", err)
	}
	stage, err := os.MkdirTemp(staging, "import-")
	if err != nil {
		return ImportResult{}, fmt.Errorf("import: %w", err)
	}
	defer os.RemoveAll(stage)
	var res ImportResult
	merged, err := s.stageSources(stage, srcs, &res)
	if err != nil {
		return ImportResult{}, err
	}
	existing := map[string]Load{}
	for _, l := range s.Loads() {
		existing[l.Name] = l
	}
	if err := s.checkConflicts(existing, merged); err != nil {
		return ImportResult{}, err
	}
	moves, err := s.prepare(stage, existing, merged, &res)
	if err != nil {
		return ImportResult{}, err
	}
	if err := commit(moves); err != nil {
		return ImportResult{}, err
	}
	syncDir(s.dir)
	return res, s.Reload()
}

// sourceGroup is what one staging folder receives: one container or
// folder, or all the loose .loads and .sbn files given together.
type sourceGroup struct {
	paths []string
	loose bool
}

func groupSources(srcs []string) []sourceGroup {
	var out []sourceGroup
	loose := sourceGroup{loose: true}
	for _, src := range srcs {
		if isLooseFile(src) {
			loose.paths = append(loose.paths, src)
		} else {
			out = append(out, sourceGroup{paths: []string{src}})
		}
	}
	if len(loose.paths) > 0 {
		out = append(out, loose)
	}
	return out
}

// label names a group in messages.
func (g sourceGroup) label() string {
	if !g.loose || len(g.paths) == 1 {
		return g.paths[0]
	}
	return fmt.Sprintf("%s (and %d more loose files)", g.paths[0], len(g.paths)-1)
}

// extract fills x's folder from the group.
func (g sourceGroup) extract(x *extractor) error {
	if !g.loose {
		return x.extract()
	}
	for _, p := range g.paths {
		st, err := os.Stat(p)
		if err != nil {
			return fmt.Errorf("import: %w", err)
		}
		if err := x.loose(p, st.Size()); err != nil {
			return err
		}
	}
	return nil
}

// stageSources extracts and assembles every source, merging loads that
// several sources hold (the COP and the zip of one release, say).
func (s *Store) stageSources(stage string, srcs []string, res *ImportResult) ([]stagedLoad, error) {
	s.mu.RLock()
	limits, models := s.limits, s.models
	s.mu.RUnlock()
	var written int64
	byName := map[string]*stagedLoad{}
	for i, g := range groupSources(srcs) {
		dir := filepath.Join(stage, fmt.Sprintf("src%d", i))
		if err := os.Mkdir(dir, 0o755); err != nil {
			return nil, fmt.Errorf("import: %w", err)
		}
		x := &extractor{src: g.label(), dir: dir, store: s.dir, limits: limits, written: &written, origin: map[string]string{}}
		if err := g.extract(x); err != nil {
			return nil, err
		}
		loads, ignored, err := assemble(dir, g.label(), models)
		if err != nil {
			return nil, err
		}
		res.Ignored = append(res.Ignored, ignored...)
		for _, sl := range loads {
			if err := mergeInto(byName, sl); err != nil {
				return nil, err
			}
		}
	}
	var out []stagedLoad
	for _, name := range slices.Sorted(maps.Keys(byName)) {
		out = append(out, *byName[name])
	}
	return out, nil
}

func mergeInto(byName map[string]*stagedLoad, sl stagedLoad) error {
	prev, ok := byName[sl.load.Name]
	if !ok {
		byName[sl.load.Name] = &sl
		return nil
	}
	for name, f := range sl.infos {
		if g, ok := prev.infos[name]; ok && g.SHA256 != f.SHA256 {
			return fmt.Errorf("import: %s of load %s differs between %s and %s", name, sl.load.Name, prev.src, sl.src)
		}
		prev.infos[name], prev.paths[name] = f, sl.paths[name]
	}
	prev.load.Models = append(prev.load.Models, sl.load.Models...)
	finishLoad(prev)
	return nil
}

// checkConflicts refuses files that differ from a file of the same name in
// the store or in another new load. Term files are per load and exempt
// across loads.
func (s *Store) checkConflicts(existing map[string]Load, merged []stagedLoad) error {
	type where struct{ load, path, sha string }
	seen := map[string]where{}
	for _, l := range existing {
		for _, f := range l.Files {
			seen[l.Name+"/"+f.Name] = where{l.Name, filepath.Join(s.dir, l.Name, f.Name), f.SHA256}
			if !IsTermFile(f.Name) {
				seen[f.Name] = seen[l.Name+"/"+f.Name]
			}
		}
	}
	for _, sl := range merged {
		for _, name := range slices.Sorted(maps.Keys(sl.infos)) {
			f := sl.infos[name]
			key := name
			if IsTermFile(name) {
				key = sl.load.Name + "/" + name
			}
			if w, ok := seen[key]; ok && w.sha != f.SHA256 {
				return fmt.Errorf("import %s: %s differs from the file of that name in %s (load %s); remove that load's folder first to replace it",
					sl.src, name, w.path, w.load)
			}
			seen[key] = where{sl.load.Name, filepath.Join(sl.src, name), f.SHA256}
		}
	}
	return nil
}

// move is one rename of the commit.
type move struct{ from, to string }

// prepare builds each new or grown load's folder in the stage and returns
// the renames that put them in place.
func (s *Store) prepare(stage string, existing map[string]Load, merged []stagedLoad, res *ImportResult) ([]move, error) {
	out := filepath.Join(stage, "out")
	if err := os.Mkdir(out, 0o755); err != nil {
		return nil, fmt.Errorf("import: %w", err)
	}
	var moves []move
	for _, sl := range merged {
		name := sl.load.Name
		s.mu.RLock()
		berr, broken := s.broken[name]
		s.mu.RUnlock()
		if broken {
			return nil, fmt.Errorf("import %s: the store's folder %s has no readable manifest (%v); remove that folder first",
				sl.src, filepath.Join(s.dir, name), berr)
		}
		old, ok := existing[name]
		if ok && !grows(old, sl) {
			res.Unchanged = append(res.Unchanged, name)
			continue
		}
		if ok {
			sl.load.Source = old.Source
			for _, f := range old.Files {
				if _, have := sl.infos[f.Name]; !have {
					sl.infos[f.Name], sl.paths[f.Name] = f, filepath.Join(s.dir, name, f.Name)
				}
			}
			sl.load.Models = append(sl.load.Models, old.Models...)
			finishLoad(&sl)
			moves = append(moves, move{filepath.Join(s.dir, name), filepath.Join(stage, "old-"+name)})
			res.Updated = append(res.Updated, name)
		} else {
			res.Added = append(res.Added, name)
		}
		dir := filepath.Join(out, name)
		if err := writeLoadDir(dir, sl); err != nil {
			return nil, err
		}
		moves = append(moves, move{dir, filepath.Join(s.dir, name)})
	}
	return moves, nil
}

// grows reports whether sl adds files or models to old.
func grows(old Load, sl stagedLoad) bool {
	for name := range sl.infos {
		if _, ok := old.File(name); !ok {
			return true
		}
	}
	for _, m := range sl.load.Models {
		if !old.HasModel(m) {
			return true
		}
	}
	return false
}

// writeLoadDir links (or copies) the load's files into dir and writes its
// manifest, everything synced.
func writeLoadDir(dir string, sl stagedLoad) error {
	if err := os.Mkdir(dir, 0o755); err != nil {
		return fmt.Errorf("import: %w", err)
	}
	for _, f := range sl.load.Files {
		if err := linkOrCopy(sl.paths[f.Name], filepath.Join(dir, f.Name)); err != nil {
			return fmt.Errorf("import: %w", err)
		}
	}
	b, err := json.MarshalIndent(sl.load, "", "\t")
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	if err := writeSynced(filepath.Join(dir, ManifestName), append(b, '\n')); err != nil {
		return fmt.Errorf("import: %w", err)
	}
	syncDir(dir)
	return nil
}

func linkOrCopy(from, to string) error {
	if err := os.Link(from, to); err == nil {
		return nil
	}
	src, err := os.Open(from)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	_, err = io.Copy(dst, src)
	if err == nil {
		err = dst.Sync()
	}
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	return err
}

func writeSynced(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// syncDir makes renames in dir durable; errors are ignored (best effort).
func syncDir(dir string) { atomicfile.SyncDir(dir) }

// commit performs the renames, undoing the done ones if one fails.
func commit(moves []move) error {
	for i, m := range moves {
		if err := os.Rename(m.from, m.to); err != nil {
			var undo []string
			for j := i - 1; j >= 0; j-- {
				if uerr := os.Rename(moves[j].to, moves[j].from); uerr != nil {
					undo = append(undo, uerr.Error())
				}
			}
			if len(undo) > 0 {
				return fmt.Errorf("import: %w (and undoing failed: %s)", err, strings.Join(undo, "; "))
			}
			return fmt.Errorf("import: %w", err)
		}
	}
	return nil
}
