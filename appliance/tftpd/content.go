package tftpd

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path"
	"strings"
	"unicode/utf8"
)

// ErrNotFound is what a Resolver returns for a name it does not serve. The
// client gets ERROR code 1 "File not found", which phones expect when they
// probe optional files.
var ErrNotFound = errors.New("file not found")

// Request is one read request, as handed to the Resolver.
type Request struct {
	Client netip.AddrPort // the phone's address and TID
	Local  netip.Addr     // the address the RRQ reached, i.e. which bench port
	Name   string         // the cleaned file name (see CleanName)
}

// Content is what a Resolver serves: Size bytes readable at offsets from
// Data. Several transfers may read the same Data at once (an *os.File of the
// firmware store, or a byte slice), so nothing is copied per client. Close,
// when set, is called once the transfer ends.
type Content struct {
	Data  io.ReaderAt
	Size  int64
	Close func() error
}

// Resolver maps a request to the content to send. It returns ErrNotFound
// (possibly wrapped) for names it does not serve; any other error is reported
// to the client as a generic failure, never with its text.
type Resolver func(ctx context.Context, req Request) (Content, error)

// Bytes serves a byte slice, e.g. a generated config file.
func Bytes(b []byte) Content {
	return Content{Data: bytes.NewReader(b), Size: int64(len(b))}
}

// File serves an open file, which is closed after the transfer. Non-regular
// files (directories, devices) are refused with ErrNotFound.
func File(f *os.File) (Content, error) {
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return Content{}, fmt.Errorf("tftpd: stat %s: %w", f.Name(), err)
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return Content{}, ErrNotFound
	}
	return Content{Data: f, Size: fi.Size(), Close: f.Close}, nil
}

// ErrBadName is returned by CleanName for names that are never served.
var ErrBadName = errors.New("file name not allowed")

// CleanName turns the file name of an RRQ into the name resolvers see: one
// leading "/" is stripped; names containing "..", a backslash, a NUL or a
// control character or invalid UTF-8, empty names, absolute paths after that strip and names
// that are not canonical (such as "a//b" or "a/./b") are refused with
// ErrBadName. Case is kept: names are exact.
func CleanName(raw string) (string, error) {
	name := strings.TrimPrefix(raw, "/")
	if name == "" || strings.HasPrefix(name, "/") || strings.ContainsAny(name, "\\\x00") || !utf8.ValidString(name) {
		return "", ErrBadName
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f {
			return "", ErrBadName
		}
	}
	for _, elem := range strings.Split(name, "/") {
		if elem == ".." {
			return "", ErrBadName
		}
	}
	if path.Clean(name) != name {
		return "", ErrBadName
	}
	return name, nil
}
