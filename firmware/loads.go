package firmware

import (
	"bytes"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// LoadsFile is the text body of a `.loads` file (after the signed header):
// comment lines, `#HARDWARE_COMP_<n> <level>` lines and the image names, in
// the order the phone fetches them.
type LoadsFile struct {
	Comments []string    // comment lines without the leading '#', trimmed on the right
	Hardware map[int]int // #HARDWARE_COMP_<n> <level>
	Images   []string    // exactly as written, trailing blanks trimmed
}

// LoadsError is a problem on one line of a `.loads` body.
type LoadsError struct {
	Line int // 1-based; 0 for the whole body
	Msg  string
}

func (e *LoadsError) Error() string {
	if e.Line == 0 {
		return ".loads: " + e.Msg
	}
	return fmt.Sprintf(".loads: line %d: %s", e.Line, e.Msg)
}

// maxLoadsBody bounds a `.loads` body; Cisco's are about 250 bytes.
const maxLoadsBody = 64 << 10

const hardwarePrefix = "#HARDWARE_COMP_"

// ParseLoads parses a `.loads` body. Lines end in CRLF (a bare LF is
// accepted); trailing spaces and tabs are trimmed; blank lines are skipped.
// Image names keep their case.
func ParseLoads(body []byte) (LoadsFile, error) {
	if len(body) > maxLoadsBody {
		return LoadsFile{}, &LoadsError{0, fmt.Sprintf("body is %d bytes, more than %d", len(body), maxLoadsBody)}
	}
	if !utf8.Valid(body) || bytes.IndexByte(body, 0) >= 0 {
		return LoadsFile{}, &LoadsError{0, "body is not text"}
	}
	var lf LoadsFile
	seen := map[string]int{}
	for i, raw := range strings.Split(string(body), "\n") {
		n := i + 1
		line := strings.TrimRight(strings.TrimSuffix(raw, "\r"), " \t")
		switch {
		case line == "":
			continue
		case strings.HasPrefix(line, hardwarePrefix):
			idx, level, err := parseHardware(line)
			if err != nil {
				return LoadsFile{}, &LoadsError{n, err.Error()}
			}
			if lf.Hardware == nil {
				lf.Hardware = map[int]int{}
			}
			lf.Hardware[idx] = level
		case strings.HasPrefix(line, "#"):
			lf.Comments = append(lf.Comments, line[1:])
		default:
			if !validFileName(line) {
				return LoadsFile{}, &LoadsError{n, fmt.Sprintf("%q is not a file name", line)}
			}
			if prev, ok := seen[line]; ok {
				return LoadsFile{}, &LoadsError{n, fmt.Sprintf("image %s is listed twice (also line %d)", line, prev)}
			}
			seen[line] = n
			lf.Images = append(lf.Images, line)
		}
	}
	if len(lf.Images) == 0 {
		return LoadsFile{}, &LoadsError{0, "lists no images"}
	}
	return lf, nil
}

// parseHardware parses `#HARDWARE_COMP_<n> <level>`.
func parseHardware(line string) (idx, level int, err error) {
	key, val, ok := strings.Cut(line[len(hardwarePrefix):], " ")
	idx, err1 := strconv.Atoi(key)
	level, err2 := strconv.Atoi(strings.TrimSpace(val))
	if !ok || err1 != nil || err2 != nil || idx < 0 || level < 0 {
		return 0, 0, fmt.Errorf("%q is not #HARDWARE_COMP_<n> <level>", line)
	}
	return idx, level, nil
}

// Encode returns the CRLF body for lf: comments, hardware lines in index
// order, a blank line and the images. Trailing blanks are not reproduced.
func (lf LoadsFile) Encode() []byte {
	var b strings.Builder
	for _, c := range lf.Comments {
		b.WriteString("#" + c + "\r\n")
	}
	for _, idx := range slices.Sorted(maps.Keys(lf.Hardware)) {
		fmt.Fprintf(&b, "%s%d %d\r\n", hardwarePrefix, idx, lf.Hardware[idx])
	}
	b.WriteString("\r\n")
	for _, img := range lf.Images {
		b.WriteString(img + "\r\n")
	}
	return []byte(b.String())
}
