package fwgen

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/phoneflash/phoneflash/firmware"
)

// File is one generated file.
type File struct {
	Name string
	Data []byte
}

// CNUMagic starts the payload of every `.sbn` image.
const CNUMagic = "CNU_File_Archive_3.0"

// Header is the signed header of the synthetic file name, in Cisco's
// layout: a placeholder signer (as in Cisco's own files), serial
// 1234567890abcdef, SHA-1, a 256-byte placeholder signature and name as the
// embedded file name. Its Length is left to Encode.
func Header(name string) firmware.Header {
	return firmware.Header{
		Version:    [2]byte{1, 1},
		SignerName: "CN=someSigner;OU=someOrgUnit;O=someOrg",
		Serial:     []byte{0x12, 0x34, 0x56, 0x78, 0x90, 0xab, 0xcd, 0xef},
		Issuer:     "CN=someCA;OU=someOrgUnit;O=someOrg",
		Hash:       firmware.HashSHA1,
		Modulus:    2,
		Signature:  filler("signature:"+name, 256),
		FileName:   name,
	}
}

// Signed returns name's signed form: Header(name) followed by payload.
func Signed(name string, payload []byte) ([]byte, error) {
	h := Header(name)
	hdr, err := h.Encode()
	if err != nil {
		return nil, fmt.Errorf("fwgen: sign %s: %w", name, err)
	}
	return append(hdr, payload...), nil
}

// LoadsBody is the CRLF text of l's `.loads` files, laid out as Cisco's:
// comment lines, #HARDWARE_COMP_1 1, a blank line and the five image names,
// the last two with a trailing space. For the SIP load the files come to
// 660 bytes with their 408-byte headers, as Cisco's do.
func LoadsBody(l Load) []byte {
	var b strings.Builder
	b.WriteString("# synthetic load written by phoneflash fwgen: not Cisco firmware\r\n")
	b.WriteString("# for " + cmp.Or(l.For, "7906 and 7911") + ".\r\n")
	b.WriteString("# RELEASE load version " + l.Release + "\r\n")
	b.WriteString("#HARDWARE_COMP_1 1\r\n\r\n")
	for i, img := range l.Images {
		b.WriteString(img.Name)
		if i < len(l.Trailing) && l.Trailing[i] {
			b.WriteString(" ")
		}
		b.WriteString("\r\n")
	}
	return []byte(b.String())
}

// SBN returns a signed `.sbn` image of exactly size bytes (at least the
// header and the archive preamble): the CNU_File_Archive_3.0 magic, repeated,
// an empty directory, then deterministic filler derived from name.
func SBN(name string, size int64) ([]byte, error) {
	pre := make([]byte, 0x38)
	copy(pre, CNUMagic)
	copy(pre[0x18:], CNUMagic)
	binary.BigEndian.PutUint32(pre[0x30:], 0) // entry count
	binary.BigEndian.PutUint32(pre[0x34:], 0) // directory size
	data, err := Signed(name, pre)
	if err != nil {
		return nil, err
	}
	if rest := size - int64(len(data)); rest > 0 {
		data = append(data, filler("sbn:"+name, int(rest))...)
	}
	return data, nil
}

// Files returns l's firmware files at scale: the load's `.loads`, both term
// files (same body, their own embedded names) and the five images.
func Files(l Load, scale float64) ([]File, error) {
	body := LoadsBody(l)
	var out []File
	for _, name := range append([]string{l.LoadsFile()}, l.TermFiles()...) {
		data, err := Signed(name, body)
		if err != nil {
			return nil, err
		}
		out = append(out, File{name, data})
	}
	for i, img := range l.Images {
		data, err := SBN(img.Name, l.ImageSize(i, scale))
		if err != nil {
			return nil, err
		}
		out = append(out, File{img.Name, data})
	}
	return out, nil
}

// LoadTxt is the loadNNN.txt of a COP: device type, load name, description.
func LoadTxt(l Load, deviceType int) File {
	model := map[int]string{307: "7911G", 369: "7906G"}[deviceType]
	if i := slices.Index(l.Models, deviceType); i >= 0 && i < len(l.ModelNames) {
		model = l.ModelNames[i]
	}
	proto := strings.TrimRight(strings.SplitN(l.Name, ".", 2)[0], "0123456789")
	return File{
		Name: fmt.Sprintf("load%d.txt", deviceType),
		Data: fmt.Appendf(nil, "%d %s Cisco IP Phone %s %s\n", deviceType, l.Name, model, proto),
	}
}

// CopStart is the install script a COP carries (a harmless placeholder).
func CopStart(l Load) File {
	return File{"copstart.sh", fmt.Appendf(nil, "#!/bin/sh\n# synthetic COP install script for %s (phoneflash fwgen)\nexit 0\n", l.Name)}
}

// WriteLoad writes l's firmware files (the .loads, both term files and five
// images) into dir, which must exist.
func WriteLoad(dir string, l Load, scale float64) error {
	files, err := Files(l, scale)
	if err != nil {
		return err
	}
	return WriteFiles(dir, files)
}

// WriteFiles writes files into dir.
func WriteFiles(dir string, files []File) error {
	for _, f := range files {
		if err := os.WriteFile(filepath.Join(dir, f.Name), f.Data, 0o644); err != nil {
			return fmt.Errorf("fwgen: %w", err)
		}
	}
	return nil
}

// filler returns n deterministic pseudo-random bytes seeded by seed.
func filler(seed string, n int) []byte {
	h := fnv.New64a()
	h.Write([]byte(seed))
	x := h.Sum64() | 1
	out := make([]byte, n)
	for i := 0; i < n; i += 8 {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		var w [8]byte
		binary.LittleEndian.PutUint64(w[:], x)
		copy(out[i:], w[:])
	}
	return out
}
