package firmware

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"unicode/utf8"
)

// Tags of the Cisco signed-file header (domain notes §3.1; certutils sgnfile).
const (
	tagVersion            = 1
	tagHeaderLength       = 2
	tagSignerInfo         = 3 // container: signer name, serial, issuer
	tagSignerName         = 4
	tagSerial             = 5
	tagIssuer             = 6
	tagSignatureInfo      = 7 // container: hash algorithm, signature-algorithm info
	tagHashAlgorithm      = 8
	tagSignatureAlgorithm = 9 // container: signature algorithm, modulus
	tagSigAlg             = 10
	tagModulus            = 11
	tagSignature          = 12
	tagPadding            = 13 // one byte, no length
	tagFileName           = 14
	tagTimestamp          = 15
)

// HashAlgorithm is the digest named by tag 8.
type HashAlgorithm uint8

// Hash algorithms known to Cisco's signing tools.
const (
	HashSHA1   HashAlgorithm = 1
	HashSHA256 HashAlgorithm = 2
	HashSHA384 HashAlgorithm = 3
	HashSHA512 HashAlgorithm = 4
)

func (h HashAlgorithm) String() string {
	switch h {
	case HashSHA1:
		return "SHA-1"
	case HashSHA256:
		return "SHA-256"
	case HashSHA384:
		return "SHA-384"
	case HashSHA512:
		return "SHA-512"
	}
	return fmt.Sprintf("hash(%d)", uint8(h))
}

// minHeaderLen is the smallest header: the version and length TLVs.
const minHeaderLen = 10

// Header is a parsed signed-file header. The payload of the file starts at
// Length bytes from the beginning.
type Header struct {
	Version            [2]byte // major, minor (tag 1)
	Length             int     // header length (tag 2): the payload starts here
	SignerName         string  // tag 4, without its NUL
	Serial             []byte  // tag 5
	Issuer             string  // tag 6, without its NUL
	Hash               HashAlgorithm
	SignatureAlgorithm uint8  // tag 10
	Modulus            uint8  // tag 11: 2 means 2048 bits
	Signature          []byte // tag 12
	FileName           string // tag 14, without its NUL: the phone checks it
	Timestamp          uint32 // tag 15, Unix seconds; 0 when absent
}

// ErrNotSigned means a file does not start with a signed-file header.
var ErrNotSigned = errors.New("not a signed file (no version/length TLV at the start)")

// ErrTruncated means the data ends inside the header.
var ErrTruncated = errors.New("truncated")

// HeaderError is a garbled or truncated header, at byte Offset.
type HeaderError struct {
	Offset int
	Msg    string
	Err    error // ErrNotSigned, ErrTruncated or nil
}

func (e *HeaderError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("signed header: byte %d: %s: %v", e.Offset, e.Msg, e.Err)
	}
	return fmt.Sprintf("signed header: byte %d: %s", e.Offset, e.Msg)
}

func (e *HeaderError) Unwrap() error { return e.Err }

// ReadHeader reads exactly one header from r, leaving r at the payload. It
// reads the length from tag 2 and never searches for the payload.
func ReadHeader(r io.Reader) (Header, error) {
	first := make([]byte, minHeaderLen)
	n, err := io.ReadFull(r, first)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && err != io.EOF {
		return Header{}, fmt.Errorf("signed header: %w", err)
	}
	hl, err := headerLength(first[:n])
	if err != nil {
		return Header{}, err
	}
	buf := make([]byte, hl)
	copy(buf, first)
	if n, err := io.ReadFull(r, buf[minHeaderLen:]); err != nil {
		if !errors.Is(err, io.ErrUnexpectedEOF) && err != io.EOF {
			return Header{}, fmt.Errorf("signed header: %w", err)
		}
		return Header{}, &HeaderError{minHeaderLen + n, fmt.Sprintf("header length (tag 2) is %d", hl), ErrTruncated}
	}
	return ParseHeader(buf)
}

