package firmware

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// RenamedError is a signed file whose embedded name (tag 14) is not its own
// file name: the phone rejects it ("filename doesn't match filename in
// envelope").
type RenamedError struct {
	File     string // the name it has
	Embedded string // the name inside its header
}

func (e *RenamedError) Error() string {
	if IsTermFile(e.File) && strings.HasSuffix(e.Embedded, ".loads") {
		return fmt.Sprintf("%s is %s renamed (its signed header says %s): the phone checks that name and rejects the file; use the %s shipped with the load",
			e.File, e.Embedded, e.Embedded, e.File)
	}
	return fmt.Sprintf("%s was renamed: its signed header says %s, and the phone rejects a file whose name differs from the one inside it",
		e.File, e.Embedded)
}

// inspected is what reading one firmware file tells.
type inspected struct {
	info  FileInfo
	loads *LoadsFile // for .loads files
}

// inspectFile hashes a file and, for .loads and .sbn files, parses the
// signed header (and the .loads body) and checks the embedded name.
func inspectFile(path string) (inspected, error) {
	name := filepath.Base(path)
	f, err := os.Open(path)
	if err != nil {
		return inspected{}, err
	}
	defer f.Close()
	s1, s256 := sha1.New(), sha256.New()
	n, err := io.Copy(io.MultiWriter(s1, s256), f)
	if err != nil {
		return inspected{}, fmt.Errorf("%s: %w", name, err)
	}
	sum1 := hex.EncodeToString(s1.Sum(nil))
	in := inspected{info: FileInfo{Name: name, Size: n, SHA256: hex.EncodeToString(s256.Sum(nil)), SHA1: sum1, Known: KnownGood(name, sum1)}}
	if !strings.HasSuffix(name, ".loads") && !strings.HasSuffix(name, ".sbn") {
		return in, nil
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return inspected{}, err
	}
	h, err := ReadHeader(f)
	if err != nil {
		return inspected{}, fmt.Errorf("%s: %w", name, err)
	}
	in.info.EmbeddedName = h.FileName
	if h.FileName != name {
		return inspected{}, &RenamedError{File: name, Embedded: h.FileName}
	}
	if strings.HasSuffix(name, ".loads") {
		body, err := io.ReadAll(io.LimitReader(f, maxLoadsBody+1))
		if err != nil {
			return inspected{}, fmt.Errorf("%s: %w", name, err)
		}
		lf, err := ParseLoads(body)
		if err != nil {
			return inspected{}, fmt.Errorf("%s: %w", name, err)
		}
		in.loads = &lf
	}
	return in, nil
}

// stagedLoad is a load assembled from one source, its files still staged.
type stagedLoad struct {
	load  Load
	src   string              // the source as the user named it
	paths map[string]string   // file name → path
	infos map[string]FileInfo // file name → what it is
}

// assemble groups the files one source yielded (flat in dir) into loads,
// knowing the models of table. It returns the loads and the names of files
// no load uses.
func assemble(dir, src string, table Models) ([]stagedLoad, []string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil, err
	}
	files := map[string]inspected{}
	var names []string
	for _, e := range ents {
		in, err := inspectFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, nil, fmt.Errorf("import %s: %w", src, err)
		}
		files[e.Name()] = in
		names = append(names, e.Name())
	}
	used := map[string]bool{}
	var out []stagedLoad
	for _, name := range names {
		in := files[name]
		if in.loads == nil || IsTermFile(name) {
			continue
		}
		sl, err := namedLoad(dir, src, in, files, table)
		if err != nil {
			return nil, nil, err
		}
		for f := range sl.paths {
			used[f] = true
		}
		out = append(out, sl)
	}
	if len(out) == 0 {
		return nil, nil, fmt.Errorf("import %s: holds no load's own .loads file (such as SIP42.9-4-2SR3-1S.loads): not firmware of a SEP-XML 79xx phone", src)
	}
	if err := attachTermFiles(dir, src, names, files, out, used, table); err != nil {
		return nil, nil, err
	}
	attachLoadTxt(dir, names, out, used, table)
	var ignored []string
	for _, name := range names {
		if !used[name] {
			ignored = append(ignored, name)
		}
	}
	for i := range out {
		out[i].infos = map[string]FileInfo{}
		for name := range out[i].paths {
			out[i].infos[name] = files[name].info
		}
		finishLoad(&out[i])
	}
	return out, ignored, nil
}

