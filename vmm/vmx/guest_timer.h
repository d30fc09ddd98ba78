// The bound on the guest's time: a guest that never exits (a loop with
// interrupts off) must still end the run. Where the CPU has it, the
// VMX-preemption timer (pin-based control bit 6; SDM 26.5.1) counts down
// while the guest runs, one step every 2^X TSC ticks (X = IA32_VMX_MISC
// bits 4:0), and exits (reason 52) at zero. Elsewhere (Core 2) the PIT's
// IRQ0 with external-interrupt exiting (pin-based bit 0) does it: an
// external interrupt exits whatever the guest's RFLAGS.IF, the CPU
// acknowledges it on exit (exit control bit 15) and the VMM, which keeps
// its own interrupts off, sends the PIC its EOI and counts the tick.
//
// Neither counts the time the VMM spends in VM exits (the preemption timer
// stops in VMX root operation; the PIC latches one IRQ0 however many ticks
// an exit spans), so the bound is also a TSC deadline: every exit checks it
// first and, with the preemption timer, starts the next stretch with the
// time that is left (vmx/exit_runtime.cpp). Every exit does bounded work
// (string I/O in chunks, each COM1 byte waited for at most two character
// times at the VMM's baud rate), so a guest that floods exits is stopped
// within its bound plus one exit.
//
// The constants and the arithmetic are pure; guest_timer_runtime.cpp
// programs the PIT and the PIC (64-bit VMM only).
#pragma once

#include <stdint.h>

#include "ia32/pit.h"
#include "common/uart16550_registers.h"
#include "layout.h"

namespace vmx::guest_timer {

// The unit the TSC is calibrated in, and the bound of a guest that says
// no other: two seconds of guest time.
inline constexpr uint32_t limit_ms = 2000;

// PIT channel 0 in rate-generator mode at 20 Hz: a tick every 50 ms.
inline constexpr uint32_t pit_tick_hz = 20;
inline constexpr uint16_t pit_divisor = static_cast<uint16_t>((pit::input_hz + pit_tick_hz / 2) / pit_tick_hz);
inline constexpr uint32_t pit_ticks_for_limit = limit_ms * pit_tick_hz / 1000;
static_assert(pit_ticks_for_limit * 1000 == limit_ms * pit_tick_hz, "whole ticks");
// Where the VMM puts the master PIC's vectors: IRQ0 arrives as this vector
// in the exit's interruption information.
inline constexpr uint8_t irq0_vector = 0x20;

// TSC ticks in `seconds` given the ticks in limit_ms, or `unbounded` when
// seconds is 0 or the product would pass it (no wrap, whatever the header says).
constexpr uint64_t seconds_in_ticks(uint64_t ticks_in_limit, uint32_t seconds,
                                    uint64_t unbounded) {
  const uint64_t per_second = ticks_in_limit / (limit_ms / 1000);
  if (seconds == 0 || per_second > unbounded / seconds) return unbounded;
  return per_second * seconds;
}

// The VMX-preemption timer's start value for `tsc_ticks` of guest time at
// a rate of one step per 2^tsc_shift TSC ticks; the field is 32 bits wide.
constexpr uint32_t preemption_timer_value(uint64_t tsc_ticks, uint32_t tsc_shift) {
  const uint64_t steps = tsc_ticks >> (tsc_shift & 31);
  return steps > 0xFFFFFFFFull ? 0xFFFFFFFFu : static_cast<uint32_t>(steps);
}

// The start value that makes the VMX-preemption timer expire at `deadline`
// (a TSC value) when the guest is entered at `now`; 0 once it has passed.
constexpr uint32_t preemption_timer_value_until(uint64_t deadline, uint64_t now,
                                                uint32_t tsc_shift) {
  return deadline > now ? preemption_timer_value(deadline - now, tsc_shift) : 0;
}

// The longest the exit path waits for COM1's transmitter before one byte,
// in TSC ticks: the VMM's UART runs at uart16550::BAUD, 8N1, and the exit
// path sends a byte only once the transmitter is empty, so one character
// time is the most a byte can wait. Twice that, for the clock's slack.
constexpr uint64_t uart_byte_wait_ticks(uint64_t tsc_ticks_in_limit) {
  return tsc_ticks_in_limit * 1000 * uart16550::BITS_PER_BYTE_8N1 * 2 /
             (uint64_t{uart16550::BAUD} * limit_ms) +
         1;
}

// The guest's time bound as the exits see it (each Vcpu has one): the
// deadline every exit checks (vmx/exit_runtime.cpp), and with the
// VMX-preemption timer when to restart it with what is left; without it
// the PIT ticks counted.
struct TimeBound {
  uint64_t next_check;     // TSC value: the first exit from then on checks the clock:
                           // the deadline, or the next refresh, whichever is first
  uint64_t deadline;       // TSC value, from start()
  uint64_t refresh_ticks;  // the VMX-preemption timer's refresh interval
  uint64_t tsc_ticks;      // in the whole limit
  uint32_t timer_shift;    // IA32_VMX_MISC bits 4:0
  bool preemption_timer;   // restart it with what is left
  uint32_t pit_tick_limit;  // without it: PIT ticks in the limit (0: none)
  uint32_t pit_ticks;      // and so far

  // The bound for `tsc_ticks` of guest time; refreshed at 1% of it.
  static constexpr TimeBound of(uint64_t tsc_ticks, bool preemption_timer, uint32_t timer_shift,
                                uint32_t pit_tick_limit) {
    return {0, 0, tsc_ticks / 100, tsc_ticks, timer_shift, preemption_timer, pit_tick_limit, 0};
  }
  // Right before the first entry, at TSC `now`: the deadline is now + the limit.
  constexpr void start(uint64_t now) {
    deadline = now + tsc_ticks;
    next_check = preemption_timer ? now + refresh_ticks : 0;
  }
};

// guest_timer_runtime.cpp:
// TSC ticks in limit_ms, measured against PIT channel 0 as the BIOS runs
// it (the PIT's input clock is the same on every PC; the TSC's rate is
// not), without programming the PIT. 0 when channel 0 is not in mode 2 or
// 3 with 16-bit binary access, or did not count 10 ms within
// pit::max_polls polls (no working PIT: then there is no clock to bound
// the guest by).
uint64_t tsc_ticks_in_limit();
// The PIC masks start_pit_ticks() replaced.
struct PicMasks {
  uint8_t master, slave;
};
// IRQ0 only at the master PIC (re-initialised, which also drops requests
// that waited while the VMM ran with interrupts off), the slave masked,
// PIT channel 0 at pit_tick_hz. Returns the masks it replaced.
PicMasks start_pit_ticks();
// PIT channel 0 back to the BIOS's 18.2 Hz, the PIC masks as they were.
void stop_pit_ticks(PicMasks masks);
// End of interrupt for an IRQ the CPU acknowledged on VM exit.
void end_of_interrupt();

}  // namespace vmx::guest_timer
