package journal

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Log is one key's lines, oldest first.
type Log struct {
	Key     string
	Lines   []json.RawMessage
	Damaged int // lines that are not one whole JSON value (a torn last line after a crash)
}

// Read reads every key's log under stateDir, by key; keys without a line
// are left out. It only reads, so it works while an appliance writes (a
// line being written may show as damaged); a missing journal is empty.
func Read(stateDir string) ([]Log, error) {
	if _, err := os.Stat(stateDir); err != nil {
		return nil, fmt.Errorf("journal: state directory: %w", err)
	}
	names, err := filepath.Glob(filepath.Join(stateDir, Subdir, "*.jsonl"))
	if err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	var out []Log
	for _, n := range names {
		l, err := readFile(n)
		if err != nil {
			return nil, err
		}
		if len(l.Lines) > 0 {
			out = append(out, l)
		}
	}
	sort.Slice(out, func(i, k int) bool { return out[i].Key < out[k].Key })
	return out, nil
}

// ReadKey reads one key's log; a key never written has an empty one.
func ReadKey(stateDir, key string) (Log, error) {
	if !ValidKey(key) {
		return Log{}, fmt.Errorf("journal: %q is not a MAC address", key)
	}
	l, err := readFile(filepath.Join(stateDir, Subdir, key+".jsonl"))
	if errors.Is(err, os.ErrNotExist) {
		return Log{Key: key}, nil
	}
	return l, err
}

func readFile(name string) (Log, error) {
	f, err := os.Open(name)
	if err != nil {
		return Log{}, fmt.Errorf("journal: %w", err)
	}
	defer f.Close()
	l := Log{Key: strings.TrimSuffix(filepath.Base(name), ".jsonl")}
	br := bufio.NewReader(f)
	for {
		line, err := br.ReadBytes('\n')
		if len(line) > 0 {
			if line[len(line)-1] == '\n' && json.Valid(line) {
				l.Lines = append(l.Lines, json.RawMessage(line[:len(line)-1]))
			} else {
				l.Damaged++
			}
		}
		if errors.Is(err, io.EOF) {
			return l, nil
		}
		if err != nil {
			return Log{}, fmt.Errorf("journal: reading %s: %w", name, err)
		}
	}
}