// namedLoad makes a load from its own .loads file; every image must be there.
func namedLoad(dir, src string, in inspected, files map[string]inspected, table Models) (stagedLoad, error) {
	ln, err := ParseLoadName(in.info.Name)
	if err != nil {
		return stagedLoad{}, fmt.Errorf("import %s: %w", src, err)
	}
	if !table.HasFamily(ln.Family) {
		return stagedLoad{}, fmt.Errorf("import %s: %s is for phone family %s, which no model of the table runs (families %s); add a row for its models to models.json in the state directory first",
			src, ln.Name, ln.Family, strings.Join(table.Families(), ", "))
	}
	sl := stagedLoad{
		load:  Load{Name: ln.Name, Protocol: ln.Protocol, Version: ln.Version, Release: ln.Version.String(), Images: in.loads.Images, Source: filepath.Base(src)},
		src:   src,
		paths: map[string]string{in.info.Name: filepath.Join(dir, in.info.Name)},
	}
	for _, img := range in.loads.Images {
		if _, ok := files[img]; !ok {
			return stagedLoad{}, fmt.Errorf("import %s: %s lists %s, which is not in %s", src, in.info.Name, img, src)
		}
		sl.paths[img] = filepath.Join(dir, img)
	}
	return sl, nil
}

// attachTermFiles gives each termNN.default.loads to the load whose own
// .loads lists the same images (one package holds a pair's term files:
// term42 and term62 with SIP42.*). A term file of a model the table does
// not know goes with its load too, so that a row added later finds it; one
// that matches no load is ignored.
func attachTermFiles(dir, src string, names []string, files map[string]inspected, loads []stagedLoad, used map[string]bool, table Models) error {
	for _, name := range names {
		in := files[name]
		if in.loads == nil || !IsTermFile(name) {
			continue
		}
		models := modelsOf(table, func(m Model) bool { return m.TermFile() == name })
		found := false
		for i := range loads {
			if slices.Equal(loads[i].load.Images, in.loads.Images) {
				loads[i].paths[name] = filepath.Join(dir, name)
				loads[i].load.Models = append(loads[i].load.Models, models...)
				used[name], found = true, true
			}
		}
		if !found && len(models) > 0 {
			return fmt.Errorf("import %s: %s lists %s, which no load's own .loads in %s lists: import it together with its load",
				src, name, strings.Join(in.loads.Images, ", "), src)
		}
	}
	return nil
}

// attachLoadTxt reads loadNNN.txt files ("307 SIP11.9-4-2SR1-1S ...") and
// adds the device type's model to the load they name.
func attachLoadTxt(dir string, names []string, loads []stagedLoad, used map[string]bool, table Models) {
	for _, name := range names {
		if !isLoadTxt(name) {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || len(b) > 4096 {
			continue
		}
		dt, load := parseLoadTxt(name, string(b))
		models := modelsOf(table, func(m Model) bool { return m.DeviceType == dt })
		for i := range loads {
			if len(models) > 0 && loads[i].load.Name == load {
				loads[i].load.Models = append(loads[i].load.Models, models...)
				used[name] = true
			}
		}
	}
}

// modelsOf names the models of the table that match.
func modelsOf(table Models, match func(Model) bool) []ModelName {
	var out []ModelName
	for _, m := range table {
		if match(m) {
			out = append(out, m.Name)
		}
	}
	return out
}

// parseLoadTxt finds the device type and load name in a loadNNN.txt; the
// device type defaults to the NNN of the file name.
func parseLoadTxt(name, body string) (deviceType int, load string) {
	deviceType, _ = strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(name, "load"), ".txt"))
	fields := strings.Fields(body)
	for i, f := range fields[:min(2, len(fields))] {
		if n, err := strconv.Atoi(f); err == nil && i == 0 {
			deviceType = n
			continue
		}
		if _, err := ParseLoadName(f); err == nil {
			load = strings.TrimSuffix(f, ".loads")
		}
	}
	return deviceType, load
}

// finishLoad sorts models and lists files: .loads, term files, images.
func finishLoad(sl *stagedLoad) {
	l := &sl.load
	slices.Sort(l.Models)
	l.Models = slices.Compact(l.Models)
	l.Files = []FileInfo{sl.infos[l.LoadsFile()]}
	for _, name := range slices.Sorted(maps.Keys(sl.infos)) {
		if IsTermFile(name) {
			l.Files = append(l.Files, sl.infos[name])
		}
	}
	for _, img := range l.Images {
		l.Files = append(l.Files, sl.infos[img])
	}
}
