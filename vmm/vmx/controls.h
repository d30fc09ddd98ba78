// VM-execution, exit and entry controls computed from the capability MSRs
// (SDM Vol. 3, A.2-A.5): each word is the wanted bits plus the bits the CPU
// insists on (allowed-0 settings), and every bit of it must be allowed
// (allowed-1 settings). Pure: the VMM reads the MSRs, tests pass the values
// each Bochs model reports.
#pragma once

#include <stdint.h>

#include "ia32/vmx/capabilities.h"
#include "ia32/vmx/controls.h"

namespace vmx {

// The capability MSRs as read. A value the CPU does not have is 0: the TRUE
// MSRs when IA32_VMX_BASIC bit 55 is clear, 0x48B when the primary controls
// may not set "activate secondary controls", 0x48C when the secondary ones
// may not set "enable EPT".
struct CapabilityMsrs {
  uint64_t basic;                // 0x480
  uint64_t pin_based;            // 0x481
  uint64_t primary_processor;    // 0x482
  uint64_t exit;                 // 0x483
  uint64_t entry;                // 0x484
  uint64_t misc;                 // 0x485
  uint64_t cr0_fixed0;           // 0x486
  uint64_t cr0_fixed1;           // 0x487
  uint64_t cr4_fixed0;           // 0x488
  uint64_t cr4_fixed1;           // 0x489
  uint64_t secondary_processor;  // 0x48B
  uint64_t true_pin_based;       // 0x48D
  uint64_t true_primary_processor;  // 0x48E
  uint64_t true_exit;            // 0x48F
  uint64_t true_entry;           // 0x490
  uint64_t ept_vpid;             // 0x48C, read only where the secondary controls allow EPT
};

// One value per control word, indexed like ia32::vmx::ControlWord.
struct ControlWords {
  uint32_t pin_based;
  uint32_t primary_processor;
  uint32_t secondary_processor;
  uint32_t exit;
  uint32_t entry;

  uint32_t& operator[](ia32::vmx::ControlWord word);
  uint32_t operator[](ia32::vmx::ControlWord word) const;
};

// A bit that cannot take the value needed: wanted (or required by the CPU)
// but not allowed to be 1. `required_by_cpu` tells an inconsistent MSR (a
// must-be-1 bit that may not be 1) from a feature the CPU lacks.
struct ControlError {
  ia32::vmx::ControlWord word;
  uint8_t bit;
  bool required_by_cpu;
  const char* bit_name;
};

struct ControlResult {
  bool ok;
  ControlWords controls;  // valid when ok
  ControlError error;     // valid when !ok
};

// The lowest set bit of `bits` (bits != 0): of several bits that fail, the
// one a control error names.
constexpr uint8_t lowest_bit(uint32_t bits) {
  uint8_t bit = 0;
  while ((bits & 1) == 0) {
    bits >>= 1;
    ++bit;
  }
  return bit;
}
static_assert(lowest_bit(0x80000000u) == 31 && lowest_bit(0x0401E172u) == 1);

// Which MSR settles a word: the TRUE MSR when IA32_VMX_BASIC bit 55 is set
// (it may allow 0 for some default-1 bits), else the original one; 0x48B for
// the secondary word, which has no TRUE variant.
ia32::vmx::AllowedSettings allowed_settings(const CapabilityMsrs& msrs,
                                            ia32::vmx::ControlWord word);
uint32_t capability_msr_index(const CapabilityMsrs& msrs, ia32::vmx::ControlWord word);

// Final controls for `wanted`. Secondary controls are used only when some
// secondary bit is wanted (or required): then "activate secondary controls"
// is set in the primary word, and is itself checked like a wanted bit. When
// several bits fail, the error names the first in word order, lowest bit
// first.
ControlResult compute_controls(const CapabilityMsrs& msrs, const ControlWords& wanted);

}  // namespace vmx
