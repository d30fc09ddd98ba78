// The PC's 8254 programmable interval timer: its 1.193182 MHz input is the
// same on every PC, which makes it the clock to time things by. Channel 2
// (the speaker's) counts down once in mode 0 and shows the end on bit 5 of
// port 0x61: a one-shot that needs no interrupt.
#pragma once

#include <stdint.h>

#include "ia32/io.h"

namespace pit {

inline constexpr uint32_t input_hz = 1193182;
inline constexpr uint16_t port_channel0 = 0x40;
inline constexpr uint16_t port_channel2 = 0x42;
inline constexpr uint16_t port_command = 0x43;
inline constexpr uint16_t port_system_control = 0x61;  // bit 0 gate 2, bit 1 speaker
inline constexpr uint8_t system_control_out2 = 0x20;   // channel 2's output

// Starts channel 2 counting `count` input ticks down (gate on, speaker off).
inline void start_channel2_countdown(uint16_t count) {
  outb(port_system_control, static_cast<uint8_t>((inb(port_system_control) & ~0x02) | 0x01));
  outb(port_command, 0xB0);  // channel 2, lobyte/hibyte, mode 0, binary
  outb(port_channel2, static_cast<uint8_t>(count & 0xFF));
  outb(port_channel2, static_cast<uint8_t>(count >> 8));
}

// True once the countdown started above has run out.
inline bool channel2_done() { return (inb(port_system_control) & system_control_out2) != 0; }

// The bound on every loop that polls channel 2: a countdown is at most
// 65536 input ticks (55 ms) and a port read takes about a microsecond on a
// PC (one instruction in Bochs), so a million reads is far beyond any
// countdown, and a PIT that never counts down cannot hang the machine.
inline constexpr uint32_t channel2_max_polls = 1000000;

// Polls until the countdown has run out: true, or false after
// channel2_max_polls reads.
inline bool wait_channel2_done() {
  for (uint32_t polls = 0; polls < channel2_max_polls; ++polls) {
    if (channel2_done()) return true;
  }
  return false;
}

}  // namespace pit
