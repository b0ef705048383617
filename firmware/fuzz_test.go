package firmware_test

import (
	"bytes"
	"testing"

	"github.com/phoneflash/phoneflash/firmware"
)

// FuzzParseHeader: ParseHeader never panics, agrees with ReadHeader, and
// what it accepts re-encodes to a header that parses to the same fields.
// Seeds are in testdata/fuzz/FuzzParseHeader.
func FuzzParseHeader(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := firmware.ParseHeader(b)
		r := bytes.NewReader(b)
		h2, err2 := firmware.ReadHeader(r)
		if (err == nil) != (err2 == nil) {
			t.Fatalf("ParseHeader err %v, ReadHeader err %v", err, err2)
		}
		if err != nil {
			return
		}
		if d := diff(h, h2); d != "" {
			t.Fatalf("ParseHeader and ReadHeader differ (-parse +read):\n%s", d)
		}
		if h.Length > len(b) || int(r.Size())-r.Len() != h.Length {
			t.Fatalf("Length %d, input %d, ReadHeader consumed %d", h.Length, len(b), int(r.Size())-r.Len())
		}
		enc, err := h.Encode()
		if err != nil {
			t.Fatalf("Encode of a parsed header: %v", err)
		}
		again, err := firmware.ParseHeader(enc)
		if err != nil {
			t.Fatalf("re-parse: %v", err)
		}
		h.Length = len(enc)
		if d := diff(h, again); d != "" {
			t.Fatalf("re-encode changed the header (-want +got):\n%s", d)
		}
	})
}

// FuzzParseLoads: ParseLoads never panics, and what it accepts re-encodes to
// a body that parses to the same value. Seeds are in testdata/fuzz/FuzzParseLoads.
func FuzzParseLoads(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		lf, err := firmware.ParseLoads(b)
		if err != nil {
			return
		}
		if len(lf.Images) == 0 {
			t.Fatal("accepted a body without images")
		}
		again, err := firmware.ParseLoads(lf.Encode())
		if err != nil {
			t.Fatalf("re-parse: %v", err)
		}
		if d := diff(lf, again); d != "" {
			t.Fatalf("re-encode changed the body (-want +got):\n%s", d)
		}
	})
}
