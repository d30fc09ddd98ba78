// The chain guest's own exit handlers (docs/chain-mode.md): the guest is
// someone else's real-mode code and the BIOS it calls, run as an
// unrestricted guest. Besides the ports its devices keep (profile_runtime.cpp,
// devices/), only this exits:
//   - CPUID: the real CPU's answer with VMX and what the VMCS would fault
//     hidden, the hypervisor bit set; leaf 0x40000000 names vmxboot (cpuid.h);
//   - HLT: with IF = 0 the guest has stopped for good (halt); with IF = 1
//     it waits for an interrupt: in the HLT activity state where the CPU
//     has it, else it simply goes on (its wait loop halts again);
//   - MOV to CR0 that changes a bit VMX operation fixes (NE): carried out
//     with the bit kept in the guest's CR0 and the guest's value in the
//     read shadow (cr0.h); any other CR access stops the guest;
//   - RDMSR/WRMSR of the few MSRs the VMM keeps (msr.h): the VMX MSRs and
//     feature control as a CPU without VMX has them (#GP, or the VMX bits
//     clear), EFER writes into the VMCS, TSC writes stop the guest, the
//     local APIC's base and x2APIC ICR to its device (apic_runtime.cpp);
//   - INVD (which always exits): carried out as WBINVD, which keeps what the
//     caches hold for memory (the VMM's too), as hypervisors do;
//   - XSETBV (which always exits): checked as the CPU checks it and carried
//     out, else the guest's #GP (xcr0.h);
//   - VMCALL: the loader's INT 15h stub asking for the memory map (E820,
//     E801, AH=88h: answered from the map the VMM built before VMLAUNCH,
//     memory_map.h), or the loader's report that it found no boot sector.
// Bounded work: one CPUID, one 20-byte store, a few VMREAD/VMWRITEs.
// 64-bit VMM only.
#include "guests/bios_chain/handlers.h"

#include "guest_header.h"
#include "common/low_memory.h"
#include "ia32/instructions.h"
#include "ia32/registers.h"
#include "ia32/vmx/cr_qualification.h"
#include "layout.h"
#include "guests/bios_chain/cpuid.h"
#include "guests/bios_chain/cr0.h"
#include "guests/bios_chain/memory_map.h"
#include "guests/bios_chain/msr.h"
#include "guests/bios_chain/xcr0.h"
#include "machine.h"
#include "vmx/exit_path.h"

