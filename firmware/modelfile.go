package firmware

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"reflect"
	"slices"
	"strings"
	"time"
)

// ModelFileName is the user's model file in the state directory: rows that
// add a model the table lacks or change a fact of one it has.
const ModelFileName = "models.json"

// The model file: {"models": [row, ...]}. A row names a model; for a model
// of the built-in table it gives only the facts it changes, for a new one
// every fact but cop, password, stall, quirks and path (which default).
type modelFile struct {
	Models []json.RawMessage `json:"models"`
}

type modelRow struct {
	Name        string       `json:"name"`
	Family      *string      `json:"family"`
	Term        *string      `json:"term"`
	DeviceType  *int         `json:"device_type"`
	XMLModel    *string      `json:"xml_model"`
	VendorClass *string      `json:"vendor_class"`
	COP         *string      `json:"cop"`
	Password    *passwordRow `json:"password"`
	Stall       *stallRow    `json:"stall"`
	Quirks      *quirksRow   `json:"quirks"`
	Path        *[]string    `json:"path"`
}

type passwordRow struct {
	Max  *int `json:"max"`
	Warn *int `json:"warn"`
}

// stallRow holds durations as Go writes them: "90s", "20m".
type stallRow struct {
	DHCP     *string `json:"dhcp"`
	Config   *string `json:"config"`
	Loading  *string `json:"loading"`
	Applying *string `json:"applying"`
	Boot     *string `json:"boot"`
}

type quirksRow struct {
	FewPowerCycles *bool `json:"few_power_cycles"`
	MorePower      *bool `json:"more_power"`
}

// ModelFileError is a model file with mistakes: one line each.
type ModelFileError struct {
	Path     string
	Mistakes []string
}

func (e *ModelFileError) Error() string {
	lines := make([]string, len(e.Mistakes))
	for i, m := range e.Mistakes {
		lines[i] = e.Path + ": " + m
	}
	return strings.Join(lines, "\n")
}

// LoadModels reads the model file at path and returns base with its rows
// applied. A missing file is no error: base comes back unchanged. A file
// with mistakes is a *ModelFileError naming each.
func LoadModels(path string, base Models) (Models, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return base, nil
	}
	if err != nil {
		return nil, fmt.Errorf("model file %s: %w", path, err)
	}
	t, mistakes := ParseModels(b, base)
	if len(mistakes) > 0 {
		return nil, &ModelFileError{Path: path, Mistakes: mistakes}
	}
	return t, nil
}

// ParseModels applies the rows of a model file to base and checks the
// result; mistakes are one line each, naming the row. It is pure.
func ParseModels(data []byte, base Models) (Models, []string) {
	var f modelFile
	if bad := strictDecode(data, &f); len(bad) > 0 {
		return nil, bad
	}
	if f.Models == nil {
		return nil, []string{`no "models" list: write {"models": [{"name": "CP-7942G", ...}]}`}
	}
	t := slices.Clone(base)
	byRow := make([][]string, len(f.Models))
	seen := map[ModelName]int{}
	fromFile := map[ModelName]int{}
	for i, raw := range f.Models {
		row, ms := decodeRow(raw)
		if prev, dup := seen[ModelName(row.Name)]; dup && row.Name != "" {
			ms = append(ms, fmt.Sprintf("%s is in row %d already: give each model one row", row.Name, prev+1))
		}
		seen[ModelName(row.Name)] = i
		if len(ms) == 0 {
			var m Model
			if m, ms = applyRow(t, row); len(ms) == 0 {
				t = setRow(t, m)
				fromFile[m.Name] = i
			}
		}
		byRow[i] = ms
	}
	for _, name := range slices.Sorted(maps.Keys(fromFile)) {
		m, _ := t.Named(name)
		byRow[fromFile[name]] = append(byRow[fromFile[name]], t.rowProblems(m)...)
	}
	var mistakes []string
	for i, ms := range byRow {
		name := ""
		if len(ms) > 0 {
			name = rowName(f.Models[i])
		}
		mistakes = append(mistakes, prefixed(fmt.Sprintf("row %d%s: ", i+1, name), ms)...)
	}
	return t, mistakes
}

func prefixed(p string, lines []string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = p + l
	}
	return out
}

// rowName is " (CP-7942G)" for a row naming a model, else "".
func rowName(raw json.RawMessage) string {
	var r struct {
		Name string `json:"name"`
	}
	if json.Unmarshal(raw, &r) != nil || r.Name == "" {
		return ""
	}
	return " (" + r.Name + ")"
}

// decodeRow reads one row, naming every unknown field.
func decodeRow(raw json.RawMessage) (modelRow, []string) {
	var row modelRow
	if bad := strictDecode(raw, &row); len(bad) > 0 {
		_ = json.Unmarshal(raw, &row) // for its name; this decoder ignores unknown fields
		return row, bad
	}
	if strings.TrimSpace(row.Name) == "" || strings.ContainsAny(row.Name, " \t\n") {
		return row, []string{fmt.Sprintf("name %q: give the model's name as Cisco writes it, without spaces, e.g. CP-7942G", row.Name)}
	}
	return row, nil
}

