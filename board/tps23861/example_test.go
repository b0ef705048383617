package tps23861_test

import (
	"context"
	"fmt"
	"log"

	"periph.io/x/conn/v3/i2c/i2ctest"

	"github.com/phoneflash/phoneflash/board/tps23861"
)

func Example() {
	// On the Pi the bus comes from i2creg.Open("/dev/i2c-1") (board/pi);
	// here a playback of the chip's answers stands in for it.
	bus := &i2ctest.Playback{Ops: []i2ctest.IO{
		{Addr: 0x20, W: []byte{0x12, 0xAA}}, {Addr: 0x20, W: []byte{0x13, 0x0F}},
		{Addr: 0x20, W: []byte{0x14, 0xFF}}, {Addr: 0x20, W: []byte{0x01, 0xF7}},
		{Addr: 0x20, W: []byte{0x17}, R: []byte{0x00}}, {Addr: 0x20, W: []byte{0x17, 0x00}},
		{Addr: 0x20, W: []byte{0x1A, 0x80}}, {Addr: 0x20, W: []byte{0x2E}, R: []byte{0x33, 0x33}},
		{Addr: 0x20, W: []byte{0x19, 0x01}}, // PWON port 1
		{Addr: 0x20, W: []byte{0x30}, R: []byte{0xB6, 0x03}},
		{Addr: 0x20, W: []byte{0x32}, R: []byte{0x33, 0x33}},
	}}
	dev, err := tps23861.New(bus, &tps23861.DefaultOpts)
	if err != nil {
		log.Fatal(err)
	}
	if err := dev.SetPower(context.Background(), 0, true); err != nil {
		log.Fatal(err)
	}
	i, v, err := dev.Measure(0)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(i, v)
	// Output: 57.987mA 47.998V
}
