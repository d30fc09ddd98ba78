// A chain guest's MOVs to CR0 and CR4 and its way into long mode and back
// (docs/chain-mode.md; KVM's enter_lmode/exit_lmode are the model).
//
// Under unrestricted guest the guest owns CR0 but for two kinds of bits in
// the CR0 guest/host mask, whose changes exit:
//   - the bits VMX operation fixes to 1 and the CPU still wants fixed
//     (CR0.NE on every model Bochs emulates): the guest's CR0 keeps them at
//     1 and the read shadow takes what the guest wrote, so that it reads
//     back its own value;
//   - CR0.PG, because turning paging on with EFER.LME set is entering
//     IA-32e mode, which in VMX non-root operation the VMM carries out: it
//     sets EFER.LMA in the guest's EFER (the VMCS's, load/save EFER) and the
//     "IA-32e mode guest" VM-entry control; turning paging off leaves it,
//     clearing both (SDM Vol. 3, 10.8.5; 26.3.1.1: EFER.LMA must equal that
//     control, and with paging on EFER.LME must equal LMA).
// CR4 is the guest's but for VMXE, which stays set (VMX operation) and
// hidden (CPUID says there is no VMX): a MOV to CR4 that sets it faults as
// on a CPU without VMX. What MOV to CR0 or CR4 faults on natively stops the
// guest instead. Pure.
#pragma once

#include <stdint.h>

#include "ia32/registers.h"

namespace guests::bios_chain {

inline constexpr uint64_t cr0_cd = 1ull << 30, cr0_nw = 1ull << 29;
inline constexpr uint64_t efer_lme = 1u << 8, efer_lma = 1u << 10;

// The guest's CR0 bits the VMM looks at: the forced ones and PG.
constexpr uint64_t cr0_guest_host_mask(uint64_t forced) { return forced | cr0::pg; }

struct ChainCr0Write {
  const char* refused;    // nullptr: carry it out; else why not (the CPU would #GP)
  uint64_t guest_cr0;     // the CR0 the guest runs with
  uint64_t read_shadow;   // what it reads
  uint64_t guest_efer;    // EFER with LMA as the write leaves it
  bool ia32e_mode_guest;  // the VM-entry control, as EFER.LMA
};

// A MOV to CR0 of `value`, the CPU's fixed-1 bits `forced` (CR0.NE), with
// the guest's EFER, CR4 and CS.L as they are now.
constexpr ChainCr0Write chain_cr0_write(uint64_t value, uint64_t forced, uint64_t efer,
                                        uint64_t cr4, bool cs_long) {
  // What MOV to CR0 faults on natively (SDM Vol. 2, MOV to CR, and Vol. 3
  // 10.8.5): reserved bits 63:32, PG without PE, NW without CD, paging on
  // with LME but not PAE, paging off in 64-bit code.
  if ((value >> 32) != 0) return {"reserved bits 63:32 set", 0, 0, 0, false};
  if ((value & cr0::pg) != 0 && (value & cr0::pe) == 0) return {"PG without PE", 0, 0, 0, false};
  if ((value & cr0_nw) != 0 && (value & cr0_cd) == 0) return {"NW without CD", 0, 0, 0, false};
  const bool paging = (value & cr0::pg) != 0;
  bool lma = (efer & efer_lma) != 0;
  if (paging && !lma && (efer & efer_lme) != 0) {
    if ((cr4 & cr4::pae) == 0) return {"paging on with EFER.LME but not CR4.PAE", 0, 0, 0, false};
    lma = true;  // into IA-32e mode
  } else if (!paging && lma) {
    if (cs_long) return {"paging off in 64-bit code", 0, 0, 0, false};
    lma = false;  // out of it
  }
  const uint64_t mask = cr0_guest_host_mask(forced);
  return {nullptr, value | forced, value & mask, lma ? efer | efer_lma : efer & ~efer_lma, lma};
}

struct ChainCr4Write {
  bool fault;           // #GP: the guest set VMXE
  uint64_t guest_cr4;   // VMXE kept set
  uint64_t read_shadow;
};

// A MOV to CR4 that exited (it changed a host-owned bit: VMXE).
constexpr ChainCr4Write chain_cr4_write(uint64_t value, uint64_t host_owned) {
  if ((value & cr4::vmxe) != 0) return {true, 0, 0};
  return {false, value | host_owned, value & host_owned};
}

}  // namespace guests::bios_chain
