package fwgen

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// modTime is the fixed time stamp of every archive entry (deterministic output).
var modTime = time.Date(2014, time.June, 1, 12, 0, 0, 0, time.UTC)

// COPContents lists the files of l's COP, in tar order: copstart.sh,
// load307.txt, load369.txt, then the firmware files.
func COPContents(l Load, scale float64) ([]File, error) {
	files := []File{CopStart(l)}
	for _, dt := range l.Models {
		files = append(files, LoadTxt(l, dt))
	}
	fw, err := Files(l, scale)
	if err != nil {
		return nil, err
	}
	return append(files, fw...), nil
}

// TarGz returns a gzip'd tar of files, regular entries with mode 0644.
func TarGz(files []File) ([]byte, error) {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	if err != nil {
		return nil, err
	}
	tw := tar.NewWriter(zw)
	for _, f := range files {
		hdr := &tar.Header{Name: f.Name, Mode: 0o644, Size: int64(len(f.Data)), ModTime: modTime,
			Typeflag: tar.TypeReg, Uname: "root", Gname: "root", Format: tar.FormatUSTAR}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, fmt.Errorf("fwgen: tar %s: %w", f.Name, err)
		}
		if _, err := tw.Write(f.Data); err != nil {
			return nil, fmt.Errorf("fwgen: tar %s: %w", f.Name, err)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("fwgen: tar: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("fwgen: gzip: %w", err)
	}
	return buf.Bytes(), nil
}

// Zip returns a zip of files (deflated).
func Zip(files []File) ([]byte, error) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range files {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: f.Name, Method: zip.Deflate, Modified: modTime})
		if err != nil {
			return nil, fmt.Errorf("fwgen: zip %s: %w", f.Name, err)
		}
		if _, err := w.Write(f.Data); err != nil {
			return nil, fmt.Errorf("fwgen: zip %s: %w", f.Name, err)
		}
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("fwgen: zip: %w", err)
	}
	return buf.Bytes(), nil
}

// TarGzBytes is l's COP payload: what a strip tool writes as .tar.gz.
func TarGzBytes(l Load, scale float64) ([]byte, error) {
	files, err := COPContents(l, scale)
	if err != nil {
		return nil, err
	}
	return TarGz(files)
}

// COPBytes is l's .cop.sgn: a signed header naming the COP, then the gzip'd tar.
func COPBytes(l Load, scale float64) ([]byte, error) {
	tgz, err := TarGzBytes(l, scale)
	if err != nil {
		return nil, err
	}
	return Signed(l.COPName(), tgz)
}

// ZipBytes is l's .zip: only the firmware files, as Cisco's zips hold.
func ZipBytes(l Load, scale float64) ([]byte, error) {
	files, err := Files(l, scale)
	if err != nil {
		return nil, err
	}
	return Zip(files)
}

// WriteCOP writes l's .cop.sgn into dir and returns its path.
func WriteCOP(dir string, l Load, scale float64) (string, error) {
	return write(dir, l.COPName(), func() ([]byte, error) { return COPBytes(l, scale) })
}

// WriteZip writes l's .zip into dir and returns its path.
func WriteZip(dir string, l Load, scale float64) (string, error) {
	return write(dir, l.ZipName(), func() ([]byte, error) { return ZipBytes(l, scale) })
}

// WriteTarGz writes l's .tar.gz (the COP payload) into dir and returns its path.
func WriteTarGz(dir string, l Load, scale float64) (string, error) {
	return write(dir, l.TarGzName(), func() ([]byte, error) { return TarGzBytes(l, scale) })
}

func write(dir, name string, gen func() ([]byte, error)) (string, error) {
	data, err := gen()
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return "", fmt.Errorf("fwgen: %w", err)
	}
	return path, nil
}
