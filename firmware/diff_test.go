package firmware_test

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
)

// diff is "" when want and got are deeply equal, else both values. (The
// firmware packages use the standard library only, tests included.)
func diff(want, got any) string {
	if reflect.DeepEqual(want, got) {
		return ""
	}
	if w, ok := want.(map[string]string); ok {
		if g, ok := got.(map[string]string); ok {
			return mapDiff(w, g)
		}
	}
	return fmt.Sprintf("-want %#v\n+got  %#v", want, got)
}

func mapDiff(want, got map[string]string) string {
	var keys []string
	for k := range want {
		keys = append(keys, k)
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		if want[k] != got[k] {
			fmt.Fprintf(&b, "%s:\n  -want %q\n  +got  %q\n", k, want[k], got[k])
		}
	}
	return b.String()
}
