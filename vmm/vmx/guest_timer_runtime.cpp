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

uint8_t saved_master_mask;
uint8_t saved_slave_mask;

}  // namespace

uint64_t tsc_ticks_in_limit() {
  // 10 ms of PIT channel 2 against the TSC: a 0.01% error at most from the
  // PIT's own step, and short, since every run on a CPU with the preemption
  // timer pays it.
  constexpr uint32_t calibration_ms = 10;
  constexpr uint32_t count = pit::input_hz / (1000 / calibration_ms);
  pit::start_channel2_countdown(count);
  const uint64_t start = rdtsc();
  if (!pit::wait_channel2_done()) return 0;
  return (rdtsc() - start) * (limit_ms / calibration_ms);
}

void start_pit_ticks() {
  saved_master_mask = inb(port_pic_master_data);
  saved_slave_mask = inb(port_pic_slave_data);
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
}

void stop_pit_ticks() {
  outb(port_pic_master_data, 0xFF);
  outb(pit::port_command, 0x36);  // channel 0, mode 3, divisor 65536: 18.2 Hz
  outb(pit::port_channel0, 0);
  outb(pit::port_channel0, 0);
  outb(port_pic_master_data, saved_master_mask);
  outb(port_pic_slave_data, saved_slave_mask);
}

void end_of_interrupt() { outb(port_pic_master_command, pic_eoi); }

}  // namespace vmx::guest_timer
