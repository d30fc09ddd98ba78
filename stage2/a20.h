// The A20 gate, from stage2's real-mode part (-m16): docs/boot.md says why
// this order.
#pragma once

#include <stdint.h>

namespace a20 {

// Turns A20 on: tested first, then port 0x92, INT 15h AX=2401h and the
// keyboard controller, each tested after it. Returns the layout::A20_*
// method that worked, or 0 when none did.
uint8_t enable();

}  // namespace a20
