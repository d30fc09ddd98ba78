// The PC's 8254 programmable interval timer: its 1.193182 MHz input is the
// same on every PC, which makes it the clock to time things by. Channel 0
// (the BIOS's 18.2 Hz tick) is read as it runs, without changing its
// programming (pit_count.h has the arithmetic). Channel 2 (the speaker's)
// counts down once in mode 0 and shows the end on bit 5 of port 0x61: a
// one-shot that needs no interrupt, used only once the run is over (the
// end-of-run wait, common/end_wait.cpp).
#pragma once

#include <stdint.h>

#include "ia32/io.h"
#include "ia32/pit_count.h"

namespace pit {

inline constexpr uint32_t input_hz = 1193182;
inline constexpr uint16_t port_channel0 = 0x40;
inline constexpr uint16_t port_channel2 = 0x42;
inline constexpr uint16_t port_command = 0x43;
inline constexpr uint16_t port_system_control = 0x61;  // bit 0 gate 2, bit 1 speaker
inline constexpr uint8_t system_control_out2 = 0x20;   // channel 2's output
// Read-back (bits 7:6 = 3): bit 5 clear would latch the count, bit 4 clear
// latches the status; bit 1 selects channel 0.
inline constexpr uint8_t read_back_status_channel0 = 0xE2;
inline constexpr uint8_t latch_channel0 = 0x00;  // counter latch, channel 0

// Channel 0's read-back status byte (pit_count.h).
inline uint8_t channel0_status() {
  outb(port_command, read_back_status_channel0);
  return inb(port_channel0);
}

// Channel 0's count, latched: the counter-latch command copies the count
// into the output latch and changes nothing else; the two reads (low byte,
// high byte, as the BIOS's 16-bit access has it) empty the latch again.
inline uint16_t channel0_count() {
  outb(port_command, latch_channel0);
  const uint8_t low = inb(port_channel0);
  return static_cast<uint16_t>(low | inb(port_channel0) << 8);
}

// Starts channel 2 counting `count` input ticks down (gate on, speaker off).
inline void start_channel2_countdown(uint16_t count) {
  outb(port_system_control, static_cast<uint8_t>((inb(port_system_control) & ~0x02) | 0x01));
  outb(port_command, 0xB0);  // channel 2, lobyte/hibyte, mode 0, binary
  outb(port_channel2, static_cast<uint8_t>(count & 0xFF));
  outb(port_channel2, static_cast<uint8_t>(count >> 8));
}

// True once the countdown started above has run out.
inline bool channel2_done() { return (inb(port_system_control) & system_control_out2) != 0; }

// The bound on every loop that polls the PIT: what it waits for is at most
// 65536 input ticks (55 ms) away and a poll takes a few microseconds on a
// PC (a few instructions in Bochs), so a million polls is far beyond it,
// and a PIT that never counts cannot hang the machine.
inline constexpr uint32_t max_polls = 1000000;

}  // namespace pit
