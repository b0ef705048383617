package firmware

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Problem is one thing Verify found wrong.
type Problem struct {
	Load string // the load's folder
	File string // "" for the whole load
	Err  error
}

func (p Problem) String() string {
	if p.File == "" {
		return fmt.Sprintf("%s: %v", p.Load, p.Err)
	}
	return fmt.Sprintf("%s/%s: %v", p.Load, p.File, p.Err)
}

// VerifyReport is the outcome of Verify.
type VerifyReport struct {
	Loads    int       // loads checked
	Problems []Problem // empty when the store is good
	Known    []string  // "load/file" of files matching the known-good table
}

// Verify re-reads every file of every load: each signed file's embedded name
// must equal its own name, each file must match its manifest entry, every
// image each .loads names (the load's own and its term files) must be
// present, and the term files must list the load's own images.
func (s *Store) Verify() VerifyReport {
	if err := s.Reload(); err != nil {
		return VerifyReport{Problems: []Problem{{Load: s.dir, Err: err}}}
	}
	s.mu.RLock()
	var rep VerifyReport
	for name, err := range s.broken {
		rep.Problems = append(rep.Problems, Problem{Load: name, Err: fmt.Errorf("manifest unreadable: %w", err)})
	}
	s.mu.RUnlock()
	for _, l := range s.Loads() {
		rep.Loads++
		s.verifyLoad(l, &rep)
	}
	slices.SortStableFunc(rep.Problems, func(a, b Problem) int { return strings.Compare(a.Load, b.Load) })
	return rep
}

func (s *Store) verifyLoad(l Load, rep *VerifyReport) {
	dir := filepath.Join(s.dir, l.Name)
	add := func(file string, err error) { rep.Problems = append(rep.Problems, Problem{l.Name, file, err}) }
	present := map[string]bool{}
	lists := map[string][]string{} // .loads file → images it names
	for _, f := range l.Files {
		in, err := inspectFile(filepath.Join(dir, f.Name))
		if err != nil {
			var re *RenamedError
			if errors.As(err, &re) {
				add(f.Name, re)
			} else {
				add(f.Name, unwrapName(err, f.Name))
			}
			present[f.Name] = !errors.Is(err, os.ErrNotExist)
			continue
		}
		present[f.Name] = true
		if in.info.Size != f.Size || in.info.SHA256 != f.SHA256 {
			add(f.Name, fmt.Errorf("changed since import: %d bytes, SHA-256 %.12s…; the manifest says %d bytes, %.12s…", in.info.Size, in.info.SHA256, f.Size, f.SHA256))
		}
		if in.info.Known {
			rep.Known = append(rep.Known, l.Name+"/"+f.Name)
		}
		if in.loads != nil {
			lists[f.Name] = in.loads.Images
		}
	}
	for _, lf := range slices.Sorted(maps.Keys(lists)) {
		for _, img := range lists[lf] {
			if !present[img] {
				add(lf, fmt.Errorf("names image %s, which is missing", img))
			}
		}
		if lf != l.LoadsFile() && !slices.Equal(lists[lf], l.Images) {
			add(lf, fmt.Errorf("lists %s, not the images of %s (%s): the phone would install another load",
				strings.Join(lists[lf], ", "), l.LoadsFile(), strings.Join(l.Images, ", ")))
		}
	}
	s.extraFiles(l, dir, add)
}

// extraFiles reports files in the load's folder that its manifest does not list.
func (s *Store) extraFiles(l Load, dir string, add func(string, error)) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		add("", err)
		return
	}
	for _, e := range ents {
		if _, ok := l.File(e.Name()); !ok && e.Name() != ManifestName {
			add(e.Name(), errors.New("is not in the manifest: import files, do not copy them into the store"))
		}
	}
}

// unwrapName drops a leading "name: " that inspectFile adds, since Problem
// names the file already.
func unwrapName(err error, name string) error {
	if msg, ok := strings.CutPrefix(err.Error(), name+": "); ok {
		return errors.New(msg)
	}
	return err
}
