// VMX capability reporting (SDM Vol. 3, appendix A) and the other MSRs and
// CPUID bits VMX bring-up reads (SDM 23.6-23.8 / 24.6-24.8 in newer editions).
#pragma once

#include <stdint.h>

// CPUID.1:ECX bit 5 (SDM 23.6 "Discovering support for VMX"): ia32/cpuid.h.
#include "ia32/cpuid.h"

namespace ia32::vmx {

namespace msr {
inline constexpr uint32_t feature_control = 0x3A;
inline constexpr uint32_t sysenter_cs = 0x174;
inline constexpr uint32_t sysenter_esp = 0x175;
inline constexpr uint32_t sysenter_eip = 0x176;
inline constexpr uint32_t debugctl = 0x1D9;
inline constexpr uint32_t pat = 0x277;
inline constexpr uint32_t efer = 0xC0000080;
inline constexpr uint32_t fs_base = 0xC0000100;
inline constexpr uint32_t gs_base = 0xC0000101;

inline constexpr uint32_t vmx_basic = 0x480;
inline constexpr uint32_t vmx_pinbased_ctls = 0x481;
inline constexpr uint32_t vmx_procbased_ctls = 0x482;
inline constexpr uint32_t vmx_exit_ctls = 0x483;
inline constexpr uint32_t vmx_entry_ctls = 0x484;
inline constexpr uint32_t vmx_misc = 0x485;
inline constexpr uint32_t vmx_cr0_fixed0 = 0x486;
inline constexpr uint32_t vmx_cr0_fixed1 = 0x487;
inline constexpr uint32_t vmx_cr4_fixed0 = 0x488;
inline constexpr uint32_t vmx_cr4_fixed1 = 0x489;
inline constexpr uint32_t vmx_vmcs_enum = 0x48A;
inline constexpr uint32_t vmx_procbased_ctls2 = 0x48B;
inline constexpr uint32_t vmx_ept_vpid_cap = 0x48C;
inline constexpr uint32_t vmx_true_pinbased_ctls = 0x48D;
inline constexpr uint32_t vmx_true_procbased_ctls = 0x48E;
inline constexpr uint32_t vmx_true_exit_ctls = 0x48F;
inline constexpr uint32_t vmx_true_entry_ctls = 0x490;
inline constexpr uint32_t vmx_vmfunc = 0x491;
}  // namespace msr

// IA32_FEATURE_CONTROL (SDM 23.7): once bit 0 is set, WRMSR to it faults
// until reset, so firmware that locks it with bit 2 clear disables VMX.
namespace feature_control {
inline constexpr uint64_t lock = 1u << 0;
inline constexpr uint64_t vmx_inside_smx = 1u << 1;
inline constexpr uint64_t vmx_outside_smx = 1u << 2;
}  // namespace feature_control

// Memory types as IA32_VMX_BASIC reports them (SDM A.1).
inline constexpr uint32_t memory_type_uncacheable = 0;
inline constexpr uint32_t memory_type_write_back = 6;

// IA32_VMX_BASIC (SDM A.1).
struct VmxBasic {
  uint64_t raw;

  // Bits 30:0: goes into the first dword of the VMXON region and each VMCS.
  constexpr uint32_t revision_id() const { return static_cast<uint32_t>(raw) & 0x7FFFFFFF; }
  // Bits 44:32: bytes to allocate for the VMXON region and a VMCS (<= 4096).
  constexpr uint32_t region_bytes() const { return static_cast<uint32_t>(raw >> 32) & 0x1FFF; }
  // Bit 48: physical addresses of VMXON region, VMCS and the structures it
  // points to are limited to 32 bits.
  constexpr bool addresses_limited_to_32_bits() const { return (raw >> 48) & 1; }
  constexpr bool dual_monitor_smm() const { return (raw >> 49) & 1; }
  // Bits 53:50: memory type the CPU uses to access the VMCS.
  constexpr uint32_t vmcs_memory_type() const { return static_cast<uint32_t>(raw >> 50) & 0xF; }
  // Bit 54: VM exits caused by INS/OUTS report segment and address size in
  // the VM-exit instruction-information field.
  constexpr bool reports_ins_outs_info() const { return (raw >> 54) & 1; }
  // Bit 55: the TRUE capability MSRs 0x48D-0x490 exist and are to be used.
  constexpr bool has_true_controls() const { return (raw >> 55) & 1; }
};

// A control capability MSR (SDM A.3-A.5): bits 31:0 are the allowed-0
// settings (a 1 there means the control must be 1), bits 63:32 the
// allowed-1 settings (a 0 there means the control must be 0).
struct AllowedSettings {
  uint32_t must_be_one;
  uint32_t may_be_one;

  static constexpr AllowedSettings from_msr(uint64_t value) {
    return {static_cast<uint32_t>(value), static_cast<uint32_t>(value >> 32)};
  }
  constexpr uint64_t to_msr() const {
    return (static_cast<uint64_t>(may_be_one) << 32) | must_be_one;
  }
};

// IA32_VMX_MISC (SDM A.6), the parts a diagnostic print wants.
struct VmxMisc {
  uint64_t raw;

  // TSC bits per VMX-preemption-timer tick: the timer counts down by 1 every
  // time TSC bit X changes, X = bits 4:0.
  constexpr uint32_t preemption_timer_tsc_shift() const { return raw & 0x1F; }
  constexpr bool stores_lma_on_exit() const { return (raw >> 5) & 1; }
  // Bits 8:6: activity states supported besides active (1 hlt, 2 shutdown,
  // 4 wait-for-SIPI).
  constexpr uint32_t activity_states() const { return (raw >> 6) & 7; }
  constexpr uint32_t cr3_target_count() const { return (raw >> 16) & 0x1FF; }
  constexpr uint32_t mseg_revision() const { return static_cast<uint32_t>(raw >> 32); }
};

// CR0/CR4 constraints in VMX operation (SDM A.7, A.8): a bit set in FIXED0
// must be 1, a bit clear in FIXED1 must be 0.
struct FixedBits {
  uint64_t fixed0;
  uint64_t fixed1;

  constexpr uint64_t apply(uint64_t value) const { return (value | fixed0) & fixed1; }
  constexpr bool allows(uint64_t value) const { return apply(value) == value; }
};

}  // namespace ia32::vmx