// setRow replaces the row of m's name, or appends m.
func setRow(t Models, m Model) Models {
	for i := range t {
		if t[i].Name == m.Name {
			t[i] = m
			return t
		}
	}
	return append(t, m)
}

// applyRow makes the model a row describes: the table's row of its name
// with the row's facts, or a new model, which must name its facts.
func applyRow(t Models, row modelRow) (Model, []string) {
	m, known := t.Named(ModelName(row.Name))
	var ms []string
	if !known {
		m = Model{Name: ModelName(row.Name), Password: passwordLimit79xx}
		for field, missing := range map[string]bool{"family": row.Family == nil, "term": row.Term == nil,
			"device_type": row.DeviceType == nil, "xml_model": row.XMLModel == nil} {
			if missing {
				ms = append(ms, fmt.Sprintf("no %s: a model the built-in table lacks needs family, term, device_type and xml_model", field))
			}
		}
		slices.Sort(ms)
	}
	set(&m.Family, row.Family)
	set(&m.Term, row.Term)
	set(&m.DeviceType, row.DeviceType)
	set(&m.XMLModel, row.XMLModel)
	set(&m.VendorClass, row.VendorClass)
	set(&m.COP, row.COP)
	if row.Path != nil {
		m.Path = slices.Clone(*row.Path)
	}
	if p := row.Password; p != nil {
		set(&m.Password.Max, p.Max)
		set(&m.Password.Warn, p.Warn)
	}
	if q := row.Quirks; q != nil {
		set(&m.Quirks.FewPowerCycles, q.FewPowerCycles)
		set(&m.Quirks.MorePower, q.MorePower)
	}
	if row.Stall != nil {
		ms = append(ms, applyStall(&m.Stall, *row.Stall)...)
	}
	return m, ms
}

// applyStall sets the stall limits a row gives.
func applyStall(st *StallTimers, s stallRow) []string {
	var ms []string
	for _, d := range []struct {
		name string
		in   *string
		out  *time.Duration
	}{{"dhcp", s.DHCP, &st.DHCP}, {"config", s.Config, &st.Config}, {"loading", s.Loading, &st.Loading},
		{"applying", s.Applying, &st.Applying}, {"boot", s.Boot, &st.Boot}} {
		if d.in == nil {
			continue
		}
		v, err := time.ParseDuration(*d.in)
		if err != nil || v < 0 {
			ms = append(ms, fmt.Sprintf("stall.%s %q: want a duration like 90s or 20m (0 keeps the default)", d.name, *d.in))
			continue
		}
		*d.out = v
	}
	return ms
}

func set[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

// strictDecode decodes data into v (a pointer to a struct) with
// DisallowUnknownFields, after naming every unknown field (the decoder
// names only the first).
func strictDecode(data []byte, v any) []string {
	if bad := unknownFields(data, reflect.TypeOf(v), ""); len(bad) > 0 {
		return bad
	}
	d := json.NewDecoder(bytes.NewReader(data))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return []string{jsonMistake(data, err)}
	}
	return nil
}

// unknownFields names the keys of the JSON object data that no field of
// struct type t (or its nested structs) has; prefix is the path so far.
func unknownFields(data []byte, t reflect.Type, prefix string) []string {
	var obj map[string]json.RawMessage
	if json.Unmarshal(data, &obj) != nil {
		return nil // not an object: the decoder says what is wrong
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	fields := map[string]reflect.Type{}
	var names []string
	for i := range t.NumField() {
		tag, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		fields[tag] = t.Field(i).Type
		names = append(names, tag)
	}
	var out []string
	for _, k := range slices.Sorted(maps.Keys(obj)) {
		ft, ok := fields[k]
		if !ok {
			out = append(out, fmt.Sprintf("unknown field %q: the fields are %s", prefix+k, strings.Join(names, ", ")))
			continue
		}
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if ft.Kind() == reflect.Struct {
			out = append(out, unknownFields(obj[k], ft, prefix+k+".")...)
		}
	}
	return out
}

// jsonMistake words a decoding error, with the line it is on.
func jsonMistake(data []byte, err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("line %d: not JSON: %v", 1+bytes.Count(data[:min(int(se.Offset), len(data))], []byte("\n")), se)
	case errors.As(err, &te):
		return fmt.Sprintf("%s: a JSON %s where a %s belongs", te.Field, te.Value, jsonKind(te.Type))
	}
	return "not JSON: " + err.Error()
}

func jsonKind(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Int:
		return "number"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice:
		return "list"
	case reflect.Struct:
		return "object"
	}
	return "string"
}
