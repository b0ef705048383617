package fwgen_test

import (
	"fmt"
	"reflect"
)

// diff is "" when want and got are deeply equal, else both values. (The
// firmware packages use the standard library only, tests included.)
func diff(want, got any) string {
	if reflect.DeepEqual(want, got) {
		return ""
	}
	return fmt.Sprintf("-want %#v\n+got  %#v", want, got)
}
