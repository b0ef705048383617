package tps23861

import (
	"periph.io/x/conn/v3/physic"

	"github.com/phoneflash/phoneflash/board"
)

// Registers (8-bit).
const (
	regIntMask       = 0x01
	regPowerEventCoR = 0x03
	regDetectCoR     = 0x05
	regFaultCoR      = 0x07
	regILIMCoR       = 0x09
	regSupplyCoR     = 0x0B // supply event, clear on read
	regPortStatus    = 0x0C // + channel
	regPowerStatus   = 0x10
	regOpMode        = 0x12
	regDisconnect    = 0x13
	regDetectClass   = 0x14
	regGeneralMask   = 0x17
	regRestart       = 0x18
	regPowerEnable   = 0x19
	regReset         = 0x1A
	regInputVoltage  = 0x2E // VPWR, 2 bytes LE
	regCurrent       = 0x30 // + 4*channel, 2 bytes LE
	regVoltage       = 0x32 // + 4*channel, 2 bytes LE
)

// Bits.
const (
	opModeSemiAuto = 0xAA // 2 (semi-auto) for each of the four ports
	allPorts       = 0x0F
	detectClassAll = 0xFF // DETE 0-3, CLE 4-7
	intEnable      = 0x80 // INTEN in the general mask
	shunt250       = 0x01 // 250 mΩ current sense resistor select
	clearAllInts   = 0x80 // reset register: clear every interrupt

	// Interrupt mask: PEC b0, PGC b1, DISF b2, CLASC b4, IFAULT b5, INRF b6,
	// SUPF b7.
	intMaskEvents = 0x01 | 0x02 | 0x04 | 0x10 | 0x20 | 0x40 | 0x80
	// General mask 1: the bits this driver sets; the others (MAINS b4 and
	// reserved ones) are kept as read, as the Linux hwmon driver keeps them.
	generalOurs = intEnable | shunt250
	// Supply event register (TI TPS23861.h): VPWR undervoltage, VDD
	// undervoltage lockout (the chip was reset), thermal shutdown.
	supplyVPUV = 0x10
	supplyVDUV = 0x20
	supplyTSD  = 0x80
)

// MinInput is the lowest VPWR that powers 802.3af phones: the standard's
// PSE output range starts at 44 V.
const MinInput = 44 * physic.Volt

// Scaling (Linux hwmon tps23861.c).
const (
	currentLSB255 = 61039 * physic.NanoAmpere // per LSB with a 255 mΩ shunt
	currentLSB250 = 62260 * physic.NanoAmpere // per LSB with a 250 mΩ shunt
	voltageLSB    = 3662 * physic.MicroVolt
	rawMask       = 0x3FFF // 14-bit readings
)

// decodeDetect maps the port status detect field (bits 3:0).
func decodeDetect(v byte) board.DetectResult {
	switch v & 0x0F {
	case 1:
		return board.DetectShort
	case 3:
		return board.DetectLow
	case 4:
		return board.DetectValid
	case 5:
		return board.DetectHigh
	case 6:
		return board.DetectOpen
	case 8:
		return board.DetectMOSFETFault
	case 9, 10, 11, 12: // legacy, capacitance too high or out of range
		return board.DetectLegacy
	}
	return board.DetectUnknown
}

// decodeClass maps the port status class field (bits 7:4) to 0..4, or -1
// when the port is not classified (unknown, over-current or mismatch).
func decodeClass(v byte) int {
	switch c := int(v >> 4); c {
	case 1, 2, 3, 4:
		return c
	case 6:
		return 0
	}
	return -1
}

// le14 decodes a little-endian 14-bit reading.
func le14(b []byte) int64 { return int64(uint16(b[0])|uint16(b[1])<<8) & rawMask }
