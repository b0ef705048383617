package route

import (
	"errors"
	"fmt"
	"strings"
	"syscall"

	"github.com/google/nftables"
	"github.com/google/nftables/userdata"
)

// replace puts rs in place of phoneflash's table, whatever an earlier run
// left (after a SIGKILL, the whole old table): add, delete and add again in
// one batch, which the kernel applies atomically. There is never a moment
// with two copies, nor one without the filter when one was there.
func replace(conn *nftables.Conn, rs Ruleset) error {
	c, err := compile(rs)
	if err != nil {
		return fmt.Errorf("building table inet %s: %w", Table, err)
	}
	conn.AddTable(c.table)
	conn.DelTable(c.table)
	conn.AddTable(c.table)
	for _, ch := range c.chains {
		conn.AddChain(ch)
	}
	for _, r := range c.rules {
		conn.AddRule(r)
	}
	if err := conn.Flush(); err != nil {
		return fmt.Errorf("applying table inet %s: %w", Table, err)
	}
	return nil
}

// remove deletes phoneflash's table; a table already gone is no error.
func remove(conn *nftables.Conn) error {
	present, err := exists(conn)
	if err != nil || !present {
		return err
	}
	conn.DelTable(&nftables.Table{Name: Table, Family: nftables.TableFamilyINet})
	if err := conn.Flush(); err != nil && !errors.Is(err, syscall.ENOENT) {
		return fmt.Errorf("deleting table inet %s: %w", Table, err)
	}
	return nil
}

func exists(conn *nftables.Conn) (bool, error) {
	ts, err := conn.ListTablesOfFamily(nftables.TableFamilyINet)
	if err != nil {
		return false, fmt.Errorf("listing nftables tables: %w", err)
	}
	for _, t := range ts {
		if t.Name == Table {
			return true, nil
		}
	}
	return false, nil
}

// forwardBefore reads the note an earlier run left in its table: the value
// of net.ipv4.ip_forward before that run set it. "" when there is no such
// table or note.
func forwardBefore(conn *nftables.Conn) (string, error) {
	present, err := exists(conn)
	if err != nil || !present {
		return "", err
	}
	t := &nftables.Table{Name: Table, Family: nftables.TableFamilyINet}
	rules, err := conn.GetRules(t, &nftables.Chain{Name: "postrouting", Table: t})
	if err != nil {
		return "", nil // an old table without forwarding has no such chain
	}
	for _, r := range rules {
		if c, ok := userdata.GetString(r.UserData, userdata.TypeComment); ok && strings.HasPrefix(c, forwardNote) {
			return strings.TrimPrefix(c, forwardNote), nil
		}
	}
	return "", nil
}
