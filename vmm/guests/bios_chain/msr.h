// A chain guest's RDMSR and WRMSR (docs/chain-mode.md). The guest runs
// with an MSR bitmap (SDM 25.6.9): every MSR is its own, read and written
// without a VM exit, except the few the VMM keeps:
//   - the VMX capability MSRs (0x480-0x493), which a CPU without VMX does
//     not have (CPUID tells the guest there is none): #GP, as there;
//   - IA32_FEATURE_CONTROL (0x3A): read with its VMX-enable bits clear,
//     written: #GP (the BIOS locked it);
//   - IA32_EFER's writes: the guest's EFER is in the VMCS (load/save EFER
//     controls) so that the VMM keeps its own; SCE, LME and NXE are carried
//     out, LMA stays the CPU's (it follows CR0.PG: cr0.h), reserved bits
//     and a change of LME while paging is on are a #GP, as natively;
//   - every MSR outside the bitmap's two ranges (0-0x1FFF and
//     0xC0000000-0xC0001FFF), which always exit: none is an Intel CPU's
//     (0xC0010000 up are AMD's, 0x40000000 up a hypervisor's), so #GP, as
//     on the CPU itself; Linux probes AMD's with RDMSR and its #GP fixup;
//   - IA32_TSC and IA32_TSC_ADJUST's writes: the TSC is the VMM's clock for
//     the guest's time bound; a write stops the guest;
//   - the MTRRs (MTRRdefType, the variable and fixed ranges) where the CPU
//     has them: read and written in a shadow the VMM keeps (the guest reads
//     back what it wrote), so that the memory types of the VMM's own memory
//     stay the firmware's; the guest's memory types are the EPT's, from the
//     firmware's MTRRs (vmx/identity_ept.h). (IA32_PAT needs no bit: the
//     VMCS switches it, load and save PAT.)
//   - the local APIC's two paths the VMM mediates (devices/local_apic.h):
//     IA32_APIC_BASE's writes (the register page may not land on the
//     VMM's memory) and the x2APIC ICR's writes (MSR 0x830: the IPIs).
// Pure: the plan fills the bitmap, the exit handler asks chain_msr().
#pragma once

#include <stdint.h>

#include "guests/bios_chain/cr0.h"
#include "vmx/mtrr.h"

