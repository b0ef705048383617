// Package defaults fills in the Options fields a caller left unset. It uses
// the standard library only.
package defaults

// Positive returns v when it is above zero and def otherwise: a count, a
// size or a duration left zero in Options takes its default, and so does
// a negative one, which no such field can mean (cmp.Or would keep it).
func Positive[T ~int | ~int64](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}
