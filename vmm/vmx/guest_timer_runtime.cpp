// PIT and PIC programming for the guest's time bound (vmx/guest_timer.h).
#include "vmx/guest_timer.h"

#include "ia32/instructions.h"
#include "ia32/io.h"

namespace vmx::guest_timer {
namespace {

constexpr uint16_t port_pic_master_command = 0x20;
constexpr uint16_t port_pic_master_data = 0x21;
constexpr uint16_t port_pic_slave_data = 0xA1;
constexpr uint16_t port_pit_channel0 = 0x40;
constexpr uint16_t port_pit_channel2 = 0x42;
constexpr uint16_t port_pit_command = 0x43;
constexpr uint16_t port_system_control = 0x61;
constexpr uint8_t channel2_out = 0x20;
constexpr uint8_t pic_eoi = 0x20;

uint8_t saved_master_mask;
uint8_t saved_slave_mask;

}  // namespace

uint64_t tsc_ticks_in_limit() {
  // PIT channel 2, mode 0, 10 ms (lib/end_wait.cpp waits the same way): its
  // output, bit 5 of port 0x61, rises when the count runs out. Gate on,
  // speaker off. 10 ms: a 0.01% error at most from the PIT's own step, and
  // short, since every run on a CPU with the preemption timer pays it.
  constexpr uint32_t calibration_ms = 10;
  constexpr uint32_t count = pit_hz / (1000 / calibration_ms);
  outb(port_system_control, static_cast<uint8_t>((inb(port_system_control) & ~0x02) | 0x01));
  outb(port_pit_command, 0xB0);  // channel 2, lobyte/hibyte, mode 0, binary
  outb(port_pit_channel2, static_cast<uint8_t>(count & 0xFF));
  outb(port_pit_channel2, static_cast<uint8_t>(count >> 8));
  const uint64_t start = rdtsc();
  while ((inb(port_system_control) & channel2_out) == 0) {
  }
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
  outb(port_pit_command, 0x34);      // channel 0, lobyte/hibyte, mode 2, binary
  outb(port_pit_channel0, static_cast<uint8_t>(pit_divisor & 0xFF));
  outb(port_pit_channel0, static_cast<uint8_t>(pit_divisor >> 8));
}

void stop_pit_ticks() {
  outb(port_pic_master_data, 0xFF);
  outb(port_pit_command, 0x36);  // channel 0, mode 3, divisor 65536: 18.2 Hz
  outb(port_pit_channel0, 0);
  outb(port_pit_channel0, 0);
  outb(port_pic_master_data, saved_master_mask);
  outb(port_pic_slave_data, saved_slave_mask);
}

void end_of_interrupt() { outb(port_pic_master_command, pic_eoi); }

}  // namespace vmx::guest_timer
