// Shared by the entry_checks_*.cpp files (not part of the API): the Checker
// each check function reads the VMCS through and reports to, the check
// tables each file contributes, and small helpers for the SDM's recurring
// conditions (alignment, address width, canonical form, access rights).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "ia32/registers.h"
#include "ia32/vmx/controls.h"
#include "ia32/vmx/interruption_info.h"
#include "ia32/vmx/fields.h"
#include "vmx/checks/entry_checks.h"

namespace vmx::entry_checks {

using Field = ia32::vmx::VmcsField;

class Checker {
 public:
  Checker(const VmcsReader& vmcs, const EntryCheckEnvironment& env) : vmcs_(vmcs), env_(env) {}

  const EntryCheckEnvironment& env() const { return env_; }

  // The field's value; 0 after a failed read, which is recorded as the
  // check's failure (kind vmcs_unreadable) unless it already failed.
  uint64_t read(Field field);

  // The current check fails on `field` holding `found`. Only the first
  // failure of a run is kept; a check returns right after calling fail().
  void fail(Field field, uint64_t found);
  void fail(Field field, uint64_t found, uint64_t expected);
  // The field the rule ties the failing one to (call after fail()).
  void relate(Field field, uint64_t value);

  bool failed() const { return failed_; }
  const CheckFailure& failure() const { return failure_; }
  void begin(const EntryCheckInfo& info, EntryFailureKind kind) {
    current_ = &info;
    current_kind_ = kind;
  }

  // Control words as the CPU sees them: the secondary word counts only when
  // "activate secondary controls" is 1 (SDM 24.6.2).
  uint32_t pin_controls() { return static_cast<uint32_t>(read(Field::pin_based_controls)); }
  uint32_t primary_controls() {
    return static_cast<uint32_t>(read(Field::primary_processor_controls));
  }
  uint32_t secondary_controls();
  uint32_t exit_controls() { return static_cast<uint32_t>(read(Field::exit_controls)); }
  uint32_t entry_controls() { return static_cast<uint32_t>(read(Field::entry_controls)); }

  bool unrestricted_guest();
  bool ia32e_mode_guest();
  bool host_address_space_size();
  bool guest_v86();  // RFLAGS.VM

  // Bits a physical address may have: the CPU's width, and for structures
  // the VMCS points to also IA32_VMX_BASIC[48] (32-bit addresses only).
  unsigned physical_address_width() const;
  unsigned vmx_structure_address_width() const;
  unsigned linear_address_width() const;
  bool canonical(uint64_t address) const;
  uint64_t canonical_form(uint64_t address) const;  // sign-extended from the width

