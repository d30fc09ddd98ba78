// Exit qualification of a control-register access (SDM Vol. 3, table "Exit
// Qualification for Control-Register Accesses").
#pragma once

#include <stdint.h>

namespace ia32::vmx {

enum class CrAccess : uint8_t { mov_to_cr = 0, mov_from_cr = 1, clts = 2, lmsw = 3 };

struct CrQualification {
  uint64_t raw;

  // Bits 3:0: the control register.
  constexpr unsigned cr() const { return static_cast<unsigned>(raw & 0xF); }
  // Bits 5:4: the access.
  constexpr CrAccess access() const { return static_cast<CrAccess>((raw >> 4) & 3); }
  // Bits 11:8: the general register of a MOV (register codes: 0 RAX ... 4 RSP ... 15 R15).
  constexpr unsigned gpr() const { return static_cast<unsigned>((raw >> 8) & 0xF); }
};

}  // namespace ia32::vmx
