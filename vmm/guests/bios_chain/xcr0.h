// A chain guest's XSETBV (docs/chain-mode.md), which exits whatever the
// controls say: the VMM checks the value as the CPU would (SDM Vol. 2,
// XSETBV) and carries it out, or the guest gets the #GP the CPU would give
// it. XCR0 is not switched on VM entry and exit: the VMM uses no extended
// state (it is built without SSE), so the guest's XCR0 simply stays. Pure.
#pragma once

#include <stdint.h>

namespace guests::bios_chain {

inline constexpr uint64_t xcr0_x87 = 1u << 0, xcr0_sse = 1u << 1, xcr0_avx = 1u << 2;
inline constexpr uint64_t xcr0_bndregs = 1u << 3, xcr0_bndcsr = 1u << 4;
inline constexpr uint64_t xcr0_avx512 = 7u << 5;  // opmask, ZMM_Hi256, Hi16_ZMM

// Whether XSETBV may write `value` to XCR `index`, on a CPU whose XCR0 may
// hold `supported` (CPUID.(EAX=0DH,ECX=0):EDX:EAX).
constexpr bool xsetbv_allowed(uint32_t index, uint64_t value, uint64_t supported) {
  if (index != 0) return false;                         // XCR0 only
  if ((value & ~supported) != 0) return false;          // a component the CPU lacks
  if ((value & xcr0_x87) == 0) return false;            // x87 always
  if ((value & xcr0_avx) != 0 && (value & xcr0_sse) == 0) return false;
  const bool bnd_regs = (value & xcr0_bndregs) != 0, bnd_csr = (value & xcr0_bndcsr) != 0;
  if (bnd_regs != bnd_csr) return false;                // MPX: both or neither
  const uint64_t avx512 = value & xcr0_avx512;
  if (avx512 != 0 && (avx512 != xcr0_avx512 || (value & xcr0_avx) == 0)) return false;
  return true;
}

}  // namespace guests::bios_chain
