// The memory type the MTRRs give each part of the physical space (SDM vol. 3,
// 11.11: the registers; 11.11.4.1: which range wins), for an identity EPT
// (vmx/identity_ept.h):
// under EPT the guest's accesses take their type from the EPT entry, not
// from the MTRRs (SDM 29.3.7), so the EPT must carry what the firmware set.
// Pure: the VMM reads the MSRs (vmx/bringup/build_vmcs.cpp), the unit tests
// give any values.
#pragma once

#include <stdint.h>

namespace vmx {

namespace mtrr_msr {
inline constexpr uint32_t cap = 0xFE, def_type = 0x2FF, variable_base0 = 0x200;
// The fixed ranges, in address order: 8 x 64 KiB from 0, 16 x 16 KiB from
// 0x80000, 64 x 4 KiB from 0xC0000 (one type per byte).
inline constexpr uint32_t fixed[11] = {0x250, 0x258, 0x259, 0x268, 0x269, 0x26A,
                                       0x26B, 0x26C, 0x26D, 0x26E, 0x26F};
}  // namespace mtrr_msr

inline constexpr uint64_t mtrr_cap_fixed = 1u << 8;  // MTRRCAP.FIX
inline constexpr uint64_t mtrr_def_fixed_enable = 1u << 10, mtrr_def_enable = 1u << 11;
inline constexpr uint64_t mtrr_mask_valid = 1u << 11;
// More variable ranges than any CPU we know of has (VCNT is 8 or 10); a CPU
// with more is not described (mtrr_describable): the VMM falls back then.
inline constexpr uint32_t mtrr_max_variable = 16;

// The registers as read: fixed[] only where MTRRCAP.FIX is set (else 0).
struct Mtrrs {
  uint64_t cap, def_type;
  uint64_t fixed[11];
  uint64_t base[mtrr_max_variable], mask[mtrr_max_variable];
};

// The register of `m` that MSR `index` reads and writes: MTRRdefType, a
// variable range's base or mask (of the VCNT the CPU has), a fixed range
// (where MTRRCAP.FIX says there are); nullptr for any other MSR, MTRRCAP
// among them (read-only).
constexpr uint64_t* mtrr_register(Mtrrs& m, uint32_t index) {
  if (index == mtrr_msr::def_type) return &m.def_type;
  const uint32_t variable = static_cast<uint32_t>(m.cap & 0xFF);
  if (index >= mtrr_msr::variable_base0 && index - mtrr_msr::variable_base0 < 2 * variable &&
      variable <= mtrr_max_variable) {
    const uint32_t n = (index - mtrr_msr::variable_base0) / 2;
    return (index - mtrr_msr::variable_base0) % 2 == 0 ? &m.base[n] : &m.mask[n];
  }
  if ((m.cap & mtrr_cap_fixed) != 0) {
    for (uint32_t i = 0; i < 11; ++i) {
      if (index == mtrr_msr::fixed[i]) return &m.fixed[i];
    }
  }
  return nullptr;
}

// MTRRCAP.VCNT, and whether Mtrrs can hold that many ranges.
inline uint32_t mtrr_variable_count(uint64_t cap) { return cap & 0xFF; }
inline bool mtrr_describable(uint64_t cap) { return mtrr_variable_count(cap) <= mtrr_max_variable; }

// The memory type (0 UC, 1 WC, 4 WT, 5 WP, 6 WB: the EPT's encoding too) of
// [first, first + bytes), bytes a power of two from 4 KiB, first aligned to
// it. Uncacheable where the registers leave it undefined (overlapping
// variable ranges other than UC or WT over WB, a reserved type) and where
// the block's bytes would not all have one type (a variable range that
// covers part of it; any block but 4 KiB below 1 MiB with the fixed
// ranges on).
uint8_t mtrr_type(const Mtrrs& m, uint64_t first, uint64_t bytes);

// The same block's type, and whether every byte of it has that type
// (false where mtrr_type gives UC because the block's bytes differ: a
// larger page must then be split).
struct MtrrSpan {
  uint8_t type;
  bool uniform;
};
MtrrSpan mtrr_span(const Mtrrs& m, uint64_t first, uint64_t bytes);

}  // namespace vmx
