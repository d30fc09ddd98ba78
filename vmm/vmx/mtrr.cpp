#include "vmx/mtrr.h"

namespace vmx {

namespace {
constexpr uint8_t uc = 0, wt = 4, wb = 6;

// The type if it is one (0, 1, 4, 5, 6: bits of 0x73), else UC.
uint8_t valid(uint64_t type) {
  type &= 0xFF;
  return type < 8 && ((0x73 >> type) & 1) != 0 ? uint8_t(type) : uc;
}

// The fixed-range type of the 4 KiB page at `page` (below 1 MiB): 64 KiB
// units from 0 (one register), 16 KiB from 0x80000 (two), 4 KiB from 0xC0000.
uint8_t fixed_type(const Mtrrs& m, uint64_t page) {
  const uint32_t first = page < 0x80000 ? 0 : page < 0xC0000 ? 1 : 3;
  const uint64_t base = first == 0 ? 0 : first == 1 ? 0x80000 : 0xC0000;
  const uint64_t unit = (page - base) >> (16 - 2 * (first == 3 ? 2 : first));
  return valid(m.fixed[first + unit / 8] >> (unit % 8 * 8));
}
}  // namespace

MtrrSpan mtrr_span(const Mtrrs& m, uint64_t first, uint64_t bytes) {
  if ((m.def_type & mtrr_def_enable) == 0) return {uc, true};
  if (first < (1u << 20) && (m.cap & mtrr_cap_fixed) != 0 &&
      (m.def_type & mtrr_def_fixed_enable) != 0) {
    // (The identity EPT maps the first 2 MiB by 4 KiB pages: a larger
    // block here is not looked into.)
    return bytes == 4096 ? MtrrSpan{fixed_type(m, first), true} : MtrrSpan{uc, false};
  }
  // The variable ranges that match: one bit per type (SDM 11.11.4.1).
  uint32_t matched = 0;
  const uint32_t count = mtrr_variable_count(m.cap) < mtrr_max_variable
                             ? mtrr_variable_count(m.cap) : mtrr_max_variable;
  for (uint32_t n = 0; n < count; ++n) {
    if ((m.mask[n] & mtrr_mask_valid) == 0) continue;
    const uint64_t mask = m.mask[n] & ~uint64_t{0xFFF};
    const uint64_t outside = mask & ~(bytes - 1);  // the bits that pick the block
    if ((first & outside) != (m.base[n] & outside)) continue;
    if ((mask & (bytes - 1)) != 0) return {uc, false};  // the range covers part of the block only
    matched |= 1u << valid(m.base[n]);
  }
  if (matched == 0) return {valid(m.def_type), true};
  if (matched & (1u << uc)) return {uc, true};
  if (matched == ((1u << wt) | (1u << wb))) return {wt, true};
  if ((matched & (matched - 1)) == 0) return {uint8_t(__builtin_ctz(matched)), true};  // one type
  return {uc, true};  // undefined by the SDM
}

uint8_t mtrr_type(const Mtrrs& m, uint64_t first, uint64_t bytes) {
  const MtrrSpan span = mtrr_span(m, first, bytes);
  return span.uniform ? span.type : uc;
}

}  // namespace vmx
