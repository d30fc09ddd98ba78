// The mode a processor runs its code in, from the state a VMCS holds of it
// (SDM Vol. 3A 2.2: real, protected, virtual-8086, IA-32e with its 64-bit
// and compatibility submodes; 3.4.5: CS's L and D bits pick the submode
// and the default operand size). Names a guest's mode in exit reports, so
// that a RIP reads as what it is. Pure.
#pragma once

#include <stdint.h>

#include "ia32/registers.h"

namespace ia32 {

enum class CpuMode : uint8_t { real, v86, protected16, protected32, compat16, compat32, long64 };

// CS's access rights as a VMCS holds them (SDM 25.4.1, Table 25-2).
inline constexpr uint32_t access_rights_l = 1u << 13, access_rights_db = 1u << 14;

// `ia32e`: EFER.LMA (a VM exit stores it in the "IA-32e mode guest" entry
// control, SDM 28.2, also where the VMCS does not save EFER).
constexpr CpuMode cpu_mode(uint64_t cr0_value, uint64_t rflags_value, bool ia32e,
                           uint32_t cs_access_rights) {
  const bool d = (cs_access_rights & access_rights_db) != 0;
  if (ia32e) {
    if ((cs_access_rights & access_rights_l) != 0) return CpuMode::long64;
    return d ? CpuMode::compat32 : CpuMode::compat16;
  }
  if ((cr0_value & cr0::pe) == 0) return CpuMode::real;
  if ((rflags_value & rflags::vm) != 0) return CpuMode::v86;
  return d ? CpuMode::protected32 : CpuMode::protected16;
}

constexpr const char* cpu_mode_name(CpuMode mode) {
  switch (mode) {
    case CpuMode::real: return "real mode";
    case CpuMode::v86: return "virtual-8086 mode";
    case CpuMode::protected16: return "16-bit protected mode";
    case CpuMode::protected32: return "32-bit protected mode";
    case CpuMode::compat16: return "16-bit compatibility mode";
    case CpuMode::compat32: return "32-bit compatibility mode";
    case CpuMode::long64: return "64-bit mode";
  }
  return "?";
}

}  // namespace ia32
