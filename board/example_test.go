package board_test

import (
	"fmt"

	"github.com/phoneflash/phoneflash/board"
)

func ExampleParseProfile() {
	_, err := board.ParseProfile([]byte(`{
		"i2c_bus": "/dev/i2c-1",
		"oled": {"addr": "0x78"},
		"ports": [{"interface": "eth1"}]
	}`))
	fmt.Println(err)
	p, err := board.ParseProfile([]byte(`{
		"i2c_bus": "/dev/i2c-1",
		"pse": {"addr": "0x20"},
		"ports": [{"interface": "eth1", "poe_channel": 2, "led": "GPIO17"}]
	}`))
	fmt.Println(p.PSE.Addr, *p.Ports[0].PoEChannel, err)
	// Output:
	// oled.addr 0x78: the SSD1306 answers at 0x3C (SA0 low) or 0x3D (SA0 high); silkscreens often print 0x78/0x7A, which are the same addresses shifted left
	// 0x20 2 <nil>
}
