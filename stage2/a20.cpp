#include "a20.h"

#include "bios_call.h"
#include "ia32/io.h"
#include "layout.h"

namespace a20 {
namespace {

// One byte at segment:offset. DS stays 0 for the C++ code around; FS,
// which GCC's code never uses, reaches the other segment.
uint8_t read_far(uint16_t segment, uint32_t offset) {
  uint8_t value;
  asm volatile("movw %w1, %%fs\n\tmovb %%fs:(%2), %0"
               : "=q"(value)
               : "r"(segment), "r"(offset)
               : "memory");
  return value;
}

void write_far(uint16_t segment, uint32_t offset, uint8_t value) {
  asm volatile("movw %w0, %%fs\n\tmovb %2, %%fs:(%1)"
               :
               : "r"(segment), "r"(offset), "q"(value)
               : "memory");
}

// 0000:0500 and FFFF:0510 are the same byte (0x100500 wrapped to 0x500)
// unless A20 is on. Both bytes are left as they were.
bool is_on() {
  constexpr uint16_t low_segment = 0, high_segment = 0xFFFF;
  constexpr uint32_t low = 0x500, high = 0x510;
  const uint8_t low_was = read_far(low_segment, low);
  const uint8_t high_was = read_far(high_segment, high);
  write_far(low_segment, low, 0x55);
  write_far(high_segment, high, 0xAA);
  const bool on = read_far(low_segment, low) == 0x55;
  write_far(high_segment, high, high_was);
  write_far(low_segment, low, low_was);
  return on;
}

// Port 0x92 (the "fast A20" of the system control port): bit 1 is A20, bit
// 0 resets the machine. Only bit 1 changes, and only when it is clear.
void by_port_92() {
  constexpr uint16_t port = 0x92;
  constexpr uint8_t a20_bit = 1u << 1, reset_bit = 1u << 0;
  const uint8_t value = inb(port);
  if ((value & a20_bit) == 0) outb(port, uint8_t((value | a20_bit) & ~reset_bit));
}

void by_bios() {
  BiosRegs regs{};
  regs.eax = 0x2401;  // INT 15h AX=2401h: enable A20
  bios_call(0x15, regs);
}

// Waits until the keyboard controller takes input (status bit 1 clear),
// bounded: where there is no controller the status reads 0xFF for ever.
void kbc_wait() {
  constexpr uint16_t status_port = 0x64;
  constexpr uint8_t input_full = 1u << 1;
  for (uint32_t tries = 0xFFFF; tries != 0 && (inb(status_port) & input_full) != 0; --tries) {
  }
}

// The controller's output port: its bit 1 is A20 (bit 0 would reset).
void by_keyboard_controller() {
  constexpr uint16_t command_port = 0x64, data_port = 0x60;
  constexpr uint8_t write_output_port = 0xD1, a20_on_no_reset = 0xDF;
  kbc_wait();
  outb(command_port, write_output_port);
  kbc_wait();
  outb(data_port, a20_on_no_reset);
  kbc_wait();
}

}  // namespace

uint8_t enable() {
  if (is_on()) return layout::A20_ALREADY_ON;
  by_port_92();
  if (is_on()) return layout::A20_PORT92;
  by_bios();
  if (is_on()) return layout::A20_BIOS;
  by_keyboard_controller();
  if (is_on()) return layout::A20_KBC;
  return 0;
}

}  // namespace a20
