package fwgen_test

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/phoneflash/phoneflash/firmware"
	"github.com/phoneflash/phoneflash/firmware/fwgen"
)

// TestRealSizes generates the SIP load at scale 1: the five images total
// 8,395,271 bytes, each at its real size, and the .loads body parses to them.
func TestRealSizes(t *testing.T) {
	sip := fwgen.SIP942()
	if got := sip.TotalImageBytes(1); got != 8_395_271 {
		t.Errorf("SIP total %d, want 8395271", got)
	}
	files, err := fwgen.Files(sip, 1)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for i, f := range files {
		names = append(names, f.Name)
		h, err := firmware.ParseHeader(f.Data)
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		if h.FileName != f.Name {
			t.Errorf("%s: embedded name %q", f.Name, h.FileName)
		}
		if i < 3 {
			if len(f.Data) != 660 || h.Length != 408 {
				t.Errorf("%s: %d bytes, header %d; Cisco's are 660 and 408", f.Name, len(f.Data), h.Length)
			}
			lf, err := firmware.ParseLoads(f.Data[h.Length:])
			if err != nil {
				t.Fatalf("%s: %v", f.Name, err)
			}
			if d := diff(sip.ImageNames(), lf.Images); d != "" {
				t.Errorf("%s images (-want +got):\n%s", f.Name, d)
			}
			if lf.Hardware[1] != 1 {
				t.Errorf("%s: hardware %v", f.Name, lf.Hardware)
			}
			continue
		}
		img := sip.Images[i-3]
		if int64(len(f.Data)) != img.Size {
			t.Errorf("%s: %d bytes, want %d", f.Name, len(f.Data), img.Size)
		}
		if !bytes.HasPrefix(f.Data[h.Length:], []byte(fwgen.CNUMagic)) {
			t.Errorf("%s: payload does not start with the CNU magic", f.Name)
		}
	}
	want := []string{"SIP11.9-4-2SR1-1S.loads", "term06.default.loads", "term11.default.loads",
		"jar11sip.9-4-2ES9.sbn", "cnu11.9-4-2ES9.sbn", "apps11.9-4-2ES9.sbn", "dsp11.9-4-2ES9.sbn", "cvm11sip.9-4-2ES9.sbn"}
	if d := diff(want, names); d != "" {
		t.Errorf("files (-want +got):\n%s", d)
	}
}

func TestLoadsBodyLayout(t *testing.T) {
	body := string(fwgen.LoadsBody(fwgen.SCCP852()))
	want := "# synthetic load written by phoneflash fwgen: not Cisco firmware\r\n# for 7906 and 7911.\r\n" +
		"# RELEASE load version 8-5-2TH1-9\r\n#HARDWARE_COMP_1 1\r\n\r\n" +
		"jar11sccp.8-5-2TH1-9.sbn\r\ncnu11.8-5-2TH1-9.sbn\r\napps11.8-5-2TH1-9.sbn\r\n" +
		"dsp11.8-5-2TH1-9.sbn \r\ncvm11sccp.8-5-2TH1-9.sbn \r\n"
	if d := diff(want, body); d != "" {
		t.Errorf("body (-want +got):\n%s", d)
	}
}

func sum(b []byte) [32]byte { return sha256.Sum256(b) }

// TestContainers checks the COP (header naming the COP, then exactly the
// .tar.gz bytes), its tar listing, the zip listing and determinism.
func TestContainers(t *testing.T) {
	const scale = 1.0 / 64
	for _, l := range fwgen.Loads() {
		t.Run(l.Name, func(t *testing.T) {
			dir := t.TempDir()
			cop, err := fwgen.WriteCOP(dir, l, scale)
			if err != nil {
				t.Fatal(err)
			}
			tgz, err := fwgen.WriteTarGz(dir, l, scale)
			if err != nil {
				t.Fatal(err)
			}
			zp, err := fwgen.WriteZip(dir, l, scale)
			if err != nil {
				t.Fatal(err)
			}
			copData, _ := os.ReadFile(cop)
			tgzData, _ := os.ReadFile(tgz)
			h, err := firmware.ParseHeader(copData)
			if err != nil {
				t.Fatal(err)
			}
			if h.FileName != filepath.Base(cop) || !bytes.Equal(copData[h.Length:], tgzData) {
				t.Errorf("COP header names %q; payload equals .tar.gz: %v", h.FileName, bytes.Equal(copData[h.Length:], tgzData))
			}
			wantTar := append([]string{"copstart.sh", "load307.txt", "load369.txt", l.LoadsFile()}, l.TermFiles()...)
			wantTar = append(wantTar, l.ImageNames()...)
			if d := diff(wantTar, tarNames(t, tgzData)); d != "" {
				t.Errorf("tar (-want +got):\n%s", d)
			}
			if d := diff(wantTar[3:], zipNames(t, zp)); d != "" {
				t.Errorf("zip (-want +got):\n%s", d)
			}
			again, err := fwgen.COPBytes(l, scale)
			if err != nil {
				t.Fatal(err)
			}
			if sum(again) != sum(copData) {
				t.Errorf("COP output is not deterministic")
			}
		})
	}
}

func tarNames(t *testing.T, tgz []byte) []string {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(tgz))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	var names []string
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return names
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, hdr.Name)
	}
}

func zipNames(t *testing.T, path string) []string {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
	}
	return names
}

func TestWriteLoad(t *testing.T) {
	dir := t.TempDir()
	l := fwgen.SCCP852()
	if err := fwgen.WriteLoad(dir, l, 0.01); err != nil {
		t.Fatal(err)
	}
	for i, img := range l.Images {
		st, err := os.Stat(filepath.Join(dir, img.Name))
		if err != nil {
			t.Fatal(err)
		}
		if st.Size() != l.ImageSize(i, 0.01) {
			t.Errorf("%s: %d bytes, want %d", img.Name, st.Size(), l.ImageSize(i, 0.01))
		}
	}
	if l.ImageSize(0, 1e-9) != 512 {
		t.Errorf("tiny scale size %d, want the 512-byte minimum", l.ImageSize(0, 1e-9))
	}
}
