// What the chain guest's CPUID shows: the CPU's own answer, less what this
// VMM does not give the guest. Pure (host tests: chain_cpuid_test.cpp).
//   - VMX (leaf 1 ECX bit 5) hidden and the hypervisor bit (bit 31) set:
//     the guest runs under a hypervisor that offers no nested VMX;
//   - leaf 0x40000000 names vmxboot and offers no further hypervisor leaf;
//   - an instruction that a secondary control the VMCS leaves clear turns
//     into #UD (SDM 25.3: RDTSCP, INVPCID, XSAVES/XRSTORS) is hidden, so
//     that an OS which trusts CPUID never runs it. Linux's
//     native_flush_tlb_global runs INVPCID where CPUID offers it.
#pragma once

#include <stdint.h>

#include "ia32/vmx/controls.h"

namespace guests::bios_chain {

namespace cpuid_bits {
inline constexpr uint32_t hypervisor_leaf = 0x40000000;
inline constexpr uint32_t leaf1_ecx_vmx = 1u << 5;
inline constexpr uint32_t leaf1_ecx_hypervisor = 1u << 31;
inline constexpr uint32_t leaf7_ebx_invpcid = 1u << 10;
inline constexpr uint32_t leafd1_eax_xsaves = 1u << 3;
inline constexpr uint32_t ext1_edx_rdtscp = 1u << 27;  // leaf 0x80000001
}  // namespace cpuid_bits

// The secondary controls the chain guest wants where the CPU allows them:
// each keeps one instruction the guest's CPUID may offer. Not XSAVES: it
// would need the XSS-exiting bitmap set up and IA32_XSS kept per side;
// an OS without it uses XSAVEC or XSAVEOPT.
inline constexpr uint32_t cpuid_secondary_controls =
    ia32::vmx::secondary_processor::enable_rdtscp |
    ia32::vmx::secondary_processor::enable_invpcid;

// regs: EAX, EBX, ECX, EDX. `cpu`: the CPU's own answer for the leaf, not
// used for hypervisor leaves. `secondary`: the VMCS's secondary controls.
inline void chain_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t secondary,
                        const uint32_t cpu[4], uint32_t regs[4]) {
  using namespace cpuid_bits;
  namespace s = ia32::vmx::secondary_processor;
  if ((leaf & 0xF0000000u) == hypervisor_leaf) {
    regs[0] = regs[1] = regs[2] = regs[3] = 0;
    if (leaf == hypervisor_leaf) {
      regs[0] = hypervisor_leaf;  // the highest hypervisor leaf
      regs[1] = 0x62786D76;       // "vmxb"
      regs[2] = 0x00746F6F;       // "oot\0"
    }
    return;
  }
  for (int i = 0; i < 4; ++i) regs[i] = cpu[i];
  if (leaf == 1) regs[2] = (regs[2] & ~leaf1_ecx_vmx) | leaf1_ecx_hypervisor;
  if (leaf == 7 && subleaf == 0 && (secondary & s::enable_invpcid) == 0) {
    regs[1] &= ~leaf7_ebx_invpcid;
  }
  if (leaf == 0xD && subleaf == 1 && (secondary & s::enable_xsaves_xrstors) == 0) {
    regs[0] &= ~leafd1_eax_xsaves;
  }
  if (leaf == 0x80000001 && (secondary & s::enable_rdtscp) == 0) regs[3] &= ~ext1_edx_rdtscp;
}

}  // namespace guests::bios_chain
