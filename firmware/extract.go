package firmware

import (
	"archive/tar"
	"archive/zip"
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// Limits bounds what one import may expand to.
type Limits struct {
	MaxBytes   int64 // all entries of one import together, as declared and as written
	MaxEntries int   // entries per archive
}

// DefaultLimits fit a few 7906/7911 loads (8.4 MB each) with a wide margin.
func DefaultLimits() Limits { return Limits{MaxBytes: 256 << 20, MaxEntries: 4096} }

// isLoadTxt matches the loadNNN.txt files of a COP.
func isLoadTxt(name string) bool {
	nnn, ok := strings.CutPrefix(name, "load")
	nnn, ok2 := strings.CutSuffix(nnn, ".txt")
	_, num := number(nnn)
	return ok && ok2 && num
}

// wanted reports whether an entry's base name is a firmware file to collect.
func wanted(base string) bool {
	return strings.HasSuffix(base, ".loads") || strings.HasSuffix(base, ".sbn") || isLoadTxt(base)
}

// extractor writes the firmware files of one source, flat, into dir.
type extractor struct {
	src     string // the source as the user named it, for messages
	dir     string // staging directory of this source
	store   string // the store's directory, never imported from
	limits  Limits
	written *int64 // bytes written by the whole import
	origin  map[string]string
}

func (x *extractor) errorf(format string, args ...any) error {
	return fmt.Errorf("import %s: %s", x.src, fmt.Sprintf(format, args...))
}

// checkName rejects entry names that would leave the directory they are
// unpacked into: absolute paths, drive letters, backslashes and "..".
func (x *extractor) checkName(name string) error {
	switch {
	case name == "":
		return x.errorf("an entry has an empty name")
	case strings.HasPrefix(name, "/"):
		return x.errorf("entry %q has an absolute path", name)
	case strings.Contains(name, "\\"):
		return x.errorf("entry %q has a backslash in its path", name)
	case len(name) >= 2 && name[1] == ':':
		return x.errorf("entry %q has a drive letter", name)
	}
	for _, el := range strings.Split(name, "/") {
		if el == ".." {
			return x.errorf("entry %q climbs out of the archive with ../", name)
		}
	}
	return nil
}

// add writes one regular entry (if it is a firmware file) from r, declared
// to be size bytes.
func (x *extractor) add(name string, size int64, r io.Reader) error {
	base := path.Base(name)
	if !wanted(base) {
		return nil
	}
	if !validFileName(base) {
		return x.errorf("entry %q is not a plain file name", name)
	}
	if prev, ok := x.origin[base]; ok {
		return x.errorf("duplicate name: %s appears twice (%s and %s)", base, prev, name)
	}
	x.origin[base] = name
	f, err := os.OpenFile(filepath.Join(x.dir, base), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("import %s: %w", x.src, err)
	}
	room := x.limits.MaxBytes - *x.written
	n, err := io.Copy(f, io.LimitReader(r, room+1))
	*x.written += n
	if err == nil && n > room {
		err = x.errorf("expands past the size limit of %d bytes (at %s)", x.limits.MaxBytes, name)
	} else if err == nil && size >= 0 && n != size {
		err = x.errorf("entry %s is %d bytes, its header says %d", name, n, size)
	} else if err != nil {
		err = x.readErr(name, err)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// readErr explains a read error in an archive.
func (x *extractor) readErr(name string, err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("import %s: %s: truncated (the archive ends early): %w", x.src, name, err)
	}
	if errors.Is(err, gzip.ErrChecksum) || errors.Is(err, gzip.ErrHeader) {
		return fmt.Errorf("import %s: %s: corrupt gzip stream: %w", x.src, name, err)
	}
	return fmt.Errorf("import %s: %s: %w", x.src, name, err)
}

// countEntry counts one more archive entry against the limit.
func (x *extractor) countEntry(count *int) error {
	*count++
	if *count > x.limits.MaxEntries {
		return x.errorf("has more than %d entries", x.limits.MaxEntries)
	}
	return nil
}

// declare counts an entry's declared size against the limit before reading it.
func (x *extractor) declare(total *int64, size int64, name string) error {
	if size < 0 {
		return x.errorf("entry %s has a negative size", name)
	}
	*total += size
	if *total > x.limits.MaxBytes {
		return x.errorf("expands past the size limit of %d bytes (at %s)", x.limits.MaxBytes, name)
	}
	return nil
}

// tarEntries extracts a tar stream.
func (x *extractor) tarEntries(r io.Reader) error {
	tr := tar.NewReader(r)
	var total int64
	var count int
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			if count == 0 {
				return x.errorf("the archive is empty")
			}
			return nil
		}
		if err != nil {
			return x.readErr(fmt.Sprintf("after %d entries", count), err)
		}
		if err := x.countEntry(&count); err != nil {
			return err
		}
		if err := x.checkName(hdr.Name); err != nil {
			return err
		}
		switch hdr.Typeflag {
		case tar.TypeReg: // the reader reports old-style TypeRegA entries as TypeReg
		case tar.TypeDir, tar.TypeXGlobalHeader: // git archive writes a pax global header
			continue
		case tar.TypeSymlink:
			return x.errorf("entry %q is a symlink (to %q); firmware archives hold plain files", hdr.Name, hdr.Linkname)
		case tar.TypeLink:
			return x.errorf("entry %q is a hard link (to %q); firmware archives hold plain files", hdr.Name, hdr.Linkname)
		case tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
			return x.errorf("entry %q is a device or fifo; firmware archives hold plain files", hdr.Name)
		default:
			return x.errorf("entry %q has unsupported tar type %q", hdr.Name, hdr.Typeflag)
		}
		if err := x.declare(&total, hdr.Size, hdr.Name); err != nil {
			return err
		}
		if err := x.add(hdr.Name, hdr.Size, tr); err != nil {
			return err
		}
	}
}

