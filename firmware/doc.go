// Package firmware is phoneflash's vocabulary of Cisco phones and their
// firmware: the model table (one row of data per phone model: names, load
// family, term file, device type, DHCP option 60 string, password limit,
// stall timers, quirks) and the one parser of DHCP option 60; the signed-file
// header, .loads lists, COP/zip/tar import, a store with manifests; what a
// phone runs (Current) and upgrade plans. It uses the standard library only.
//
// Formats (domain notes §3): every .loads, .sbn and .cop.sgn starts with a
// TLV header (tag, 2-byte big-endian length, value; tag 13 is one byte of
// padding). Tag 2 holds the header length, where the payload starts; tag 14
// the file name the phone checks. A .loads payload is CRLF text naming five
// .sbn images; a COP payload is a gzip'd tar.
//
// The store is a directory with one folder per load, named after the load
// (SIP11.9-4-2SR1-1S/), holding the load's .loads, its termNN.default.loads
// files, its images and manifest.json (each file's size, SHA-256, SHA-1 and
// embedded name; the load's protocol, version and models). Imports are staged
// in .staging/ and put in place by renames, so a failed import leaves the
// store as it was.
package firmware
