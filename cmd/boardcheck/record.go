package main

import (
	"fmt"
	"strings"

	"periph.io/x/conn/v3/i2c/i2ctest"
)

// FormatOps prints recorded I²C operations as a Go literal of type
// []i2ctest.IO, one operation a line.
func FormatOps(ops []i2ctest.IO) string {
	var b strings.Builder
	b.WriteString("[]i2ctest.IO{\n")
	for _, op := range ops {
		fmt.Fprintf(&b, "\t{Addr: 0x%02X", op.Addr)
		if len(op.W) > 0 {
			fmt.Fprintf(&b, ", W: %s", bytesLit(op.W))
		}
		if len(op.R) > 0 {
			fmt.Fprintf(&b, ", R: %s", bytesLit(op.R))
		}
		b.WriteString("},\n")
	}
	b.WriteString("}\n")
	return b.String()
}

func bytesLit(p []byte) string {
	parts := make([]string, len(p))
	for i, v := range p {
		parts[i] = fmt.Sprintf("0x%02X", v)
	}
	return "[]byte{" + strings.Join(parts, ", ") + "}"
}
