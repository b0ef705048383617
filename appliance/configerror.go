package appliance

import (
	"fmt"
	"regexp"
	"strings"
)

// ConfigError is a Config field that cannot work, with what to change. Its
// text names fields in braces ({StateDir}); Error spells them as the Config
// field names, and a command line that maps fields to its own flags uses
// Format to name the flags instead.
type ConfigError struct {
	Field  string // the Config field at fault, e.g. "StateDir"
	format string // one line, fields written as {Name}; values come from args
	args   []any
}

func fieldErr(field, format string, args ...any) *ConfigError {
	return &ConfigError{Field: field, format: format, args: args}
}

var fieldRef = regexp.MustCompile(`\{([A-Z][A-Za-z]*)\}`)

// Format renders the error, naming each field it mentions with name(field).
func (e *ConfigError) Format(name func(field string) string) string {
	f := fieldRef.ReplaceAllStringFunc(e.format, func(m string) string {
		return strings.ReplaceAll(name(m[1:len(m)-1]), "%", "%%")
	})
	return fmt.Sprintf(f, e.args...)
}

func (e *ConfigError) Error() string {
	return e.Format(func(field string) string { return field })
}