// headerLength checks the version and length TLVs and returns tag 2's value.
// A short b whose bytes so far look like a header is truncated; one whose
// bytes do not is not signed.
func headerLength(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, &HeaderError{0, "empty file", ErrNotSigned}
	}
	want := []byte{tagVersion, 0, 2}
	for i, w := range want {
		if i < len(b) && b[i] != w {
			return 0, &HeaderError{0, fmt.Sprintf("starts with % x, want tag 1 length 2", b[:min(3, len(b))]), ErrNotSigned}
		}
	}
	want = []byte{tagHeaderLength, 0, 2}
	for i, w := range want {
		if 5+i < len(b) && b[5+i] != w {
			return 0, &HeaderError{5, fmt.Sprintf("found % x, want tag 2 (header length) length 2", b[5:min(8, len(b))]), ErrNotSigned}
		}
	}
	if len(b) < minHeaderLen {
		return 0, &HeaderError{len(b), fmt.Sprintf("file is %d bytes, shorter than the smallest header", len(b)), ErrTruncated}
	}
	hl := int(binary.BigEndian.Uint16(b[8:10]))
	if hl < minHeaderLen {
		return 0, &HeaderError{8, fmt.Sprintf("header length (tag 2) %d is shorter than the version and length tags", hl), nil}
	}
	return hl, nil
}

// ParseHeader parses the header at the start of b; b may hold more (the
// payload), which is ignored.
func ParseHeader(b []byte) (Header, error) {
	hl, err := headerLength(b)
	if err != nil {
		return Header{}, err
	}
	if len(b) < hl {
		return Header{}, &HeaderError{len(b), fmt.Sprintf("header length (tag 2) is %d", hl), ErrTruncated}
	}
	h := Header{Version: [2]byte{b[3], b[4]}, Length: hl}
	seen := map[byte]bool{}
	var ends []int // ends of open containers
	i := minHeaderLen
	for i < hl {
		for len(ends) > 0 && ends[len(ends)-1] == i {
			ends = ends[:len(ends)-1]
		}
		tag := b[i]
		if tag == tagPadding {
			i++
			continue
		}
		if i+3 > hl {
			return Header{}, &HeaderError{i, fmt.Sprintf("tag %d has no room for its length before the header ends at %d", tag, hl), nil}
		}
		n := int(binary.BigEndian.Uint16(b[i+1 : i+3]))
		start := i + 3
		if start+n > hl {
			return Header{}, &HeaderError{i, fmt.Sprintf("tag %d length %d runs past the header end at %d", tag, n, hl), nil}
		}
		if len(ends) > 0 && start+n > ends[len(ends)-1] {
			return Header{}, &HeaderError{i, fmt.Sprintf("tag %d length %d runs past the end of its container at %d", tag, n, ends[len(ends)-1]), nil}
		}
		if seen[tag] {
			return Header{}, &HeaderError{i, fmt.Sprintf("tag %d appears twice", tag), nil}
		}
		seen[tag] = true
		switch tag {
		case tagSignerInfo, tagSignatureInfo, tagSignatureAlgorithm:
			ends = append(ends, start+n)
			i = start
			continue
		}
		if err := h.setField(tag, b[start:start+n], i); err != nil {
			return Header{}, err
		}
		i = start + n
	}
	if !seen[tagHashAlgorithm] {
		return Header{}, &HeaderError{hl, "no hash algorithm (tag 8)", nil}
	}
	if !seen[tagFileName] {
		return Header{}, &HeaderError{hl, "no embedded file name (tag 14)", nil}
	}
	return h, nil
}

// setField stores one leaf TLV value found at offset off.
func (h *Header) setField(tag byte, v []byte, off int) error {
	byteField := func(dst *uint8) error {
		if len(v) != 1 {
			return &HeaderError{off, fmt.Sprintf("tag %d has length %d, want 1", tag, len(v)), nil}
		}
		*dst = v[0]
		return nil
	}
	switch tag {
	case tagSignerName:
		h.SignerName = string(bytes.TrimRight(v, "\x00"))
	case tagSerial:
		h.Serial = nilIfEmpty(v)
	case tagIssuer:
		h.Issuer = string(bytes.TrimRight(v, "\x00"))
	case tagHashAlgorithm:
		var a uint8
		if err := byteField(&a); err != nil {
			return err
		}
		h.Hash = HashAlgorithm(a)
		if h.Hash < HashSHA1 || h.Hash > HashSHA512 {
			return &HeaderError{off, fmt.Sprintf("unknown hash algorithm %d (tag 8)", a), nil}
		}
	case tagSigAlg:
		return byteField(&h.SignatureAlgorithm)
	case tagModulus:
		return byteField(&h.Modulus)
	case tagSignature:
		h.Signature = nilIfEmpty(v)
	case tagFileName:
		name, err := fileNameValue(v, off)
		if err != nil {
			return err
		}
		h.FileName = name
	case tagTimestamp:
		if len(v) != 4 {
			return &HeaderError{off, fmt.Sprintf("timestamp (tag 15) has length %d, want 4", len(v)), nil}
		}
		h.Timestamp = binary.BigEndian.Uint32(v)
	case tagVersion, tagHeaderLength:
		return &HeaderError{off, fmt.Sprintf("tag %d repeated inside the header", tag), nil}
	default:
		return &HeaderError{off, fmt.Sprintf("unknown tag %d", tag), nil}
	}
	return nil
}

