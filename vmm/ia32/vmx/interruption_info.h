// VM-exit interruption information and IDT-vectoring information fields
// (SDM Vol. 3, 25.9.2 and 25.9.3 in the 2023 edition): both have this layout.
#pragma once

#include <stdint.h>

#include "ia32/exceptions.h"  // the vectors' names

namespace ia32::vmx {

struct InterruptionInfo {
  uint32_t raw;

  constexpr uint8_t vector() const { return static_cast<uint8_t>(raw); }
  // Bits 10:8.
  constexpr unsigned type() const { return (raw >> 8) & 7; }
  constexpr bool error_code_valid() const { return (raw >> 11) & 1; }
  constexpr bool nmi_unblocking_due_to_iret() const { return (raw >> 12) & 1; }
  constexpr bool valid() const { return (raw >> 31) & 1; }
};

constexpr const char* interruption_type_name(unsigned type) {
  switch (type) {
    case 0: return "external-interrupt";
    case 2: return "nmi";
    case 3: return "hardware-exception";
    case 4: return "software-interrupt";
    case 5: return "privileged-software-exception";
    case 6: return "software-exception";
    case 7: return "other-event";
  }
  return "reserved";
}

}  // namespace ia32::vmx
