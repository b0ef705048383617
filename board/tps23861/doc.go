// Package tps23861 drives the Texas Instruments TPS23861, a four-port
// IEEE 802.3at power-sourcing controller (PSE), over I²C with
// periph.io/x/conn/v3/i2c. It takes an i2c.Bus and never opens one.
//
// The driver runs the chip in semi-auto mode: the chip detects and classifies
// whatever is plugged in, and the host decides when to power a port. Dev
// implements board.PSE: SetPower, Cycle, Status (current and voltage in
// periph physic units through Measure) and Watch, which reports power-good,
// power-off, disconnect, over-current and short events. Watch waits on the
// optional interrupt pin and also polls, so a missed edge or an unwired pin
// only costs latency.
//
// # Sources
//
//   - Datasheet: https://www.ti.com/lit/ds/symlink/tps23861.pdf (register
//     map, semi-auto operation, the 0x19 push-button register).
//   - Register map and scaling as used here: the mainline Linux hwmon driver
//     drivers/hwmon/tps23861.c (port status codes, 14-bit little-endian
//     current and voltage, 61.039 µA/LSB at 255 mΩ, 62.260 µA/LSB at 250 mΩ,
//     3.662 mV/LSB) and TI's reference C API (TPS23861.h, main_semi_auto.c:
//     the semi-auto flow of enabling detect/class and DC disconnect, waiting
//     for classification and writing PWON).
//   - Collected in the project's domain notes, "hardware-and-gokrazy" B.2.
//
// # Semi-auto power-on
//
// With detect and class enabled, a PWON write in semi-auto mode powers the
// port "after completion of next good detect and classification" (datasheet,
// table of port behaviour to a commanded power on), so SetPower(on) never
// forces 48 V onto a device without a valid 25 kΩ signature. PWON is a
// push-button: after a disconnect the port stays off, so Watch writes PWON
// again when the chip classifies a device on a channel the host wants
// powered. PWON is ignored during the cool-down after an ICUT/ILIM fault;
// the next classification retries it.
//
// The AUTO bit (register 0x11 bit 7, EEPROM, set as shipped) starts the chip
// in auto mode at power-on, which powers phones before phoneflash runs; New
// switches to semi-auto. Clear AUTO once with TI's tools if that matters
// (TI E2E FAQ thread 723201); this driver never writes 0x11.
//
// # Registers used
//
//	0x01 interrupt mask        0x12 operating mode (2 bits per port, 2 = semi-auto)
//	0x03 power event (CoR)     0x13 DC disconnect enable
//	0x05 detect event (CoR)    0x14 detect/class enable
//	0x07 fault event (CoR)     0x17 general mask 1 (INTEN bit 7, 250 mΩ bit 0)
//	0x09 ILIM event (CoR)      0x19 power enable (PWON bits 0-3, PWOFF bits 4-7)
//	0x0B supply event (CoR)    0x1A reset (bit 7 clears all interrupts)
//	0x0C+n port n status       0x2E input voltage VPWR (LE, 3.662 mV/LSB)
//	0x10 power status          0x30+4n / 0x32+4n port n current / voltage
//
// General mask 1 is the one register the Linux hwmon driver changes by
// read-modify-write (regmap_set_bits/clear_bits of the shunt bit at probe,
// torvalds/linux drivers/hwmon/tps23861.c, read at commit 0fed840c): this
// driver does the same and keeps its MAINS and reserved bits. The others
// are written whole: the mode, enable and mask registers hold one field per
// port and this driver owns all four ports; 0x18, 0x19 and 0x1A are
// push-button registers that read back nothing useful.
//
// # The 48 V supply
//
// The supply event register (TI TPS23861.h: VPUV bit 4 VPWR undervoltage,
// VDUV bit 5 VDD undervoltage lockout, TSD bit 7 thermal shutdown) is
// polled with the port events, and the input voltage is read at set-up,
// after a VPUV event and on every poll while it is below MinInput, so that
// Supply says "no 48 V" instead of leaving phones unpowered without a
// reason. A VDUV event means the chip went through a power-on reset (back to
// auto mode): Watch returns ErrReset and the caller sets the chip up again.
//
// # Address straps
//
// The 7-bit address is 0x20 with the address pins grounded (TI support
// forum, thread 740059); the full A1-A4 strap table is not confirmed from the
// datasheet, so probe the bus (cmd/boardcheck scans it) on new hardware.
// Register 0x11 holds the address and the AUTO bit; this driver never writes
// it. The chip does not clash with an SSD1306 at 0x3C/0x3D.
//
// # Wiring
//
// SDA and SCL to the Pi's I²C-1 (GPIO2/GPIO3, header pins 3 and 5) with the
// usual pull-ups; the open-drain, active-low INT output to a Pi GPIO with a
// pull-up (the driver configures PullUp and a falling edge). Without INT,
// set Opts.Int to nil and the driver polls.
package tps23861
