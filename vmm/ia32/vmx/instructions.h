// The VMX instructions (SDM Vol. 3, chapter 31 / Vol. 2 "VMX instruction
// reference") as inline asm for the 64-bit VMM, each returning the outcome
// the CPU signals in RFLAGS (SDM 31.2): VMsucceed clears CF and ZF,
// VMfailInvalid sets CF (no current VMCS, so no error number), VMfailValid
// sets ZF (the error number is in the VMCS field 0x4400).
//
// 64-bit only; host tests never include this header.
#pragma once

#include <stdint.h>

#if !defined(__x86_64__)
#error "ia32/vmx/instructions.h is for the 64-bit VMM only"
#endif

namespace ia32::vmx {

enum class VmxResult : uint8_t { success, fail_invalid, fail_valid };

constexpr VmxResult vmx_result(bool carry, bool zero) {
  return carry ? VmxResult::fail_invalid : zero ? VmxResult::fail_valid : VmxResult::success;
}

constexpr const char* vmx_result_name(VmxResult result) {
  switch (result) {
    case VmxResult::success: return "VMsucceed";
    case VmxResult::fail_invalid: return "VMfailInvalid";
    case VmxResult::fail_valid: return "VMfailValid";
  }
  return "?";
}

// The memory operand of VMXON/VMCLEAR/VMPTRLD is a 64-bit variable holding
// the region's physical address, not the region itself.
inline VmxResult vmxon(uint64_t region_physical_address) {
  bool carry, zero;
  asm volatile("vmxon %[address]"
               : "=@ccc"(carry), "=@ccz"(zero)
               : [address] "m"(region_physical_address)
               : "memory");
  return vmx_result(carry, zero);
}

inline VmxResult vmclear(uint64_t vmcs_physical_address) {
  bool carry, zero;
  asm volatile("vmclear %[address]"
               : "=@ccc"(carry), "=@ccz"(zero)
               : [address] "m"(vmcs_physical_address)
               : "memory");
  return vmx_result(carry, zero);
}

inline VmxResult vmptrld(uint64_t vmcs_physical_address) {
  bool carry, zero;
  asm volatile("vmptrld %[address]"
               : "=@ccc"(carry), "=@ccz"(zero)
               : [address] "m"(vmcs_physical_address)
               : "memory");
  return vmx_result(carry, zero);
}

inline VmxResult vmwrite(uint32_t field, uint64_t value) {
  bool carry, zero;
  asm volatile("vmwrite %[value], %[field]"
               : "=@ccc"(carry), "=@ccz"(zero)
               : [field] "r"(static_cast<uint64_t>(field)), [value] "rm"(value)
               : "memory");
  return vmx_result(carry, zero);
}

inline VmxResult vmread(uint32_t field, uint64_t* value) {
  bool carry, zero;
  uint64_t result;
  asm volatile("vmread %[field], %[value]"
               : [value] "=rm"(result), "=@ccc"(carry), "=@ccz"(zero)
               : [field] "r"(static_cast<uint64_t>(field))
               : "memory");
  *value = result;
  return vmx_result(carry, zero);
}

// Lean forms for the VM-exit path: one flag test (CF or ZF = failed), no
// VmxResult to build. True on success.
[[gnu::always_inline]] inline bool vmread_succeeded(uint32_t field, uint64_t* value) {
  bool failed;
  uint64_t result;
  asm volatile("vmread %[field], %[value]"
               : [value] "=r"(result), "=@ccbe"(failed)
               : [field] "r"(static_cast<uint64_t>(field)));
  *value = result;
  return !failed;
}

[[gnu::always_inline]] inline bool vmwrite_succeeded(uint32_t field, uint64_t value) {
  bool failed;
  asm volatile("vmwrite %[value], %[field]"
               : "=@ccbe"(failed)
               : [field] "r"(static_cast<uint64_t>(field)), [value] "r"(value)
               : "memory");
  return !failed;
}

// VMLAUNCH/VMRESUME return here only when they fail; on success the CPU runs
// the guest and the next VM exit continues at the VMCS's host RIP. The VMM
// enters the guest from its exit stub (vmx/runtime/exit_stub.asm), which
// needs the guest's registers loaded; these are for probes and tests of the
// failure paths.
inline VmxResult vmlaunch() {
  bool carry, zero;
  asm volatile("vmlaunch" : "=@ccc"(carry), "=@ccz"(zero) : : "memory");
  return vmx_result(carry, zero);
}

inline VmxResult vmresume() {
  bool carry, zero;
  asm volatile("vmresume" : "=@ccc"(carry), "=@ccz"(zero) : : "memory");
  return vmx_result(carry, zero);
}

inline VmxResult vmxoff() {
  bool carry, zero;
  asm volatile("vmxoff" : "=@ccc"(carry), "=@ccz"(zero) : : "memory");
  return vmx_result(carry, zero);
}

// INVEPT (SDM Vol. 3, "INVEPT"): invalidates the translations the CPU
// derived from EPT pointer `eptp` (type 1, single-context) or from every
// EPT (type 2); the descriptor is 128 bits: the EPT pointer, then 0.
inline VmxResult invept(uint64_t type, uint64_t eptp) {
  const uint64_t descriptor[2] = {eptp, 0};
  bool carry, zero;
  asm volatile("invept %[descriptor], %[type]"
               : "=@ccc"(carry), "=@ccz"(zero)
               : [descriptor] "m"(descriptor), [type] "r"(type)
               : "memory");
  return vmx_result(carry, zero);
}

// In VMX root operation VMCALL is a VMfailValid with error 1 (or
// VMfailInvalid without a current VMCS); in a guest it is a VM exit.
inline VmxResult vmcall() {
  bool carry, zero;
  asm volatile("vmcall" : "=@ccc"(carry), "=@ccz"(zero) : : "memory");
  return vmx_result(carry, zero);
}

}  // namespace ia32::vmx