// gzipTar extracts a gzip'd tar stream.
func (x *extractor) gzipTar(r io.Reader) error {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return x.readErr("gzip header", err)
	}
	zr.Multistream(false)
	if err := x.tarEntries(zr); err != nil {
		return err
	}
	// Read to the end so that a truncated or corrupt gzip trailer is noticed.
	if _, err := io.Copy(io.Discard, zr); err != nil {
		return x.readErr("end of the gzip stream", err)
	}
	return nil
}

// zipEntries extracts a zip file.
func (x *extractor) zipEntries(f *os.File, size int64) error {
	zr, err := zip.NewReader(f, size)
	if err != nil {
		return x.errorf("not a readable zip: %v", err)
	}
	var total int64
	var count int
	for _, zf := range zr.File {
		if err := x.countEntry(&count); err != nil {
			return err
		}
		if err := x.checkName(zf.Name); err != nil {
			return err
		}
		mode := zf.Mode()
		switch {
		case mode.IsDir():
			continue
		case mode&fs.ModeSymlink != 0:
			return x.errorf("entry %q is a symlink; firmware archives hold plain files", zf.Name)
		case !mode.IsRegular():
			return x.errorf("entry %q is a device or special file (%v)", zf.Name, mode)
		}
		if zf.UncompressedSize64 > uint64(x.limits.MaxBytes) {
			return x.errorf("expands past the size limit of %d bytes (at %s)", x.limits.MaxBytes, zf.Name)
		}
		if err := x.declare(&total, int64(zf.UncompressedSize64), zf.Name); err != nil {
			return err
		}
		if err := x.zipEntry(zf); err != nil {
			return err
		}
	}
	if count == 0 {
		return x.errorf("the archive is empty")
	}
	return nil
}

func (x *extractor) zipEntry(zf *zip.File) error {
	rc, err := zf.Open()
	if err != nil {
		return x.readErr(zf.Name, err)
	}
	defer rc.Close()
	return x.add(zf.Name, int64(zf.UncompressedSize64), rc)
}

// folder collects firmware files from a directory tree. Symlinks and special
// files with firmware names are refused; other files are ignored.
func (x *extractor) folder(root string) error {
	if overlaps(root, x.store) {
		return x.errorf("overlaps the firmware store %s; import from a folder outside it", x.store)
	}
	count := 0
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("import %s: %w", x.src, err)
		}
		if d.IsDir() || !wanted(d.Name()) {
			return nil
		}
		rel, _ := filepath.Rel(root, p)
		if !d.Type().IsRegular() {
			return x.errorf("%s is a symlink or special file; copy the real file there", rel)
		}
		info, err := d.Info()
		if err != nil {
			return fmt.Errorf("import %s: %w", x.src, err)
		}
		if err := x.countEntry(&count); err != nil {
			return err
		}
		total := *x.written
		if err := x.declare(&total, info.Size(), rel); err != nil {
			return err
		}
		f, err := os.Open(p)
		if err != nil {
			return fmt.Errorf("import %s: %w", x.src, err)
		}
		defer f.Close()
		return x.add(filepath.ToSlash(rel), info.Size(), f)
	})
}