// fileNameValue checks tag 14: a NUL-terminated printable name without path
// separators.
func fileNameValue(v []byte, off int) (string, error) {
	if len(v) == 0 || v[len(v)-1] != 0 {
		return "", &HeaderError{off, "embedded file name (tag 14) is not NUL-terminated", nil}
	}
	name := string(v[:len(v)-1])
	if !validFileName(name) {
		return "", &HeaderError{off, fmt.Sprintf("embedded file name (tag 14) %q is not a plain file name", name), nil}
	}
	return name, nil
}

// validFileName reports whether name is a plain, printable file name.
func validFileName(name string) bool {
	if name == "" || name == "." || name == ".." || len(name) > 255 || !utf8.ValidString(name) {
		return false
	}
	for _, r := range name {
		if r < 0x21 || r == 0x7f || r == '/' || r == '\\' {
			return false
		}
	}
	return true
}

// Encode returns the header bytes for h, computing Length (tags 1 to 14 in
// Cisco's order, then tag 15 when Timestamp is set, padded with tag 13 to a
// multiple of 4). The Length field of h is ignored.
func (h Header) Encode() ([]byte, error) {
	if !validFileName(h.FileName) {
		return nil, fmt.Errorf("signed header: file name %q is not a plain file name", h.FileName)
	}
	tlv := func(tag byte, v []byte) []byte {
		return append([]byte{tag, byte(len(v) >> 8), byte(len(v))}, v...)
	}
	cstr := func(s string) []byte { return append([]byte(s), 0) }
	signer := slices.Concat(tlv(tagSignerName, cstr(h.SignerName)), tlv(tagSerial, h.Serial), tlv(tagIssuer, cstr(h.Issuer)))
	algInfo := slices.Concat(tlv(tagSigAlg, []byte{h.SignatureAlgorithm}), tlv(tagModulus, []byte{h.Modulus}))
	sigInfo := slices.Concat(tlv(tagHashAlgorithm, []byte{byte(h.Hash)}), containerTLV(tagSignatureAlgorithm, algInfo))
	var out []byte
	out = append(out, tagVersion, 0, 2, h.Version[0], h.Version[1])
	out = append(out, tagHeaderLength, 0, 2, 0, 0)
	out = append(out, containerTLV(tagSignerInfo, signer)...)
	out = append(out, containerTLV(tagSignatureInfo, sigInfo)...)
	out = append(out, tlv(tagSignature, h.Signature)...)
	out = append(out, tlv(tagFileName, cstr(h.FileName))...)
	if h.Timestamp != 0 {
		out = binary.BigEndian.AppendUint32(append(out, tagTimestamp, 0, 4), h.Timestamp)
	}
	for len(out)%4 != 0 {
		out = append(out, tagPadding)
	}
	if len(out) > 0xffff {
		return nil, fmt.Errorf("signed header: %d bytes is longer than tag 2 can say", len(out))
	}
	binary.BigEndian.PutUint16(out[8:10], uint16(len(out)))
	return out, nil
}

// containerTLV is a nested tag: its length covers the children that follow.
func containerTLV(tag byte, children []byte) []byte {
	return append([]byte{tag, byte(len(children) >> 8), byte(len(children))}, children...)
}

// nilIfEmpty copies v; an empty value is nil.
func nilIfEmpty(v []byte) []byte {
	if len(v) == 0 {
		return nil
	}
	return bytes.Clone(v)
}
