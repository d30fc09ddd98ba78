// VM-exit interruption information and IDT-vectoring information fields
// (SDM Vol. 3, 25.9.2 and 25.9.3 in the 2023 edition): both have this layout.
#pragma once

#include <stdint.h>

#include "ia32/exceptions.h"  // the vectors' names

namespace ia32::vmx {

// The same layout serves the VM-entry interruption-information field (SDM
// 24.8.3): the event a VM entry delivers, and what the entry checks judge.
namespace interruption {
inline constexpr uint32_t valid = 1u << 31;
inline constexpr uint32_t deliver_error_code = 1u << 11;  // "error code valid" on exit
constexpr uint32_t vector(uint64_t info) { return info & 0xFF; }
constexpr uint32_t type(uint64_t info) { return (info >> 8) & 7; }  // bits 10:8
inline constexpr uint32_t external_interrupt = 0;
inline constexpr uint32_t reserved_type = 1;
inline constexpr uint32_t nmi = 2;
inline constexpr uint32_t hardware_exception = 3;
inline constexpr uint32_t software_interrupt = 4;
inline constexpr uint32_t privileged_software_exception = 5;
inline constexpr uint32_t software_exception = 6;
inline constexpr uint32_t other_event = 7;
}  // namespace interruption

struct InterruptionInfo {
  uint32_t raw;

  constexpr uint8_t vector() const { return static_cast<uint8_t>(interruption::vector(raw)); }
  constexpr unsigned type() const { return interruption::type(raw); }
  constexpr bool error_code_valid() const { return (raw & interruption::deliver_error_code) != 0; }
  constexpr bool nmi_unblocking_due_to_iret() const { return (raw >> 12) & 1; }
  constexpr bool valid() const { return (raw & interruption::valid) != 0; }
};

constexpr const char* interruption_type_name(unsigned type) {
  switch (type) {
    case interruption::external_interrupt: return "external-interrupt";
    case interruption::nmi: return "nmi";
    case interruption::hardware_exception: return "hardware-exception";
    case interruption::software_interrupt: return "software-interrupt";
    case interruption::privileged_software_exception: return "privileged-software-exception";
    case interruption::software_exception: return "software-exception";
    case interruption::other_event: return "other-event";
  }
  return "reserved";
}

}  // namespace ia32::vmx