// kind names what a source is, from its first bytes.
type kind int

const (
	kindUnknown kind = iota
	kindSigned
	kindGzip
	kindZip
	kindTar
)

func sniff(b []byte) kind {
	switch {
	case len(b) >= 3 && b[0] == tagVersion && b[1] == 0 && b[2] == 2:
		return kindSigned
	case len(b) >= 2 && b[0] == 0x1f && b[1] == 0x8b:
		return kindGzip
	case bytes.HasPrefix(b, []byte("PK\x03\x04")) || bytes.HasPrefix(b, []byte("PK\x05\x06")):
		return kindZip
	case len(b) >= 262 && string(b[257:262]) == "ustar":
		return kindTar
	}
	return kindUnknown
}

// extract collects the firmware files of src (a .cop.sgn, .zip, .tar.gz,
// .tar, a loose signed file or a folder) into dir.
func (x *extractor) extract() error {
	st, err := os.Stat(x.src)
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	if st.IsDir() {
		return x.folder(x.src)
	}
	f, err := os.Open(x.src)
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 4096)
	head, _ := br.Peek(512)
	switch sniff(head) {
	case kindZip:
		return x.zipEntries(f, st.Size())
	case kindGzip:
		return x.gzipTar(br)
	case kindTar:
		return x.tarEntries(br)
	case kindSigned:
		return x.signed(br, st.Size())
	}
	return x.errorf("not a COP (.cop.sgn), zip, tar.gz or folder (it starts with % x)", head[:min(8, len(head))])
}

// signed handles a file that starts with a signed header: a COP, whose
// payload is a gzip'd tar found at the header length (never by searching for
// the gzip magic).
func (x *extractor) signed(br *bufio.Reader, size int64) error {
	h, err := ReadHeader(br)
	if err != nil {
		return fmt.Errorf("import %s: %w", x.src, err)
	}
	if isFirmwareName(h.FileName) {
		return x.loose(x.src, size)
	}
	payload, _ := br.Peek(2)
	if len(payload) < 2 || payload[0] != 0x1f || payload[1] != 0x8b {
		return x.errorf("the payload after the %d-byte signed header (embedded name %s) is not gzip", h.Length, h.FileName)
	}
	return x.gzipTar(br)
}

func isFirmwareName(name string) bool {
	return strings.HasSuffix(name, ".loads") || strings.HasSuffix(name, ".sbn")
}

// loose copies one loose signed file (a .loads or .sbn given by itself).
func (x *extractor) loose(p string, size int64) error {
	f, err := os.Open(p)
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	defer f.Close()
	total := *x.written
	if err := x.declare(&total, size, p); err != nil {
		return err
	}
	return x.add(filepath.Base(p), size, f)
}

// isLooseFile reports whether p is a single signed .loads or .sbn file
// (several of them given together form one source).
func isLooseFile(p string) bool {
	st, err := os.Stat(p)
	if err != nil || !st.Mode().IsRegular() {
		return false
	}
	f, err := os.Open(p)
	if err != nil {
		return false
	}
	defer f.Close()
	h, err := ReadHeader(bufio.NewReader(f))
	return err == nil && isFirmwareName(h.FileName)
}

// overlaps reports whether one of the directories a and b holds the other.
func overlaps(a, b string) bool {
	a, errA := filepath.Abs(a)
	b, errB := filepath.Abs(b)
	if errA != nil || errB != nil {
		return false
	}
	if ra, err := filepath.EvalSymlinks(a); err == nil {
		a = ra
	}
	if rb, err := filepath.EvalSymlinks(b); err == nil {
		b = rb
	}
	within := func(x, y string) bool { return x == y || strings.HasPrefix(x, y+string(filepath.Separator)) }
	return within(a, b) || within(b, a)
}
