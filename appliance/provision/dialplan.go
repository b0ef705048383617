package provision

import (
	"bytes"
	"cmp"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
)

// The dial plan is the phone's DIALTEMPLATE (dialplan.xml, named by every
// SIP config's <dialTemplate>): patterns of dialled digits and how long
// the phone waits for more after each one matches. Without it the phone
// waits 15 s after every number (usecallmanager's dial template notes).

// Dial plan timeouts, seconds.
const (
	// dialNow: an internal extension of a length the table has dials at once.
	dialNow = 0
	// dialSoon: an extension that is also the start of a longer one waits
	// this long for more digits.
	dialSoon = 2
	// dialOther: everything else (outside numbers, feature codes) is dialled
	// after this pause.
	dialOther = 3
)

// maxDialPlan bounds a dial plan file.
const maxDialPlan = 64 << 10

// DialPlan is dialplan.xml: the operator's (DialTemplate) or one derived
// from the account table (see DefaultDialPlan).
func (p *Provisioner) DialPlan() ([]byte, error) {
	if p.DialTemplate != nil {
		return p.DialTemplate, nil
	}
	var exact []string
	if p.Table != nil {
		for i := range p.Table.Rows {
			s, err := p.SettingsFor(&p.Table.Rows[i])
			if err != nil {
				return nil, fmt.Errorf("provision: dial plan: %w", err)
			}
			exact = append(exact, s.Voicemail)
		}
	} else if s, err := p.SettingsFor(nil); err == nil {
		exact = append(exact, s.Voicemail)
	}
	return DefaultDialPlan(p.Table, exact), nil
}

// dialRule is one TEMPLATE line.
type dialRule struct {
	Match   string
	Timeout int
}

// DefaultDialPlan derives a dial plan from the table: for each first digit
// and length of the table's numeric extensions, a pattern that dials at
// once (or after dialSoon when a longer extension starts the same way);
// the exact numbers (voicemail) at once; anything else after dialOther.
func DefaultDialPlan(t *Table, exact []string) []byte {
	type group struct {
		first byte
		n     int
	}
	var groups []group
	if t != nil {
		for _, a := range t.Rows {
			if e := a.Extension; e != "" && strings.Trim(e, "0123456789") == "" {
				if g := (group{e[0], len(e)}); !slices.Contains(groups, g) {
					groups = append(groups, g)
				}
			}
		}
	}
	slices.SortFunc(groups, func(a, b group) int { return cmp.Or(cmp.Compare(a.first, b.first), cmp.Compare(a.n, b.n)) })
	var rules []dialRule
	for _, g := range groups {
		timeout := dialNow
		for _, o := range groups {
			if o.first == g.first && o.n > g.n {
				timeout = dialSoon
			}
		}
		rules = append(rules, dialRule{string(g.first) + strings.Repeat(".", g.n-1), timeout})
	}
	slices.Sort(exact)
	for _, e := range slices.Compact(exact) {
		if e != "" {
			rules = append(rules, dialRule{strings.ReplaceAll(e, "*", `\*`), dialNow})
		}
	}
	rules = append(rules, dialRule{"*", dialOther})
	var b bytes.Buffer
	b.WriteString("<DIALTEMPLATE>\n")
	for _, r := range rules {
		b.WriteString(`  <TEMPLATE MATCH="`)
		xml.EscapeText(&b, []byte(r.Match))
		fmt.Fprintf(&b, "\" Timeout=\"%d\"/>\n", r.Timeout)
	}
	b.WriteString("</DIALTEMPLATE>\n")
	return b.Bytes()
}