namespace guests::bios_chain {

using ia32::vmx::VmcsField;
using namespace vmx::exit_path;

namespace {

constexpr uint32_t activity_hlt = 1;
constexpr uint32_t blocking_by_sti_or_mov_ss = 3;  // interruptibility bits 0, 1

State& state() { return machine.bios_chain; }

// The stub's INT 15h call: the answer in the registers and CF, the E820
// entry stored at ES:DI only where int15_buffer() allows it (else CF).
void answer_int15_call(vmx::Vcpu& vcpu) {
  State& s = state();
  vmx::GuestRegisters& r = vcpu.context.registers;
  const Int15Call call{static_cast<uint32_t>(r.rsi), static_cast<uint32_t>(r.rbx),
                       static_cast<uint32_t>(r.rcx), static_cast<uint32_t>(r.rdx)};
  Int15Answer a = answer_int15(s.memory_map, call);
  if (a.store_entry) {
    const bool paging = (vmread_or_zero(VmcsField::guest_cr0) & cr0::pg) != 0;
    // CPL: SS's DPL (SDM 26.3.1.2), bits 6:5 of its access rights.
    const unsigned cpl = (vmread_or_zero(VmcsField::guest_ss_access_rights) >> 5) & 3;
    uint64_t buffer = 0;
    if (int15_buffer(vmread_or_zero(VmcsField::guest_es_base), r.rdi, paging, cpl, buffer)) {
      volatile uint8_t* to = low_memory() + buffer;  // below 0x10FFF0: identity-mapped
      for (unsigned i = 0; i < sizeof(a.entry); ++i) to[i] = a.entry[i];
    } else {
      ++s.int15_refused;
      a = refuse_int15(call);
    }
  }
  ++s.int15_calls;
  r.rax = (r.rax & ~0xFFFFFFFFull) | a.eax;
  r.rbx = (r.rbx & ~0xFFFFFFFFull) | a.ebx;
  r.rcx = (r.rcx & ~0xFFFFFFFFull) | a.ecx;
  r.rdx = (r.rdx & ~0xFFFFFFFFull) | a.edx;
  const uint64_t rflags = vmread_or_zero(VmcsField::guest_rflags);
  write_guest_state(vcpu, VmcsField::guest_rflags, a.carry ? rflags | rflags::cf : rflags & ~rflags::cf,
                    "VMWRITE of the guest's RFLAGS failed");
  return advance_guest_rip(vcpu);
}

// The guest's #GP(0), delivered on the next VM entry at the faulting
// instruction (RIP stays): with an error code only in protected mode (a
// real-mode guest's exceptions have none, SDM 26.2.1.3).
void raise_general_protection(vmx::Vcpu& vcpu) {
  using namespace ia32::vmx::interruption;
  const bool protected_mode = (vmread_or_zero(VmcsField::guest_cr0) & cr0::pe) != 0;
  const uint32_t info =
      valid | hardware_exception << 8 | 13 | (protected_mode ? deliver_error_code : 0);
  write_guest_state(vcpu, VmcsField::entry_interruption_info, info,
                    "VMWRITE of the guest's #GP failed");
  write_guest_state(vcpu, VmcsField::entry_exception_error_code, 0,
                    "VMWRITE of the guest's #GP failed");
}

}  // namespace

void handle_cpuid(vmx::Vcpu& vcpu) {
  State& s = state();
  vmx::GuestRegisters& r = vcpu.context.registers;
  const uint32_t leaf = static_cast<uint32_t>(r.rax);
  const uint32_t subleaf = static_cast<uint32_t>(r.rcx);
  uint32_t cpu[4] = {};  // EAX, EBX, ECX, EDX
  if ((leaf & 0xF0000000u) != cpuid_bits::hypervisor_leaf) cpuid(leaf, subleaf, cpu);
  uint32_t regs[4];
  chain_cpuid(leaf, subleaf,
              static_cast<uint32_t>(vmread_or_zero(VmcsField::secondary_processor_controls)), cpu,
              regs);
  r.rax = regs[0];
  r.rbx = regs[1];
  r.rcx = regs[2];
  r.rdx = regs[3];
  bool seen = false;
  const uint32_t kept = s.cpuid_leaf_count < 16 ? s.cpuid_leaf_count : 16;
  for (uint32_t i = 0; i < kept; ++i) seen = seen || s.cpuid_leaves[i] == leaf;
  if (!seen) {
    if (s.cpuid_leaf_count < 16) s.cpuid_leaves[s.cpuid_leaf_count] = leaf;
    ++s.cpuid_leaf_count;
  }
  return advance_guest_rip(vcpu);
}

void handle_hlt(vmx::Vcpu& vcpu) {
  const uint64_t rflags = vmread_or_zero(VmcsField::guest_rflags);
  if ((rflags & rflags::if_flag) == 0) {
    return end_guest(vcpu, {vmx::guest_end::halt, vcpu.context.info.guest_rip, 0});
  }
  advance_guest_rip(vcpu);
  if (!state().hlt_activity) return;
  // Past the HLT the STI (or MOV SS) shadow it sat in is over; a guest in
  // the HLT state may not be entered with that blocking (SDM 26.3.1.5).
  const uint64_t blocking = vmread_or_zero(VmcsField::guest_interruptibility_state);
  write_guest_state(vcpu, VmcsField::guest_interruptibility_state,
                    blocking & ~uint64_t{blocking_by_sti_or_mov_ss},
                    "VMWRITE of the guest's activity state failed");
  write_guest_state(vcpu, VmcsField::guest_activity_state, activity_hlt,
                    "VMWRITE of the guest's activity state failed");
}

void handle_vmcall(vmx::Vcpu& vcpu) {
  const vmx::GuestRegisters& r = vcpu.context.registers;
  if (static_cast<uint32_t>(r.rax) == layout::GUEST_VMCALL_INT15) return answer_int15_call(vcpu);
  if (static_cast<uint32_t>(r.rax) == layout::GUEST_VMCALL_CHAIN_FAILED) {
    return end_guest(vcpu, {loader_failed, static_cast<uint32_t>(r.rbx),
                            static_cast<uint32_t>(r.rcx)});
  }
  return stop_with_dump(vcpu, "VMCALL from the chain guest (no hypercalls)");
}

void handle_cr_access(vmx::Vcpu& vcpu) {
  const ia32::vmx::CrQualification q{vcpu.context.info.exit_qualification};
  if ((q.cr() != 0 && q.cr() != 4) || q.access() != ia32::vmx::CrAccess::mov_to_cr) {
    return stop_with_dump(vcpu, "a control-register access the VMM does not carry out");
  }
  const uint64_t* gpr = vmx::register_by_code(vcpu.context.registers, q.gpr());
  const uint64_t value = gpr != nullptr ? *gpr : vmread_or_zero(VmcsField::guest_rsp);
  if (q.cr() == 4) {
    const ChainCr4Write w = chain_cr4_write(value, vmread_or_zero(VmcsField::cr4_guest_host_mask));
    if (w.fault) return raise_general_protection(vcpu);
    write_guest_state(vcpu, VmcsField::guest_cr4, w.guest_cr4, "VMWRITE of the guest's CR4 failed");
    write_guest_state(vcpu, VmcsField::cr4_read_shadow, w.read_shadow,
                      "VMWRITE of the guest's CR4 failed");
    return advance_guest_rip(vcpu);
  }
  constexpr uint64_t cs_long = 1u << 13;  // access rights bit 13: L (SDM 25.4.1)
  const uint64_t mask = vmread_or_zero(VmcsField::cr0_guest_host_mask);
  const ChainCr0Write w = chain_cr0_write(
      value, mask & ~cr0::pg, vmread_or_zero(VmcsField::guest_ia32_efer),
      vmread_or_zero(VmcsField::guest_cr4),
      (vmread_or_zero(VmcsField::guest_cs_access_rights) & cs_long) != 0);
  if (w.refused != nullptr) return stop_with_dump(vcpu, w.refused);
  write_guest_state(vcpu, VmcsField::guest_cr0, w.guest_cr0, "VMWRITE of the guest's CR0 failed");
  write_guest_state(vcpu, VmcsField::cr0_read_shadow, w.read_shadow,
                    "VMWRITE of the guest's CR0 failed");
  write_guest_state(vcpu, VmcsField::guest_ia32_efer, w.guest_efer,
                    "VMWRITE of the guest's EFER failed");
  const uint64_t entry = vmread_or_zero(VmcsField::entry_controls);
  const uint64_t ia32e = ia32::vmx::entry::ia32e_mode_guest;
  write_guest_state(vcpu, VmcsField::entry_controls, w.ia32e_mode_guest ? entry | ia32e : entry & ~ia32e,
                    "VMWRITE of the VM-entry controls failed");
  return advance_guest_rip(vcpu);
}

void handle_msr(vmx::Vcpu& vcpu) {
  vmx::GuestRegisters& r = vcpu.context.registers;
  const bool write = ia32::vmx::basic_exit_reason(vcpu.context.info.exit_reason) ==
                     static_cast<uint32_t>(ia32::vmx::ExitReason::wrmsr);
  const uint32_t index = static_cast<uint32_t>(r.rcx);
  uint64_t value = (r.rdx & 0xFFFFFFFFull) << 32 | (r.rax & 0xFFFFFFFFull);
  State& s = state();
  if (uint64_t* mtrr = s.has_mtrrs ? vmx::mtrr_register(s.guest_mtrrs, index) : nullptr) {
    if (write) {
      *mtrr = value;
    } else {
      r.rax = *mtrr & 0xFFFFFFFF;
      r.rdx = *mtrr >> 32;
    }
    return advance_guest_rip(vcpu);
  }
  if (!write && index == chain_msr_index::feature_control) value = rdmsr(index);
  const GuestNow now{vmread_or_zero(VmcsField::guest_ia32_efer),
                     (vmread_or_zero(VmcsField::guest_cr0) & cr0::pg) != 0};
  const ChainMsr m = chain_msr(index, write, value, now);
  switch (m.action) {
    case ChainMsrAction::give_value:
      r.rax = m.value & 0xFFFFFFFF;
      r.rdx = m.value >> 32;
      return advance_guest_rip(vcpu);
    case ChainMsrAction::set_efer:
      write_guest_state(vcpu, VmcsField::guest_ia32_efer, m.value,
                        "VMWRITE of the guest's EFER failed");
      return advance_guest_rip(vcpu);
    case ChainMsrAction::fault:
      return raise_general_protection(vcpu);
    case ChainMsrAction::apic_base:
      if (!write_apic_base(vcpu, m.value)) return raise_general_protection(vcpu);
      return advance_guest_rip(vcpu);
    case ChainMsrAction::x2apic_icr:
      if (!write_x2apic_icr(vcpu, m.value)) return raise_general_protection(vcpu);
      return advance_guest_rip(vcpu);
    case ChainMsrAction::stop:
      break;
  }
  return stop_with_dump(vcpu, m.why);
}

void handle_invd(vmx::Vcpu& vcpu) {
  wbinvd();
  return advance_guest_rip(vcpu);
}

void handle_xsetbv(vmx::Vcpu& vcpu) {
  const vmx::GuestRegisters& r = vcpu.context.registers;
  const uint32_t index = static_cast<uint32_t>(r.rcx);
  const uint64_t value = (r.rdx & 0xFFFFFFFFull) << 32 | (r.rax & 0xFFFFFFFFull);
  uint32_t xsave[4];  // CPUID.(EAX=0DH,ECX=0): EDX:EAX, the components XCR0 may hold
  cpuid(0xD, 0, xsave);
  if (!xsetbv_allowed(index, value, uint64_t{xsave[3]} << 32 | xsave[0])) {
    return raise_general_protection(vcpu);
  }
  // XSETBV needs CR4.OSXSAVE; the VMM's CR4 has it only for this.
  const uintptr_t cr4 = read_cr4();
  write_cr4(cr4 | cr4::osxsave);
  xsetbv(index, value);
  write_cr4(cr4);
  return advance_guest_rip(vcpu);
}

}  // namespace guests::bios_chain
