package firmware_test

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/phoneflash/phoneflash/firmware"
	"github.com/phoneflash/phoneflash/firmware/fwgen"
)

// entry is one archive member for hostile archives.
type entry struct {
	name     string
	typ      byte // tar type; 0 = regular
	link     string
	data     []byte
	size     int64 // declared size when >= 0 and data is nil
	zipMode  fs.FileMode
	skipData bool
}

func tarGz(t *testing.T, entries []entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, e := range entries {
		typ := e.typ
		if typ == 0 {
			typ = tar.TypeReg
		}
		size := int64(len(e.data))
		if e.skipData {
			size = e.size
		}
		hdr := &tar.Header{Name: e.name, Typeflag: typ, Linkname: e.link, Mode: 0o644, Size: size}
		if typ != tar.TypeReg {
			hdr.Size = 0
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if e.skipData {
			break // a header that promises more than follows
		}
		if _, err := tw.Write(e.data); err != nil {
			t.Fatal(err)
		}
	}
	tw.Flush()
	if !entries[len(entries)-1].skipData {
		tw.Close()
	}
	zw.Close()
	return buf.Bytes()
}

func zipOf(t *testing.T, entries []entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		fh := &zip.FileHeader{Name: e.name, Method: zip.Deflate}
		if e.zipMode != 0 {
			fh.SetMode(e.zipMode)
		}
		w, err := zw.CreateHeader(fh)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(e.data)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// sipEntries are the SIP load's firmware files as archive entries.
func sipEntries(t *testing.T) []entry {
	t.Helper()
	files, err := fwgen.Files(fwgen.SIP942(), testScale)
	if err != nil {
		t.Fatal(err)
	}
	var out []entry
	for _, f := range files {
		out = append(out, entry{name: f.Name, data: f.Data})
	}
	return out
}

func with(base []entry, extra ...entry) []entry {
	return append(append([]entry{}, base...), extra...)
}

// TestImportHostile feeds each hostile input to a store that already holds
// the SCCP load, and checks the error, the store and the files around it.
func TestImportHostile(t *testing.T) {
	sip := sipEntries(t)
	cop, err := fwgen.COPBytes(fwgen.SIP942(), testScale)
	if err != nil {
		t.Fatal(err)
	}
	renamed := with(sip[3:], entry{name: "SIP11.9-4-2SR1-1S.loads", data: sip[0].data}, entry{name: "term06.default.loads", data: sip[0].data})
	missing := with(sip[:7])
	signedNotGzip, _ := fwgen.Signed("x.cop.sgn", []byte("PK\x03\x04 not gzip"))
	copHdr, err := firmware.ParseHeader(cop)
	if err != nil {
		t.Fatal(err)
	}
	tgz := cop[copHdr.Length:]
	tests := []struct {
		name  string
		file  string // source file name
		data  []byte
		limit int64 // MaxBytes; 0 = default
		want  string
	}{
		{"dot-dot in tar", "a.tar.gz", tarGz(t, with(sip, entry{name: "../../evil.sbn", data: []byte("x")})), 0, `entry "../../evil.sbn" climbs out of the archive with ../`},
		{"dot-dot inside path", "a.tar.gz", tarGz(t, with(sip, entry{name: "fw/../../evil.sbn", data: []byte("x")})), 0, "climbs out of the archive"},
		{"absolute path in tar", "a.tar.gz", tarGz(t, with(sip, entry{name: "/tmp/evil.sbn", data: []byte("x")})), 0, `entry "/tmp/evil.sbn" has an absolute path`},
		{"symlink in tar", "a.tar.gz", tarGz(t, with(sip, entry{name: "cnu11.sbn", typ: tar.TypeSymlink, link: "/etc/passwd"})), 0, `entry "cnu11.sbn" is a symlink (to "/etc/passwd")`},
		{"hard link in tar", "a.tar.gz", tarGz(t, with(sip, entry{name: "x.sbn", typ: tar.TypeLink, link: "/etc/shadow"})), 0, `entry "x.sbn" is a hard link (to "/etc/shadow")`},
		{"char device in tar", "a.tar.gz", tarGz(t, with(sip, entry{name: "null.sbn", typ: tar.TypeChar})), 0, `entry "null.sbn" is a device or fifo`},
		{"block device in tar", "a.tar.gz", tarGz(t, with(sip, entry{name: "sda", typ: tar.TypeBlock})), 0, `entry "sda" is a device or fifo`},
		{"fifo in tar", "a.tar.gz", tarGz(t, with(sip, entry{name: "p", typ: tar.TypeFifo})), 0, "is a device or fifo"},
		{"dot-dot in zip", "a.zip", zipOf(t, with(sip, entry{name: "../evil.loads", data: []byte("x")})), 0, `entry "../evil.loads" climbs out`},
		{"absolute in zip", "a.zip", zipOf(t, with(sip, entry{name: "/evil.loads", data: []byte("x")})), 0, "has an absolute path"},
		{"backslash in zip", "a.zip", zipOf(t, with(sip, entry{name: "..\\evil.sbn", data: []byte("x")})), 0, "has a backslash"},
		{"symlink in zip", "a.zip", zipOf(t, with(sip, entry{name: "link.sbn", data: []byte("/etc/passwd"), zipMode: fs.ModeSymlink | 0o777})), 0, `entry "link.sbn" is a symlink`},
		{"device in zip", "a.zip", zipOf(t, with(sip, entry{name: "dev.sbn", zipMode: fs.ModeDevice | 0o644})), 0, `entry "dev.sbn" is a device or special file`},
		{"expands past limit", "a.cop.sgn", cop, 100_000, "expands past the size limit of 100000 bytes"},
		{"declares a huge entry", "a.tar.gz", tarGz(t, with(sip[:1], entry{name: "big.sbn", size: 1 << 40, skipData: true})), 0, "expands past the size limit of 268435456 bytes (at big.sbn)"},
		{"too many entries", "a.tar.gz", tarGz(t, manyDirs(150)), 1 << 30, "has more than 100 entries"},
		{"zip past limit", "a.zip", zipOf(t, sip), 50_000, "expands past the size limit of 50000 bytes"},
		{"duplicate names", "a.tar.gz", tarGz(t, with(sip, entry{name: "again/cnu11.9-4-2ES9.sbn", data: []byte("x")})), 0, "duplicate name: cnu11.9-4-2ES9.sbn appears twice (cnu11.9-4-2ES9.sbn and again/cnu11.9-4-2ES9.sbn)"},
		{"duplicate names in zip", "a.zip", zipOf(t, with(sip, entry{name: "SIP11.9-4-2SR1-1S.loads", data: sip[0].data})), 0, "duplicate name: SIP11.9-4-2SR1-1S.loads appears twice"},
		{"truncated gzip", "a.cop.sgn", cop[:len(cop)/2], 0, "truncated (the archive ends early)"},
		{"truncated gzip trailer", "a.tar.gz", tgz[:len(tgz)-4], 0, "end of the gzip stream: truncated (the archive ends early)"},
		{"corrupt gzip", "a.tar.gz", append(bytes.Clone(tgz[:len(tgz)-8]), 1, 2, 3, 4, 5, 6, 7, 8), 0, "corrupt gzip stream"},
		{"zip that is not firmware", "photos.zip", zipOf(t, []entry{{name: "readme.txt", data: []byte("hi")}, {name: "cat.jpg", data: []byte{0xff, 0xd8}}}), 0, "holds no load's own .loads file (such as SIP42.9-4-2SR3-1S.loads): not firmware of a SEP-XML 79xx phone"},
		{"empty zip", "e.zip", zipOf(t, nil), 0, "the archive is empty"},
		{"not an archive", "a.txt", []byte("hello, world"), 0, "not a COP (.cop.sgn), zip, tar.gz or folder (it starts with 68 65 6c 6c 6f 2c 20 77)"},
		{"COP payload not gzip", "x.cop.sgn", signedNotGzip, 0, "the payload after the 396-byte signed header (embedded name x.cop.sgn) is not gzip"},
		{"COP header truncated", "x.cop.sgn", cop[:300], 0, "signed header: byte 300: header length (tag 2) is"},
		{"renamed term file", "a.tar.gz", tarGz(t, renamed), 0, "term06.default.loads is SIP11.9-4-2SR1-1S.loads renamed (its signed header says SIP11.9-4-2SR1-1S.loads): the phone checks that name and rejects the file"},
		{"image missing", "a.zip", zipOf(t, missing), 0, "SIP11.9-4-2SR1-1S.loads lists cvm11sip.9-4-2ES9.sbn, which is not in"},
		{"garbled sbn header", "a.tar.gz", tarGz(t, with(sip[:7], entry{name: "cvm11sip.9-4-2ES9.sbn", data: []byte("CNU_File_Archive_3.0 no header")})), 0, "cvm11sip.9-4-2ES9.sbn: signed header: byte 0: starts with 43 4e 55, want tag 1 length 2"},
		{"term file without load", "a.tar.gz", tarGz(t, sip[1:]), 0, "holds no load's own .loads file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			storeDir := filepath.Join(root, "store")
			os.Mkdir(storeDir, 0o755)
			s, err := firmware.OpenStore(storeDir)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.Import(source(t, "cop", fwgen.SCCP852())); err != nil {
				t.Fatal(err)
			}
			if tt.limit > 0 {
				s.SetLimits(firmware.Limits{MaxBytes: tt.limit, MaxEntries: 100})
			}
			in := filepath.Join(root, "in", tt.file)
			os.Mkdir(filepath.Dir(in), 0o755)
			if err := os.WriteFile(in, tt.data, 0o644); err != nil {
				t.Fatal(err)
			}
			before := snapshot(t, root)
			_, err = s.Import(in)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Import error:\n  %v\nwant one containing\n  %s", err, tt.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error has more than one line: %q", err)
			}
			if d := diff(before, snapshot(t, root)); d != "" {
				t.Errorf("the import changed files:\n%s", d)
			}
			for _, p := range []string{"/tmp/evil.sbn", "/evil.loads", filepath.Join(root, "evil.sbn")} {
				if _, err := os.Lstat(p); err == nil {
					t.Errorf("%s exists", p)
				}
			}
			if got := len(s.Loads()); got != 1 {
				t.Errorf("store has %d loads, want 1", got)
			}
		})
	}
}

