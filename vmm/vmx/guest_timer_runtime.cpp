// PIT and PIC programming for the guest's time bound (vmx/guest_timer.h).
#include "vmx/guest_timer.h"

#include "ia32/instructions.h"
#include "ia32/io.h"
#include "ia32/pit.h"

namespace vmx::guest_timer {
namespace {

constexpr uint16_t port_pic_master_command = 0x20;
constexpr uint16_t port_pic_master_data = 0x21;
constexpr uint16_t port_pic_slave_data = 0xA1;
constexpr uint8_t pic_eoi = 0x20;

}  // namespace

uint64_t tsc_ticks_in_limit() {
  // 10 ms of PIT channel 0 against the TSC: a 0.01% error at most from the
  // PIT's own step, and short, since every run on a CPU with the preemption
  // timer pays it. Channel 0 as the BIOS left it, only read (read-back
  // status, counter latches), so that a guest that owns the machine finds the PIT as the
  // BIOS programmed it: mode 2 (the Bochs BIOS and SeaBIOS) or 3 (a square
  // wave, which other BIOSes may choose), reload 65536 assumed
  // (pit::ticks_between). The count is followed poll by poll,
  // each step far shorter than the count's period, and the TSC read with
  // the first count and the last.
  constexpr uint32_t calibration_ms = 10;
  constexpr uint32_t calibration_ticks = pit::input_hz / (1000 / calibration_ms);
  constexpr uint64_t ticks_in_limit = uint64_t{pit::input_hz} * limit_ms / 1000;
  const uint32_t step = pit::count_step(pit::channel0_status());
  if (step == 0) return 0;
  uint16_t count = pit::channel0_count();
  const uint64_t start = rdtsc();
  uint32_t elapsed = 0;
  for (uint32_t polls = 0; elapsed < calibration_ticks; ++polls) {
    if (polls == pit::max_polls) return 0;
    const uint16_t now = pit::channel0_count();
    elapsed += pit::ticks_between(count, now, step);
    count = now;
  }
  return (rdtsc() - start) * ticks_in_limit / elapsed;
}

PicMasks start_pit_ticks() {
  const PicMasks saved{inb(port_pic_master_data), inb(port_pic_slave_data)};
  outb(port_pic_slave_data, 0xFF);
  // ICW1 (edge, cascade, ICW4 follows), ICW2 (vector base), ICW3 (slave on
  // IR2), ICW4 (8086 mode). Initialisation clears the request register.
  outb(port_pic_master_command, 0x11);
  outb(port_pic_master_data, irq0_vector);
  outb(port_pic_master_data, 0x04);
  outb(port_pic_master_data, 0x01);
  outb(port_pic_master_data, 0xFE);  // IRQ0 only
  outb(pit::port_command, 0x34);  // channel 0, lobyte/hibyte, mode 2, binary
  outb(pit::port_channel0, static_cast<uint8_t>(pit_divisor & 0xFF));
  outb(pit::port_channel0, static_cast<uint8_t>(pit_divisor >> 8));
  return saved;
}

void stop_pit_ticks(PicMasks saved) {
  outb(port_pic_master_data, 0xFF);
  outb(pit::port_command, 0x36);  // channel 0, mode 3, divisor 65536: 18.2 Hz
  outb(pit::port_channel0, 0);
  outb(pit::port_channel0, 0);
  outb(port_pic_master_data, saved.master);
  outb(port_pic_slave_data, saved.slave);
}

void end_of_interrupt() { outb(port_pic_master_command, pic_eoi); }

}  // namespace vmx::guest_timer
