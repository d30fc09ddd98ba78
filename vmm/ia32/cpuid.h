// CPUID decoding (SDM Vol. 2A, CPUID): pure functions over register values,
// so that tests can feed them the values of any CPU.
#pragma once

#include <stdint.h>

namespace cpuid_leaf {
inline constexpr uint32_t vendor = 0;
inline constexpr uint32_t features = 1;
inline constexpr uint32_t max_extended = 0x80000000;
inline constexpr uint32_t extended_features = 0x80000001;
inline constexpr uint32_t brand_first = 0x80000002;  // ..0x80000004
inline constexpr uint32_t address_sizes = 0x80000008;
}  // namespace cpuid_leaf

inline constexpr uint32_t cpuid1_ecx_vmx = 1u << 5;
inline constexpr uint32_t cpuid1_ecx_x2apic = 1u << 21;
inline constexpr uint32_t cpuid1_edx_apic = 1u << 9;
inline constexpr uint32_t cpuid1_edx_mtrr = 1u << 12;
inline constexpr uint32_t cpuid80000001_edx_1g_pages = 1u << 26;
inline constexpr uint32_t cpuid80000001_edx_long_mode = 1u << 29;

// CPUs without extended leaves answer leaf 0x80000000 with whatever their
// highest basic leaf holds: only a 0x8000xxxx value is a real maximum.
constexpr bool has_extended_leaf(uint32_t leaf80000000_eax, uint32_t leaf) {
  return (leaf80000000_eax & 0xFFFF0000) == 0x80000000 && leaf80000000_eax >= leaf;
}

// Family, model and stepping as the SDM says to display them: the extended
// family is added only for family 0xF, the extended model is prefixed only
// for families 0x6 and 0xF.
struct CpuSignature {
  uint32_t family;
  uint32_t model;
  uint32_t stepping;
};

constexpr CpuSignature decode_signature(uint32_t leaf1_eax) {
  const uint32_t base_family = (leaf1_eax >> 8) & 0xF;
  const uint32_t base_model = (leaf1_eax >> 4) & 0xF;
  const uint32_t family =
      base_family == 0xF ? base_family + ((leaf1_eax >> 20) & 0xFF) : base_family;
  const uint32_t model = (base_family == 0x6 || base_family == 0xF)
                             ? (((leaf1_eax >> 16) & 0xF) << 4) | base_model
                             : base_model;
  return {family, model, leaf1_eax & 0xF};
}

// The 12-character vendor string from leaf 0 (EBX, EDX, ECX order).
inline void decode_vendor(uint32_t ebx, uint32_t ecx, uint32_t edx, char out[13]) {
  const uint32_t parts[3] = {ebx, edx, ecx};
  for (int p = 0; p < 3; ++p) {
    for (int i = 0; i < 4; ++i) out[p * 4 + i] = static_cast<char>(parts[p] >> (8 * i));
  }
  out[12] = '\0';
}