// TestImportHostileFolder: a folder with a symlink to a file outside.
func TestImportHostileFolder(t *testing.T) {
	s := storeWith(t, fwgen.SCCP852())
	dir := source(t, "folder", fwgen.SIP942())
	if err := os.Symlink("/etc/passwd", filepath.Join(dir, "extra.sbn")); err != nil {
		t.Fatal(err)
	}
	importRefused(t, s, "extra.sbn is a symlink or special file", dir)
}

// TestImportAtomicAcrossSources: the second source fails, so the first
// source's load is not added either.
func TestImportAtomicAcrossSources(t *testing.T) {
	s := storeWith(t, fwgen.SCCP852())
	bad := filepath.Join(t.TempDir(), "bad.zip")
	if err := os.WriteFile(bad, []byte("PK\x03\x04garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	importRefused(t, s, "not a readable zip", source(t, "cop", fwgen.SIP942()), bad)
	if len(s.Loads()) != 1 {
		t.Errorf("loads %v", s.Loads())
	}
}

func manyDirs(n int) []entry {
	var out []entry
	for i := range n {
		out = append(out, entry{name: fmt.Sprintf("d%d/", i), typ: tar.TypeDir})
	}
	return out
}

// TestImportPAXGlobalHeader: tars made by git archive start with a pax
// global header; it is not an entry.
func TestImportPAXGlobalHeader(t *testing.T) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeXGlobalHeader, Name: "pax_global_header",
		PAXRecords: map[string]string{"comment": "0123abcd"}, Format: tar.FormatPAX}); err != nil {
		t.Fatal(err)
	}
	for _, e := range sipEntries(t) {
		if err := tw.WriteHeader(&tar.Header{Name: "fw/" + e.name, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(e.data))}); err != nil {
			t.Fatal(err)
		}
		tw.Write(e.data)
	}
	tw.Close()
	zw.Close()
	src := filepath.Join(t.TempDir(), "git.tar.gz")
	if err := os.WriteFile(src, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := newStore(t).Import(src)
	if err != nil || len(res.Added) != 1 {
		t.Fatalf("Import = %+v, %v", res, err)
	}
}