namespace guests::bios_chain {

namespace chain_msr_index {
inline constexpr uint32_t tsc = 0x10;
inline constexpr uint32_t apic_base = 0x1B;
inline constexpr uint32_t feature_control = 0x3A;
inline constexpr uint32_t tsc_adjust = 0x3B;
inline constexpr uint32_t vmx_first = 0x480;  // IA32_VMX_BASIC
inline constexpr uint32_t vmx_last = 0x493;   // IA32_VMX_VMFUNC ... the last one Bochs has
inline constexpr uint32_t x2apic_icr = 0x830;
inline constexpr uint32_t efer = 0xC0000080;
}  // namespace chain_msr_index

inline constexpr uint64_t feature_control_vmx_bits = 0x6;  // VMX inside / outside SMX
inline constexpr uint64_t efer_sce = 1u << 0, efer_nxe = 1u << 11;

// Bit of `msr` in the 4 KiB bitmap: reads of 0-0x1FFF, reads of
// 0xC0000000-0xC0001FFF, then the same two for writes, 1 KiB each.
// False for an MSR outside both ranges (those always exit).
constexpr bool msr_bitmap_bit(uint32_t msr, bool write, uint32_t& byte, uint8_t& mask) {
  uint32_t base;
  if (msr <= 0x1FFF) {
    base = 0;
  } else if (msr >= 0xC0000000u && msr <= 0xC0001FFFu) {
    base = 1024;
    msr -= 0xC0000000u;
  } else {
    return false;
  }
  byte = base + (write ? 2048 : 0) + msr / 8;
  mask = static_cast<uint8_t>(1u << (msr % 8));
  return true;
}

inline constexpr uint32_t msr_bitmap_bytes = 4096;

// The chain guest's bitmap (msr_bitmap_bytes): zero (no exits) but the MSRs
// the VMM keeps; `mtrrs`: the CPU's MTRRs as read (nullptr: none), whose
// registers the VMM keeps too.
constexpr void fill_chain_msr_bitmap(uint8_t* bitmap, const vmx::Mtrrs* mtrrs = nullptr) {
  for (uint32_t i = 0; i < msr_bitmap_bytes; ++i) bitmap[i] = 0;
  auto keep = [bitmap](uint32_t msr, bool read, bool write) {
    uint32_t byte = 0;
    uint8_t mask = 0;
    if (read && msr_bitmap_bit(msr, false, byte, mask)) bitmap[byte] |= mask;
    if (write && msr_bitmap_bit(msr, true, byte, mask)) bitmap[byte] |= mask;
  };
  using namespace chain_msr_index;
  for (uint32_t msr = vmx_first; msr <= vmx_last; ++msr) keep(msr, true, true);
  keep(feature_control, true, true);
  keep(efer, false, true);
  keep(tsc, false, true);
  keep(tsc_adjust, false, true);
  keep(apic_base, false, true);
  keep(x2apic_icr, false, true);
  if (mtrrs != nullptr) {
    vmx::Mtrrs shape = *mtrrs;
    for (uint32_t msr = vmx::mtrr_msr::variable_base0; msr <= vmx::mtrr_msr::def_type; ++msr) {
      if (vmx::mtrr_register(shape, msr) != nullptr) keep(msr, true, true);
    }
  }
}

enum class ChainMsrAction : uint8_t {
  give_value,  // RDMSR: `value` to the guest (EDX:EAX)
  set_efer,    // WRMSR EFER: `value` into the VMCS's guest EFER
  fault,       // #GP, as a CPU without VMX
  stop,        // the guest ends (`why`)
  apic_base,   // WRMSR IA32_APIC_BASE of `value`: the APIC device decides
  x2apic_icr,  // WRMSR of `value` to the x2APIC ICR: the APIC device decides
};

struct ChainMsr {
  ChainMsrAction action;
  uint64_t value;
  const char* why;  // stop
};

// The guest as an MSR write finds it.
struct GuestNow {
  uint64_t efer;  // the VMCS's guest EFER
  bool paging;    // CR0.PG
};

// What the VMM does for an RDMSR (write = false; `value`: the real MSR's,
// read by the caller for feature_control only) or a WRMSR (`value`: EDX:EAX).
constexpr ChainMsr chain_msr(uint32_t msr, bool write, uint64_t value, GuestNow now = {}) {
  using namespace chain_msr_index;
  if (msr >= vmx_first && msr <= vmx_last) return {ChainMsrAction::fault, 0, nullptr};
  uint32_t byte = 0;
  uint8_t mask = 0;
  if (!msr_bitmap_bit(msr, write, byte, mask)) return {ChainMsrAction::fault, 0, nullptr};
  if (msr == feature_control) {
    if (write) return {ChainMsrAction::fault, 0, nullptr};
    return {ChainMsrAction::give_value, value & ~feature_control_vmx_bits, nullptr};
  }
  if (write && msr == efer) {
    if ((value & ~(efer_sce | efer_lme | efer_lma | efer_nxe)) != 0) {
      return {ChainMsrAction::fault, 0, nullptr};
    }
    if (now.paging && ((value ^ now.efer) & efer_lme) != 0) return {ChainMsrAction::fault, 0, nullptr};
    return {ChainMsrAction::set_efer, (value & (efer_sce | efer_lme | efer_nxe)) | (now.efer & efer_lma),
            nullptr};
  }
  if (write && msr == apic_base) return {ChainMsrAction::apic_base, value, nullptr};
  if (write && msr == x2apic_icr) return {ChainMsrAction::x2apic_icr, value, nullptr};
  if (write && (msr == tsc || msr == tsc_adjust)) {
    return {ChainMsrAction::stop, 0, "a write to the TSC, the VMM's clock for the time bound"};
  }
  return {ChainMsrAction::stop, 0, "an MSR access the VMM does not keep"};
}

}  // namespace guests::bios_chain
