// A20 and the reset lines of the PC's keyboard controller and system
// control port A, kept for a guest that owns the machine. The SDM blocks
// A20M# in VMX operation; Bochs 2.7 does not, and masks address bit 20
// after the EPT's translation (docs/bochs.md), so a guest that turned A20
// off would reach host pages through guest-physical addresses the EPT
// allows. The line stays on whatever the guest writes; the guest reads back
// what it wrote:
//   - port 0x92 (system control port A): bit 1 is A20, kept set on the real
//     port; bit 0 is the fast reset, which ends the run (`reset`);
//   - the keyboard controller: command 0xD1 to port 0x64 makes the next
//     byte to port 0x60 its output port, whose bit 1 is A20 (kept set) and
//     bit 0 the reset line (clear: `reset`); command 0xD0 makes the next
//     read of port 0x60 the output port, bit 1 as the guest last wrote it;
//     0xDD (A20 off, where a controller has it) is dropped, 0xFE (the reset
//     pulse) ends the run; every other access is carried out.
// Pure but for devices/port_io.h.
#pragma once

#include <stdint.h>

#include "devices/port_device.h"

namespace devices {

inline constexpr uint16_t kbc_data_port = 0x60;
inline constexpr uint8_t a20_bit = 1u << 1;

struct SystemControl {
  bool port92_a20;           // A20 as the guest last wrote it to port 0x92
  bool kbc_a20;              // and to the keyboard controller's output port
  bool kbc_output_port_next;  // 0xD1 given: the next byte to 0x60 is the output port
  bool kbc_output_read_next;  // 0xD0 given: the next read of 0x60 is the output port
  uint32_t a20_writes_kept;  // writes that would have turned A20 off
};

// The device, its state set as the firmware leaves a PC: A20 on.
PortDevice system_control_device(SystemControl& state);

}  // namespace devices
