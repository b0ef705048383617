package firmware_test

import (
	"bytes"
	"encoding/hex"
	"os"
	"regexp"
	"testing"

	"github.com/phoneflash/phoneflash/firmware"
	"github.com/phoneflash/phoneflash/firmware/fwgen"
)

// handHeader reads testdata/term06-header.hex: a header written byte by
// byte after the domain notes (section 3.1), not by Header.Encode, so that
// a mistake made the same way in Encode and in ParseHeader shows.
func handHeader(t *testing.T) []byte {
	t.Helper()
	text, err := os.ReadFile("testdata/term06-header.hex")
	if err != nil {
		t.Fatal(err)
	}
	digits := regexp.MustCompile(`(?m)#.*$|\s`).ReplaceAllString(string(text), "")
	b, err := hex.DecodeString(digits)
	if err != nil {
		t.Fatalf("term06-header.hex: %v", err)
	}
	return b
}

// placeholderSignature is the fixture's tag 12: bytes 00 to ff.
func placeholderSignature() []byte {
	sig := make([]byte, 256)
	for i := range sig {
		sig[i] = byte(i)
	}
	return sig
}

// handFields are the fields the fixture spells out: fwgen's placeholder
// signer, with the fixture's own placeholder signature. The fixture, not
// fwgen, is the reference: a wrong value in either shows.
func handFields() firmware.Header {
	h := fwgen.Header("term06.default.loads")
	h.Signature = placeholderSignature()
	return h
}

func TestHandMadeHeaderParses(t *testing.T) {
	hdr := handHeader(t)
	if len(hdr) != 408 {
		t.Fatalf("the fixture is %d bytes, want the 408 of Cisco's term06.default.loads", len(hdr))
	}
	payload := []byte("# RELEASE load version 9-4-2ES9\r\n#HARDWARE_COMP_1 1\r\n")
	file := append(bytes.Clone(hdr), payload...)
	want := handFields()
	want.Length = 408
	got, err := firmware.ParseHeader(file)
	if err != nil {
		t.Fatal(err)
	}
	if d := diff(want, got); d != "" {
		t.Errorf("ParseHeader of the hand-made header (-want +got):\n%s", d)
	}
	r := bytes.NewReader(file)
	if got, err := firmware.ReadHeader(r); err != nil || got.Length != 408 {
		t.Fatalf("ReadHeader: %+v, %v", got, err)
	}
	rest := make([]byte, len(payload)+1)
	if n, _ := r.Read(rest); !bytes.Equal(rest[:n], payload) {
		t.Errorf("ReadHeader left %q, want the payload", rest[:n])
	}
}

// TestEncodeMatchesHandMadeHeader: Encode of the same fields gives the
// same bytes (tag order, single-byte padding at the end, NUL-terminated
// strings, the length in tag 2), and so does fwgen's signer apart from
// its own placeholder signature.
func TestEncodeMatchesHandMadeHeader(t *testing.T) {
	want := handHeader(t)
	got, err := handFields().Encode()
	if err != nil {
		t.Fatal(err)
	}
	if at := firstDifference(want, got); at >= 0 {
		t.Errorf("Encode differs from the hand-made header at byte %d (of %d and %d):\nwant % x\ngot  % x",
			at, len(want), len(got), window(want, at), window(got, at))
	}
	gen := signed(t, "term06.default.loads", nil)
	copy(gen[122+3:], placeholderSignature()) // fwgen signs with its own filler
	if at := firstDifference(want, gen); at >= 0 {
		t.Errorf("fwgen.Signed differs from the hand-made header at byte %d:\nwant % x\ngot  % x", at, window(want, at), window(gen, at))
	}
}

func firstDifference(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	if len(a) != len(b) {
		return min(len(a), len(b))
	}
	return -1
}

// window is up to 8 bytes of b from at.
func window(b []byte, at int) []byte { return b[min(at, len(b)):min(at+8, len(b))] }