 private:
  const VmcsReader& vmcs_;
  const EntryCheckEnvironment& env_;
  const EntryCheckInfo* current_ = nullptr;
  EntryFailureKind current_kind_ = EntryFailureKind::invalid_control_fields;
  bool failed_ = false;
  CheckFailure failure_{};
};

struct Check {
  EntryCheckInfo info;
  void (*run)(Checker&);
};

// The checks of one SDM heading group, in the SDM's order.
struct CheckGroup {
  const Check* checks;
  size_t count;
  EntryFailureKind kind;
};

extern const CheckGroup control_field_checks;      // 26.2.1.1-26.2.1.3
extern const CheckGroup host_state_checks;         // 26.2.2-26.2.4
extern const CheckGroup guest_register_checks;     // 26.3.1.1
extern const CheckGroup guest_segment_checks;      // 26.3.1.2
extern const CheckGroup guest_non_segment_checks;  // 26.3.1.3-26.3.1.6

template <size_t N>
constexpr CheckGroup make_group(const Check (&checks)[N], EntryFailureKind kind) {
  return {checks, N, kind};
}

// ---------------------------------------------------------------- helpers

constexpr bool fits_width(uint64_t value, unsigned width) {
  return width >= 64 || (value >> width) == 0;
}
constexpr uint64_t truncate_to_width(uint64_t value, unsigned width) {
  return width >= 64 ? value : value & ((uint64_t{1} << width) - 1);
}
constexpr bool bit(uint64_t value, unsigned n) { return ((value >> n) & 1) != 0; }

// The field is a physical address with bits `low_zero_mask` clear (4 KiB
// alignment: 0xFFF) and no bit beyond the width for VMX structures.
void require_aligned(Checker& c, Field field, uint64_t low_zero_mask);
void require_structure_width(Checker& c, Field field);
void require_canonical(Checker& c, Field field);
// A control register within IA32_VMX_CRn_FIXED0/FIXED1 (A.7, A.8).
void require_fixed_bits(Checker& c, Field field, uint64_t fixed0, uint64_t fixed1);

// IA32_PAT-format value: every byte one of the memory types 0, 1, 4, 5, 6, 7.
constexpr bool valid_pat(uint64_t pat) {
  for (unsigned i = 0; i < 8; ++i) {
    uint64_t type = (pat >> (i * 8)) & 0xFF;
    if (type == 2 || type == 3 || type > 7) return false;
  }
  return true;
}
// The same with each invalid byte replaced by 6 (write-back).
constexpr uint64_t nearest_valid_pat(uint64_t pat) {
  uint64_t result = 0;
  for (unsigned i = 0; i < 8; ++i) {
    uint64_t type = (pat >> (i * 8)) & 0xFF;
    if (type == 2 || type == 3 || type > 7) type = 6;
    result |= type << (i * 8);
  }
  return result;
}

// IA32_EFER: SCE (0), LME (8), LMA (10), NXE (11) are all a VM entry
// accepts; everything else is reserved.
namespace efer {
inline constexpr uint64_t lme = 1u << 8;
inline constexpr uint64_t lma = 1u << 10;
inline constexpr uint64_t reserved = ~uint64_t{0xD01};
}  // namespace efer

// Segment access rights in the VMX format (SDM 24.4.1).
namespace access {
constexpr uint32_t type(uint64_t ar) { return ar & 0xF; }
constexpr bool code(uint64_t ar) { return bit(ar, 3); }
constexpr bool s(uint64_t ar) { return bit(ar, 4); }
constexpr uint32_t dpl(uint64_t ar) { return (ar >> 5) & 3; }
constexpr bool present(uint64_t ar) { return bit(ar, 7); }
constexpr bool l(uint64_t ar) { return bit(ar, 13); }
constexpr bool db(uint64_t ar) { return bit(ar, 14); }
constexpr bool g(uint64_t ar) { return bit(ar, 15); }
constexpr bool unusable(uint64_t ar) { return bit(ar, 16); }
inline constexpr uint64_t reserved_bits = 0xF00ull | 0xFFFE0000ull;  // 11:8, 31:17
inline constexpr uint64_t granularity = 1u << 15;
// G must be 0 if any of limit bits 11:0 is 0, and 1 if any of 31:20 is 1.
constexpr bool granularity_consistent(uint64_t limit, uint64_t ar) {
  if ((limit & 0xFFF) != 0xFFF && g(ar)) return false;
  if ((limit & 0xFFF00000) != 0 && !g(ar)) return false;
  return true;
}
}  // namespace access

// RFLAGS and DEBUGCTL bits only the checks name (CR0, CR4 and the RFLAGS
// flags: ia32/registers.h).
namespace bits {
// Reserved RFLAGS bits that must be 0 (63:22, 15, 5, 3) and the one that
// must be 1 (bit 1).
inline constexpr uint64_t rflags_must_be_0 =
    ~uint64_t{0x3FFFFF} | (1u << 15) | (1u << 5) | (1u << 3);
inline constexpr uint64_t rflags_must_be_1 = 1u << 1;
inline constexpr uint64_t debugctl_btf = 1u << 1;
}  // namespace bits

// The VM-entry interruption-information field (SDM 24.8.3): the layout is
// the exit fields' (ia32/vmx/interruption_info.h).
namespace entry_event = ia32::vmx::interruption;

// Guest interruptibility state (SDM 24.4.2, table 24-3).
namespace interruptibility {
inline constexpr uint64_t sti = 1u << 0;
inline constexpr uint64_t mov_ss = 1u << 1;
inline constexpr uint64_t smi = 1u << 2;
inline constexpr uint64_t nmi = 1u << 3;
inline constexpr uint64_t enclave = 1u << 4;
inline constexpr uint64_t reserved = ~uint64_t{0x1F};
}  // namespace interruptibility

// Guest activity states (SDM 24.4.2).
namespace activity {
inline constexpr uint64_t active = 0;
inline constexpr uint64_t hlt = 1;
inline constexpr uint64_t shutdown = 2;
inline constexpr uint64_t wait_for_sipi = 3;
}  // namespace activity

}  // namespace vmx::entry_checks
