package kamailio

import (
	"bufio"
	"context"
	"fmt"
	"strconv"
	"strings"
)

// Location is one contact in Kamailio's location table.
type Location struct {
	AoR       string
	Contact   string // the Contact address, e.g. sip:1006@10.79.1.100:5060;transport=udp
	Expires   int    // seconds left
	UserAgent string
	Instance  string // +sip.instance, "" when not set
	Received  string
	Socket    string // the PBX socket it came in on, e.g. udp:198.51.100.1:5060
	CallID    string
	CSeq      int
}

// Locations returns the location table (kamcmd ul.dump).
func (k *Instance) Locations(ctx context.Context) ([]Location, error) {
	out, err := k.RPC(ctx, "ul.dump")
	if err != nil {
		return nil, err
	}
	return parseDump(out)
}

// node is one "Key: value" or "Key: { ... }" entry of kamcmd's output.
type node struct {
	key, value string
	kids       []*node
}

func (n *node) get(key string) string {
	for _, k := range n.kids {
		if k.key == key {
			return k.value
		}
	}
	return ""
}

func (n *node) walk(key string, fn func(*node)) {
	for _, k := range n.kids {
		if k.key == key {
			fn(k)
		}
		k.walk(key, fn)
	}
}

// parseTree reads kamcmd's nested "Key: {" ... "}" text.
func parseTree(text string) (*node, error) {
	root := &node{}
	stack := []*node{root}
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		top := stack[len(stack)-1]
		switch {
		case line == "":
		case line == "{":
			n := &node{}
			top.kids = append(top.kids, n)
			stack = append(stack, n)
		case line == "}":
			if len(stack) == 1 {
				return nil, fmt.Errorf("kamailio: ul.dump: unbalanced '}'")
			}
			stack = stack[:len(stack)-1]
		default:
			key, value, _ := strings.Cut(line, ":")
			n := &node{key: strings.TrimSpace(key), value: strings.TrimSpace(value)}
			top.kids = append(top.kids, n)
			if n.value == "{" {
				n.value = ""
				stack = append(stack, n)
			}
		}
	}
	if len(stack) != 1 {
		return nil, fmt.Errorf("kamailio: ul.dump: %d unclosed '{'", len(stack)-1)
	}
	return root, sc.Err()
}

func parseDump(text string) ([]Location, error) {
	root, err := parseTree(text)
	if err != nil {
		return nil, err
	}
	var out []Location
	root.walk("Info", func(info *node) {
		aor := info.get("AoR")
		info.walk("Contact", func(c *node) {
			l := Location{AoR: aor, Contact: c.get("Address"), UserAgent: c.get("User-Agent"),
				Instance: notSet(c.get("Instance")), Received: notSet(c.get("Received")), Socket: c.get("Socket"),
				CallID: c.get("Call-ID")}
			l.Expires, _ = strconv.Atoi(c.get("Expires"))
			l.CSeq, _ = strconv.Atoi(c.get("CSeq"))
			out = append(out, l)
		})
	})
	return out, nil
}

func notSet(s string) string {
	if s == "[not set]" {
		return ""
	}
	return s
}
