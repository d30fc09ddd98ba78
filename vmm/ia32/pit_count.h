// What the 8254's read-back status and latched counts say about a running
// counter: pure arithmetic, so that the host tests check it (the port I/O is
// in ia32/pit.h). The VMM times the TSC against channel 0 as the BIOS left
// it, without programming the PIT (vmx/guest_timer_runtime.cpp).
#pragma once

#include <stdint.h>

namespace pit {

// The read-back status byte: bit 7 OUT, bit 6 null count, bits 5:4 read/
// write access (3: low byte then high byte), bits 3:1 the mode, bit 0 BCD.
// Input ticks per count step for a counter whose count can be timed by:
// 1 in mode 2 (rate generator: down by 1 each input tick), 2 in mode 3
// (square wave: down by 2), with 16-bit binary access; 0 for anything else
// (a one-shot mode, BCD, or one byte of the count only). Mode bit 2 is
// ignored: the 8254 takes modes 6 and 7 as 2 and 3.
constexpr uint32_t count_step(uint8_t status) {
  return (status & 0x35) == 0x34 ? 1u + ((status >> 1) & 1u) : 0u;
}

// Input ticks between two latched counts of a counter that counts down by
// `step` (count_step) with a reload value of 65536, the BIOS's 18.2 Hz:
// then the count wraps from 0 to 65535 (mode 2) or 65534 (mode 3), and the
// difference modulo 65536 is right across the wrap, as long as the two
// counts are less than one reload period apart (55 ms in mode 2, half of it
// in mode 3, whose count runs down twice per period). Another reload value
// would make the difference wrong across a wrap.
constexpr uint32_t ticks_between(uint16_t earlier, uint16_t later, uint32_t step) {
  return static_cast<uint16_t>(earlier - later) / step;
}

}  // namespace pit