// LoadDialPlan reads and checks a dial plan file (-dialplan).
func LoadDialPlan(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("dial plan: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxDialPlan+1))
	if err != nil {
		return nil, fmt.Errorf("dial plan %s: %w", name, err)
	}
	if err := ParseDialPlan(data); err != nil {
		return nil, fmt.Errorf("dial plan %s: %w", name, err)
	}
	return data, nil
}

// ParseDialPlan checks that data is a DIALTEMPLATE the phone reads: one
// root element DIALTEMPLATE holding TEMPLATE elements (and optionally a
// versionStamp), each with a MATCH pattern of digits, '.', '*', '\*', '#'
// and ',' and a Timeout in seconds; optional rewrite, line, tone and User.
// Attribute names are case-insensitive, as the published plans mix cases.
func ParseDialPlan(data []byte) error {
	if len(data) > maxDialPlan {
		return fmt.Errorf("larger than %d KiB; a dial plan is a few lines", maxDialPlan>>10)
	}
	d := xml.NewDecoder(bytes.NewReader(data))
	var stack []string
	rules, roots := 0, 0
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("not XML: %v", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			stack = append(stack, t.Name.Local)
			if err := checkDialElement(t, len(stack), d.InputPos); err != nil {
				return err
			}
			switch {
			case len(stack) == 1 && roots > 0:
				return errors.New("more than one root element")
			case len(stack) == 1:
				roots++
			case len(stack) == 2 && t.Name.Local == "TEMPLATE":
				rules++
			}
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			inStamp := len(stack) == 2 && strings.EqualFold(stack[1], "versionStamp")
			if !inStamp && len(bytes.TrimSpace(t)) > 0 {
				return fmt.Errorf("text %q outside the elements", bytes.TrimSpace(t))
			}
		}
	}
	if rules == 0 {
		return errors.New("no TEMPLATE element: write <DIALTEMPLATE><TEMPLATE MATCH=\"*\" Timeout=\"3\"/></DIALTEMPLATE> at least")
	}
	return nil
}

func checkDialElement(t xml.StartElement, depth int, pos func() (int, int)) error {
	line, _ := pos()
	name := t.Name.Local
	switch {
	case depth == 1 && !strings.EqualFold(name, "DIALTEMPLATE"):
		return fmt.Errorf("line %d: root element <%s>; a dial plan's root is <DIALTEMPLATE>", line, name)
	case depth == 2 && strings.EqualFold(name, "versionStamp"):
		return nil
	case depth == 2 && name == "TEMPLATE":
		if err := checkTemplate(t.Attr); err != nil {
			return fmt.Errorf("line %d: <TEMPLATE>: %w", line, err)
		}
		return nil
	case depth == 2:
		return fmt.Errorf("line %d: element <%s>; a dial plan holds <TEMPLATE> elements (in upper case)", line, name)
	case depth > 2:
		return fmt.Errorf("line %d: element <%s> inside a <TEMPLATE> or <versionStamp>", line, name)
	}
	return nil
}

// checkTemplate checks one TEMPLATE's attributes.
func checkTemplate(attrs []xml.Attr) error {
	seen := map[string]bool{}
	for _, a := range attrs {
		n := strings.ToLower(a.Name.Local)
		if seen[n] {
			return fmt.Errorf("attribute %s twice", a.Name.Local)
		}
		seen[n] = true
		var err error
		switch n {
		case "match":
			err = checkPattern(a.Value)
		case "timeout":
			if v, e := strconv.Atoi(a.Value); e != nil || v < 0 || v > 300 {
				err = fmt.Errorf("%s %q: a number of seconds from 0 to 300", a.Name.Local, a.Value)
			}
		case "line":
			if v, e := strconv.Atoi(a.Value); e != nil || v < 1 || v > 64 {
				err = fmt.Errorf("line %q: a line number", a.Value)
			}
		case "rewrite":
			if strings.Trim(a.Value, "0123456789.%*#+") != "" {
				err = fmt.Errorf("rewrite %q: digits, '.', '%%', '*', '#' or '+'", a.Value)
			}
		case "tone", "user":
			if strings.Trim(a.Value, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-") != "" {
				err = fmt.Errorf("%s %q: a name such as Bellcore-Outside or Phone", a.Name.Local, a.Value)
			}
		default:
			err = fmt.Errorf("unknown attribute %s; use MATCH, Timeout, rewrite, line, tone or User", a.Name.Local)
		}
		if err != nil {
			return err
		}
	}
	if !seen["match"] || !seen["timeout"] {
		return errors.New("needs MATCH and Timeout")
	}
	return nil
}

// checkPattern checks a MATCH pattern: digits, '#', '.', '*', '\*', ','.
func checkPattern(p string) error {
	for i := 0; i < len(p); i++ {
		switch c := p[i]; {
		case c >= '0' && c <= '9', c == '#', c == '.', c == '*', c == ',':
		case c == '\\' && i+1 < len(p) && p[i+1] == '*':
			i++
		default:
			return fmt.Errorf("MATCH %q: %q is not a digit, '#', '.', '*', '\\*' or ','", p, c)
		}
	}
	return nil
}
