// The pause between the result line and the power-off, so that a person in
// front of a real PC can read the screen: a countdown on the VGA screen's last
// row (not on COM1, whose last line stays the result), ended early by a key
// on the PS/2 keyboard or a byte arriving on COM1. Timed by the PIT, whose
// 1.193182 MHz input is the same on every PC, not by a guessed loop.
#pragma once

#include <stdint.h>

namespace end_wait {

// How long end_run() waits; 0 = not at all. Set from the image header.
void set_seconds(uint16_t seconds);

// Waits as configured. Returns early on a key or a COM1 byte.
void wait_before_power_off();

}  // namespace end_wait
