// Package journal keeps every phone's history in the state directory: one
// append-only file of JSON lines per phone, each record synced to disk before
// Record returns, so a SIGKILL loses at most the record being written. A
// torn last line is ignored on reading and cut off before appending. The
// journal is what a restarted appliance resumes from, what `phoneflash
// status` prints and what the CSV report is made of.
package journal

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
)

// Record is one history entry. It has the fields of session.Record, so the
// appliance converts with journal.Record(r).
type Record struct {
	At      time.Time       `json:"at"`
	MAC     string          `json:"mac"`
	Port    string          `json:"port,omitempty"`
	Model   string          `json:"model,omitempty"`
	Kind    string          `json:"kind"`
	Detail  string          `json:"detail,omitempty"`
	Stage   string          `json:"stage"`
	From    string          `json:"from,omitempty"`
	Load    string          `json:"load,omitempty"`
	Target  string          `json:"target,omitempty"`
	Account string          `json:"account,omitempty"`
	Result  string          `json:"result,omitempty"`
	Reason  string          `json:"reason,omitempty"`
	State   json.RawMessage `json:"state,omitempty"`
}

// Subdir is where the journal lives inside the state directory.
const Subdir = "journal"

// Journal appends records to the per-phone files under a state directory.
// It is safe for concurrent use.
type Journal struct {
	dir   string
	mu    sync.Mutex
	files map[string]*os.File
}

// Open opens (creating it) the journal under stateDir and repairs files
// whose last line was torn by a crash.
func Open(stateDir string) (*Journal, error) {
	dir := filepath.Join(stateDir, Subdir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	names, err := filepath.Glob(filepath.Join(dir, "*.jsonl"))
	if err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	for _, n := range names {
		if err := repair(n); err != nil {
			return nil, err
		}
	}
	return &Journal{dir: dir, files: map[string]*os.File{}}, nil
}

// repair cuts a file back to its last complete line.
func repair(name string) error {
	data, err := os.ReadFile(name)
	if err != nil {
		return fmt.Errorf("journal: repair %s: %w", name, err)
	}
	keep := bytes.LastIndexByte(data, '\n') + 1
	if keep == len(data) {
		return nil
	}
	if err := os.Truncate(name, int64(keep)); err != nil {
		return fmt.Errorf("journal: repair %s: %w", name, err)
	}
	return nil
}

// fileName is the journal file of a MAC; MACs are 12 hex digits, anything
// else is refused so a name can never leave the directory.
func (j *Journal) fileName(mac string) (string, error) {
	if mac == "" || strings.ContainsAny(mac, `/\.`) || len(mac) > 64 {
		return "", fmt.Errorf("journal: %q is not a MAC address", mac)
	}
	return filepath.Join(j.dir, mac+".jsonl"), nil
}

// Record appends r to its phone's file and syncs it.
func (j *Journal) Record(r Record) error {
	line, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("journal: %s: %w", r.MAC, err)
	}
	line = append(line, '\n')
	j.mu.Lock()
	defer j.mu.Unlock()
	f, err := j.file(r.MAC)
	if err != nil {
		return err
	}
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("journal: %s: %w", r.MAC, err)
	}
	// A full disk takes part of a line: cut it off again, so that the next
	// record, once there is room, starts a line of its own.
	if _, err := f.Write(line); err != nil {
		f.Truncate(fi.Size())
		return fmt.Errorf("journal: %s: %w", r.MAC, err)
	}
	if err := f.Sync(); err != nil {
		f.Truncate(fi.Size())
		return fmt.Errorf("journal: %s: sync: %w", r.MAC, err)
	}
	return nil
}

func (j *Journal) file(mac string) (*os.File, error) {
	if f, ok := j.files[mac]; ok {
		return f, nil
	}
	name, err := j.fileName(mac)
	if err != nil {
		return nil, err
	}
	_, statErr := os.Stat(name)
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	if errors.Is(statErr, os.ErrNotExist) {
		syncDir(j.dir) // the new file's name must survive a crash too
	}
	j.files[mac] = f
	return f, nil
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// Close closes the open files.
func (j *Journal) Close() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	var errs []error
	for mac, f := range j.files {
		errs = append(errs, f.Close())
		delete(j.files, mac)
	}
	return errors.Join(errs...)
}

// History is one phone's records, oldest first.
type History struct {
	MAC     string
	Records []Record
	Damaged int // lines that could not be read (a torn last line after a crash)
}

// Last is the newest record.
func (h History) Last() Record { return h.Records[len(h.Records)-1] }

// Read reads every phone's history under stateDir, by MAC. It only reads,
// so it works while the appliance runs; a missing journal is empty.
func Read(stateDir string) ([]History, error) {
	dir := filepath.Join(stateDir, Subdir)
	names, err := filepath.Glob(filepath.Join(dir, "*.jsonl"))
	if err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	if _, err := os.Stat(stateDir); err != nil {
		return nil, fmt.Errorf("journal: state directory: %w", err)
	}
	var out []History
	for _, n := range names {
		h, err := readFile(n)
		if err != nil {
			return nil, err
		}
		if len(h.Records) > 0 {
			out = append(out, h)
		}
	}
	sort.Slice(out, func(i, k int) bool { return out[i].MAC < out[k].MAC })
	return out, nil
}

func readFile(name string) (History, error) {
	f, err := os.Open(name)
	if err != nil {
		return History{}, fmt.Errorf("journal: %w", err)
	}
	defer f.Close()
	h := History{MAC: strings.TrimSuffix(filepath.Base(name), ".jsonl")}
	br := bufio.NewReader(f)
	for {
		line, err := br.ReadBytes('\n')
		if len(line) > 0 {
			var r Record
			if line[len(line)-1] != '\n' || json.Unmarshal(line, &r) != nil {
				h.Damaged++
			} else {
				h.Records = append(h.Records, r)
			}
		}
		if errors.Is(err, io.EOF) {
			return h, nil
		}
		if err != nil {
			return History{}, fmt.Errorf("journal: reading %s: %w", name, err)
		}
	}
}

// ForgetKind is the kind of the record that ends the history of a phone
// the operator forgot (session.ForgetKind): States does not resume it.
const ForgetKind = "forget"

// States returns the newest saved state of every phone, for the appliance
// to resume; a forgotten phone is left out.
func States(stateDir string) ([]json.RawMessage, error) {
	hs, err := Read(stateDir)
	if err != nil {
		return nil, err
	}
	var out []json.RawMessage
	for _, h := range hs {
		if h.Last().Kind == ForgetKind {
			continue
		}
		for i := len(h.Records) - 1; i >= 0; i-- {
			if len(h.Records[i].State) > 0 {
				out = append(out, h.Records[i].State)
				break
			}
		}
	}
	return out, nil
}
