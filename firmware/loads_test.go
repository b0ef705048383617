package firmware_test

import (
	"strings"
	"testing"

	"github.com/phoneflash/phoneflash/firmware"
)

func TestParseLoads(t *testing.T) {
	sip := "# RELEASE load version 9-4-2ES9\r\n#HARDWARE_COMP_1 1\r\n\r\n" +
		"jar11sip.9-4-2ES9.sbn\r\ncnu11.9-4-2ES9.sbn\r\napps11.9-4-2ES9.sbn\r\n" +
		"dsp11.9-4-2ES9.sbn \r\ncvm11sip.9-4-2ES9.sbn \r\n"
	sipImages := []string{"jar11sip.9-4-2ES9.sbn", "cnu11.9-4-2ES9.sbn", "apps11.9-4-2ES9.sbn", "dsp11.9-4-2ES9.sbn", "cvm11sip.9-4-2ES9.sbn"}
	tests := []struct {
		name string
		in   string
		want firmware.LoadsFile
	}{
		{"cisco layout with trailing spaces", sip, firmware.LoadsFile{
			Comments: []string{" RELEASE load version 9-4-2ES9"},
			Hardware: map[int]int{1: 1},
			Images:   sipImages,
		}},
		{"capitalised name kept", "Jar11sip.8-2-2ES4.sbn\r\ncnu11.8-2-2ES4.sbn\r\n", firmware.LoadsFile{
			Images: []string{"Jar11sip.8-2-2ES4.sbn", "cnu11.8-2-2ES4.sbn"},
		}},
		{"bare LF and tabs", "#c\n#HARDWARE_COMP_2 3\t\na.sbn\t \n\n\nb.sbn", firmware.LoadsFile{
			Comments: []string{"c"}, Hardware: map[int]int{2: 3}, Images: []string{"a.sbn", "b.sbn"},
		}},
		{"comment with trailing space", "# x  \r\na.sbn\r\n", firmware.LoadsFile{
			Comments: []string{" x"}, Images: []string{"a.sbn"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := firmware.ParseLoads([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if d := diff(tt.want, got); d != "" {
				t.Errorf("ParseLoads (-want +got):\n%s", d)
			}
		})
	}
}

func TestParseLoadsErrors(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"empty", "", "lists no images"},
		{"only comments", "# x\r\n#HARDWARE_COMP_1 1\r\n\r\n", "lists no images"},
		{"space inside name", "a.sbn\r\nb c.sbn\r\n", `line 2: "b c.sbn" is not a file name`},
		{"path", "../a.sbn\r\n", `line 1: "../a.sbn" is not a file name`},
		{"leading space", " a.sbn\r\n", `line 1: " a.sbn" is not a file name`},
		{"duplicate", "a.sbn\r\nb.sbn\r\na.sbn\r\n", "line 3: image a.sbn is listed twice (also line 1)"},
		{"binary", "a.sbn\x00\r\n", "not text"},
		{"bad hardware", "#HARDWARE_COMP_1\r\na.sbn\r\n", `line 1: "#HARDWARE_COMP_1" is not #HARDWARE_COMP_<n> <level>`},
		{"bad hardware level", "#HARDWARE_COMP_1 x\r\na.sbn\r\n", "is not #HARDWARE_COMP_<n> <level>"},
		{"huge", strings.Repeat("#", 70000), "more than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := firmware.ParseLoads([]byte(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestLoadsEncodeRoundTrip(t *testing.T) {
	lf := firmware.LoadsFile{Comments: []string{" a"}, Hardware: map[int]int{2: 1, 1: 1}, Images: []string{"A.sbn", "b.sbn"}}
	body := lf.Encode()
	if want := "# a\r\n#HARDWARE_COMP_1 1\r\n#HARDWARE_COMP_2 1\r\n\r\nA.sbn\r\nb.sbn\r\n"; string(body) != want {
		t.Errorf("Encode = %q, want %q", body, want)
	}
	got, err := firmware.ParseLoads(body)
	if err != nil {
		t.Fatal(err)
	}
	if d := diff(lf, got); d != "" {
		t.Errorf("round trip (-want +got):\n%s", d)
	}
}
