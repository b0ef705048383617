package firmware_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/phoneflash/phoneflash/firmware"
	"github.com/phoneflash/phoneflash/firmware/fwgen"
)

func signed(t testing.TB, name string, payload []byte) []byte {
	t.Helper()
	b, err := fwgen.Signed(name, payload)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestHeaderCiscoLengths checks the generator against the header lengths of
// the real files (notes §3.1/§3.2): 408 for SIP11.9-4-2SR1-1S.loads and
// term06.default.loads.
func TestHeaderCiscoLengths(t *testing.T) {
	for _, name := range []string{"SIP11.9-4-2SR1-1S.loads", "term06.default.loads", "term11.default.loads"} {
		h, err := firmware.ParseHeader(signed(t, name, []byte("x")))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if h.Length != 408 {
			t.Errorf("%s: header length %d, want 408", name, h.Length)
		}
	}
}

func TestParseHeader(t *testing.T) {
	good := signed(t, "term06.default.loads", []byte("payload"))
	want := fwgen.Header("term06.default.loads")
	want.Length = 408
	got, err := firmware.ParseHeader(good)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Signature) != 256 {
		t.Errorf("signature is %d bytes, want 256", len(got.Signature))
	}
	if d := diff(want, got); d != "" {
		t.Errorf("ParseHeader (-want +got):\n%s", d)
	}
	if p := good[got.Length:]; string(p) != "payload" {
		t.Errorf("payload %q", p)
	}
}

// mutate returns a copy of b with f applied.
func mutate(b []byte, f func([]byte) []byte) []byte { return f(bytes.Clone(b)) }

func TestParseHeaderErrors(t *testing.T) {
	good := signed(t, "cnu11.9-4-2ES9.sbn", []byte{0x1f, 0x8b, 1, 2})
	// Offsets in the generated header: signer info container at 10, tag 4 at 13,
	// hash algorithm (tag 8) value at 10+3+91+3+3 = 110, file name tag 14 after
	// the 259-byte signature TLV at 111+3+4+4 = 122 → 381.
	const hashVal, nameTag = 110, 381
	tests := []struct {
		name      string
		in        []byte
		want      string // substring of the error
		truncated bool
		notSigned bool
	}{
		{"empty", nil, "empty file", false, true},
		{"gzip not signed", []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 4}, "want tag 1 length 2", false, true},
		{"text", []byte("#HARDWARE_COMP_1 1\r\n"), "want tag 1 length 2", false, true},
		{"short", good[:7], "shorter than the smallest header", true, false},
		{"cut in header", good[:200], "header length (tag 2) is 404", true, false},
		{"no length tag", mutate(good, func(b []byte) []byte { b[5] = 3; return b }), "want tag 2", false, true},
		{"length too small", mutate(good, func(b []byte) []byte { b[8], b[9] = 0, 4; return b }), "shorter than the version", false, false},
		{"length cuts a tag", mutate(good, func(b []byte) []byte { b[8], b[9] = 0, 50; return b }), "runs past the header end at 50", false, false},
		{"unknown tag", mutate(good, func(b []byte) []byte { b[nameTag] = 99; return b }), "unknown tag 99", false, false},
		{"bad hash", mutate(good, func(b []byte) []byte { b[hashVal] = 9; return b }), "unknown hash algorithm 9", false, false},
		{"name not NUL-terminated", mutate(good, func(b []byte) []byte { b[nameTag+3+18] = 'x'; return b }), "not NUL-terminated", false, false},
		{"name with slash", mutate(good, func(b []byte) []byte { b[nameTag+3+2] = '/'; return b }), "not a plain file name", false, false},
		{"child past container", mutate(good, func(b []byte) []byte { b[11], b[12] = 0, 20; return b }), "past the end of its container at 33", false, false},
		{"tag twice", mutate(good, func(b []byte) []byte { b[nameTag] = 12; return b }), "tag 12 appears twice", false, false},
		{"no file name", mutate(good, func(b []byte) []byte {
			for i := nameTag; i < 404; i++ {
				b[i] = 13 // padding
			}
			return b
		}), "no embedded file name (tag 14)", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := firmware.ParseHeader(tt.in)
			if err == nil {
				t.Fatalf("ParseHeader succeeded, want error containing %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
			if got := errors.Is(err, firmware.ErrTruncated); got != tt.truncated {
				t.Errorf("errors.Is(ErrTruncated) = %v, want %v (%v)", got, tt.truncated, err)
			}
			if got := errors.Is(err, firmware.ErrNotSigned); got != tt.notSigned {
				t.Errorf("errors.Is(ErrNotSigned) = %v, want %v (%v)", got, tt.notSigned, err)
			}
			var he *firmware.HeaderError
			if !errors.As(err, &he) {
				t.Errorf("error %T is not a *HeaderError", err)
			}
			// ReadHeader gives the same verdict.
			if _, err := firmware.ReadHeader(bytes.NewReader(tt.in)); err == nil {
				t.Errorf("ReadHeader succeeded")
			}
		})
	}
}

// TestReadHeaderLeavesPayload checks that ReadHeader uses tag 2, even when
// the payload's gzip magic appears inside the header (in the signature).
func TestReadHeaderLeavesPayload(t *testing.T) {
	h := firmware.Header{Version: [2]byte{1, 1}, Hash: firmware.HashSHA1, FileName: "x.cop.sgn",
		Signature: bytes.Repeat([]byte{0x1f, 0x8b, 0x08}, 50)}
	hdr, err := h.Encode()
	if err != nil {
		t.Fatal(err)
	}
	r := bytes.NewReader(append(hdr, "PAYLOAD"...))
	got, err := firmware.ReadHeader(r)
	if err != nil {
		t.Fatal(err)
	}
	rest := make([]byte, 100)
	n, _ := r.Read(rest)
	if string(rest[:n]) != "PAYLOAD" || got.FileName != "x.cop.sgn" || got.Length != len(hdr) {
		t.Errorf("payload %q, name %q, length %d (want %d)", rest[:n], got.FileName, got.Length, len(hdr))
	}
}

func TestHeaderEncodeRoundTrip(t *testing.T) {
	h := firmware.Header{Version: [2]byte{1, 2}, SignerName: "a", Issuer: "b", Serial: []byte{1},
		Hash: firmware.HashSHA256, SignatureAlgorithm: 0, Modulus: 1, Signature: []byte{9, 9},
		FileName: "Jar11sip.8-2-2ES4.sbn", Timestamp: 1400000000}
	b, err := h.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if len(b)%4 != 0 {
		t.Errorf("length %d not padded to 4", len(b))
	}
	got, err := firmware.ParseHeader(b)
	if err != nil {
		t.Fatal(err)
	}
	h.Length = len(b)
	if d := diff(h, got); d != "" {
		t.Errorf("round trip (-want +got):\n%s", d)
	}
	if _, err := (firmware.Header{FileName: "../x"}).Encode(); err == nil {
		t.Errorf("Encode accepted a path as file name")
	}
}
