// Chain mode's exit handlers (README "Chain mode"): the guest is someone
// else's real-mode code and the BIOS it calls, run as an unrestricted guest.
// Only what the VMM keeps exits:
//   - COM1: as in the V86 demo (vmx/exit_io_runtime.cpp: data forwarded
//     and marked `guest| `, setup registers shadowed);
//   - ACPI PM1a_CNT: a write with SLP_EN ends the run (poweroff), any other
//     access is carried out;
//   - the reset paths: a byte 0xCF9 with RST (bit 2), 0xFE to the keyboard
//     controller's command port 0x64, port 0x92 with bit 0 (fast reset) end
//     the run (reset); any other access is carried out;
//   - 0xB2 (APM control: writing it raises an SMI): writes dropped. Bochs
//     2.7 returns from an SMI taken by a real-mode or unpaged unrestricted
//     guest with CR0.PE/PG/NE forced on (Bochs issue #863, docs/bochs.md);
//     reads carried out;
//   - CPUID: the real CPU's answer with VMX hidden and the hypervisor bit
//     set; leaf 0x40000000 names vmxboot;
//   - HLT: with IF = 0 the guest has stopped for good (halt); with IF = 1
//     it waits for an interrupt: in the HLT activity state where the CPU
//     has it, else it simply goes on (its wait loop halts again);
//   - under an emulator's firmware only (vmx/plan.h): a write to the Bochs
//     BIOS's panic ports 0x400/0x401 ends the run (bios-panic) instead of
//     the emulator;
//   - MOV to CR0 that changes a bit VMX operation fixes (NE): carried out
//     with the bit kept in the guest's CR0 and the guest's value in the
//     read shadow (vmx/chain_cr0.h); any other CR access stops the guest;
//   - RDMSR/WRMSR of the few MSRs the VMM keeps (vmx/chain_msr.h): the VMX
//     MSRs and feature control as a CPU without VMX has them (#GP, or the
//     VMX bits clear), EFER writes into the VMCS, TSC writes stop the guest;
//   - INVD (which always exits): carried out as WBINVD, which keeps what the
//     caches hold for memory (the VMM's too), as hypervisors do;
//   - XSETBV (which always exits): checked as the CPU checks it and carried
//     out, else the guest's #GP (vmx/chain_xcr0.h);
//   - VMCALL: the loader's INT 15h stub asking for the memory map (E820,
//     E801, AH=88h: answered from the map the VMM built before VMLAUNCH,
//     vmx/chain_memory_map.h), or the loader's report that it found no
//     boot sector.
// Bounded work: one port access, one CPUID, one 20-byte store, a few
// VMREAD/VMWRITEs.
// 64-bit VMM only.
#include "guest_header.h"
#include "common/low_memory.h"
#include "ia32/instructions.h"
#include "ia32/io.h"
#include "ia32/registers.h"
#include "ia32/vmx/io_qualification.h"
#include "layout.h"
#include "ia32/vmx/cr_qualification.h"
#include "vmx/chain_cr0.h"
#include "vmx/chain_memory_map.h"
#include "vmx/chain_msr.h"
#include "vmx/chain_xcr0.h"
#include "vmx/exit_internal.h"
#include "vmx/plan.h"

namespace vmx::chain_exits {

using ia32::vmx::IoQualification;
using ia32::vmx::VmcsField;
using namespace exit_path;

namespace {

uint16_t pm1a_cnt;  // 0: none kept
bool hlt_activity;
bool emulator_panic_ports;
const GuestMemoryMap* memory_map;

constexpr uint32_t slp_en = 1u << 13;
constexpr uint8_t cf9_reset = 1u << 2;
constexpr uint8_t kbc_pulse_reset = 0xFE;
constexpr uint8_t port92_fast_reset = 1u << 0;
constexpr uint32_t cpuid_vmx = 1u << 5;            // leaf 1 ECX
constexpr uint32_t cpuid_hypervisor = 1u << 31;    // leaf 1 ECX
constexpr uint32_t hypervisor_leaf = 0x40000000;
constexpr uint32_t activity_hlt = 1;
constexpr uint32_t blocking_by_sti_or_mov_ss = 3;  // interruptibility bits 0, 1

[[noreturn]] void end(ExitContext& exit, ChainEnd how, uint32_t detail, uint32_t detail2 = 0) {
  history.chain_end = how;
  history.chain_end_detail = detail;
  history.chain_end_detail2 = detail2;
  leave_guest(exit, exit_guest_done);
}

bool touches(uint16_t port, unsigned bytes, uint16_t first, unsigned count) {
  return uint32_t{port} < uint32_t{first} + count && uint32_t{first} < uint32_t{port} + bytes;
}

// The access carried out on the real port, as the guest made it.
uint32_t pass_through(uint16_t port, unsigned bytes, bool in, uint32_t value) {
  if (in) {
    if (bytes == 1) return inb(port);
    if (bytes == 2) return inw(port);
    return inl(port);
  }
  if (bytes == 1) outb(port, static_cast<uint8_t>(value));
  else if (bytes == 2) outw(port, static_cast<uint16_t>(value));
  else outl(port, value);
  return 0;
}

}  // namespace

void set_up(uint16_t pm1a, bool hlt, bool panic_ports, const GuestMemoryMap* map) {
  memory_map = map;
  pm1a_cnt = pm1a;
  hlt_activity = hlt;
  emulator_panic_ports = panic_ports;
}

void handle_io(ExitContext& exit) {
  if (!read_results_range<1, results_for_io_exit>(exit.info, vmread_ok)) {
    return stop(exit, "VMREAD of the exit information failed");
  }
  const IoQualification q = exit.io();
  const uint16_t port = q.port();
  const unsigned bytes = q.size_bytes();
  if (touches(port, bytes, layout::COM1_PORT, 8)) {
    if (q.is_string()) return stop_with_dump(exit, "INS/OUTS on COM1 (not handled in chain mode)");
    return vmx::handle_io(exit);  // the demo's COM1, policy and shadow
  }
  if (q.is_string()) return stop_with_dump(exit, "INS/OUTS on a port the VMM keeps");
  const bool in = q.is_in();
  const uint32_t value = static_cast<uint32_t>(exit.registers.rax) & q.size_mask();
  if (!in) {
    if (pm1a_cnt != 0 && touches(port, bytes, pm1a_cnt, 2)) {
      // The 16-bit register as this write sets it (a byte write to its
      // high half carries SLP_EN in its bit 5).
      const uint32_t written = port == pm1a_cnt ? value : value << 8;
      if ((written & slp_en) != 0) return end(exit, ChainEnd::poweroff, written & 0xFFFF);
    }
    if (bytes == 1 && port == 0xCF9 && (value & cf9_reset) != 0) {
      return end(exit, ChainEnd::reset, 0xCF9, value);
    }
    if (bytes == 1 && port == 0x64 && value == kbc_pulse_reset) {
      return end(exit, ChainEnd::reset, 0x64, value);
    }
    if (bytes == 1 && port == 0x92 && (value & port92_fast_reset) != 0) {
      return end(exit, ChainEnd::reset, 0x92, value);
    }
    if (touches(port, bytes, 0xB2, 1)) return advance_guest_rip(exit);  // dropped: no SMI
    if (emulator_panic_ports && touches(port, bytes, emulator_bios_panic_port, 2)) {
      return end(exit, ChainEnd::bios_panic, port, value);
    }
  }
  const uint32_t result = pass_through(port, bytes, in, value);
  if (in) exit.registers.rax = (exit.registers.rax & ~uint64_t{q.size_mask()}) | result;
  return advance_guest_rip(exit);
}

void handle_cpuid(ExitContext& exit) {
  if (!read_results_range<1, results_for_io_exit>(exit.info, vmread_ok)) {
    return stop(exit, "VMREAD of the exit information failed");
  }
  GuestRegisters& r = exit.registers;
  const uint32_t leaf = static_cast<uint32_t>(r.rax);
  const uint32_t subleaf = static_cast<uint32_t>(r.rcx);
  uint32_t regs[4] = {};  // EAX, EBX, ECX, EDX
  if ((leaf & 0xF0000000u) == hypervisor_leaf) {
    if (leaf == hypervisor_leaf) {
      regs[0] = hypervisor_leaf;  // the highest hypervisor leaf
      regs[1] = 0x62786D76;       // "vmxb"
      regs[2] = 0x00746F6F;       // "oot\0"
    }
  } else {
    cpuid(leaf, subleaf, regs);
    if (leaf == 1) regs[2] = (regs[2] & ~cpuid_vmx) | cpuid_hypervisor;
  }
  r.rax = regs[0];
  r.rbx = regs[1];
  r.rcx = regs[2];
  r.rdx = regs[3];
  bool seen = false;
  const uint32_t kept = history.cpuid_leaf_count < 16 ? history.cpuid_leaf_count : 16;
  for (uint32_t i = 0; i < kept; ++i) seen = seen || history.cpuid_leaves[i] == leaf;
  if (!seen) {
    if (history.cpuid_leaf_count < 16) history.cpuid_leaves[history.cpuid_leaf_count] = leaf;
    ++history.cpuid_leaf_count;
  }
  return advance_guest_rip(exit);
}

void handle_hlt(ExitContext& exit) {
  if (!read_results_range<1, results_for_io_exit>(exit.info, vmread_ok)) {
    return stop(exit, "VMREAD of the exit information failed");
  }
  const uint64_t rflags = vmread_or_zero(VmcsField::guest_rflags);
  if ((rflags & rflags::if_flag) == 0) {
    return end(exit, ChainEnd::halt, static_cast<uint32_t>(exit.info.guest_rip));
  }
  advance_guest_rip(exit);
  if (!hlt_activity) return;
  // Past the HLT the STI (or MOV SS) shadow it sat in is over; a guest in
  // the HLT state may not be entered with that blocking (SDM 26.3.1.5).
  const uint64_t blocking = vmread_or_zero(VmcsField::guest_interruptibility_state);
  if (!ia32::vmx::vmwrite_succeeded(ia32::vmx::encoding(VmcsField::guest_interruptibility_state),
                                    blocking & ~uint64_t{blocking_by_sti_or_mov_ss}) ||
      !ia32::vmx::vmwrite_succeeded(ia32::vmx::encoding(VmcsField::guest_activity_state),
                                    activity_hlt)) {
    return stop(exit, "VMWRITE of the guest's activity state failed");
  }
}

// The stub's INT 15h call: the answer in the registers and CF, the E820
// entry stored at ES:DI only where int15_buffer() allows it (else CF).
void answer_int15_call(ExitContext& exit) {
  GuestRegisters& r = exit.registers;
  const Int15Call call{static_cast<uint32_t>(r.rsi), static_cast<uint32_t>(r.rbx),
                       static_cast<uint32_t>(r.rcx), static_cast<uint32_t>(r.rdx)};
  Int15Answer a = answer_int15(*memory_map, call);
  if (a.store_entry) {
    const bool paging = (vmread_or_zero(VmcsField::guest_cr0) & cr0::pg) != 0;
    // CPL: SS's DPL (SDM 26.3.1.2), bits 6:5 of its access rights.
    const unsigned cpl = (vmread_or_zero(VmcsField::guest_ss_access_rights) >> 5) & 3;
    uint64_t buffer = 0;
    if (int15_buffer(vmread_or_zero(VmcsField::guest_es_base), r.rdi, paging, cpl, buffer)) {
      volatile uint8_t* to = low_memory() + buffer;  // below 0x10FFF0: identity-mapped
      for (unsigned i = 0; i < sizeof(a.entry); ++i) to[i] = a.entry[i];
    } else {
      ++history.int15_refused;
      a = refuse_int15(call);
    }
  }
  ++history.int15_calls;
  r.rax = (r.rax & ~0xFFFFFFFFull) | a.eax;
  r.rbx = (r.rbx & ~0xFFFFFFFFull) | a.ebx;
  r.rcx = (r.rcx & ~0xFFFFFFFFull) | a.ecx;
  r.rdx = (r.rdx & ~0xFFFFFFFFull) | a.edx;
  const uint64_t rflags = vmread_or_zero(VmcsField::guest_rflags);
  if (!ia32::vmx::vmwrite_succeeded(ia32::vmx::encoding(VmcsField::guest_rflags),
                                    a.carry ? rflags | rflags::cf : rflags & ~rflags::cf)) {
    return stop(exit, "VMWRITE of the guest's RFLAGS failed");
  }
  return advance_guest_rip(exit);
}

void handle_vmcall(ExitContext& exit) {
  if (!read_results_range<1, results_for_io_exit>(exit.info, vmread_ok)) {
    return stop(exit, "VMREAD of the exit information failed");
  }
  if (static_cast<uint32_t>(exit.registers.rax) == layout::GUEST_VMCALL_INT15 &&
      memory_map != nullptr) {
    return answer_int15_call(exit);
  }
  if (static_cast<uint32_t>(exit.registers.rax) == layout::GUEST_VMCALL_CHAIN_FAILED) {
    return end(exit, ChainEnd::loader_failed, static_cast<uint32_t>(exit.registers.rbx),
               static_cast<uint32_t>(exit.registers.rcx));
  }
  return stop_with_dump(exit, "VMCALL from the chain guest (no hypercalls)");
}

void handle_cr_access(ExitContext& exit) {
  if (!read_results_range<1, results_for_io_exit>(exit.info, vmread_ok)) {
    return stop(exit, "VMREAD of the exit information failed");
  }
  const ia32::vmx::CrQualification q{exit.info.exit_qualification};
  if (q.cr() != 0 || q.access() != ia32::vmx::CrAccess::mov_to_cr) {
    return stop_with_dump(exit, "a control-register access the VMM does not carry out");
  }
  const uint64_t* gpr = register_by_code(exit.registers, q.gpr());
  const uint64_t value = gpr != nullptr ? *gpr : vmread_or_zero(VmcsField::guest_rsp);
  const ChainCr0Write w =
      chain_cr0_write(value, vmread_or_zero(VmcsField::cr0_guest_host_mask));
  if (w.refused != nullptr) return stop_with_dump(exit, w.refused);
  if (!ia32::vmx::vmwrite_succeeded(ia32::vmx::encoding(VmcsField::guest_cr0), w.guest_cr0) ||
      !ia32::vmx::vmwrite_succeeded(ia32::vmx::encoding(VmcsField::cr0_read_shadow),
                                    w.read_shadow)) {
    return stop(exit, "VMWRITE of the guest's CR0 failed");
  }
  return advance_guest_rip(exit);
}

// The guest's #GP(0), delivered on the next VM entry at the faulting
// instruction (RIP stays): with an error code only in protected mode (a
// real-mode guest's exceptions have none, SDM 26.2.1.3).
void raise_general_protection(ExitContext& exit) {
  using namespace ia32::vmx::interruption;
  const bool protected_mode = (vmread_or_zero(VmcsField::guest_cr0) & cr0::pe) != 0;
  const uint32_t info =
      valid | hardware_exception << 8 | 13 | (protected_mode ? deliver_error_code : 0);
  if (!ia32::vmx::vmwrite_succeeded(ia32::vmx::encoding(VmcsField::entry_interruption_info),
                                    info) ||
      !ia32::vmx::vmwrite_succeeded(ia32::vmx::encoding(VmcsField::entry_exception_error_code),
                                    0)) {
    stop(exit, "VMWRITE of the guest's #GP failed");
  }
}

void handle_msr(ExitContext& exit) {
  if (!read_results_range<1, results_for_io_exit>(exit.info, vmread_ok)) {
    return stop(exit, "VMREAD of the exit information failed");
  }
  GuestRegisters& r = exit.registers;
  const bool write = ia32::vmx::basic_exit_reason(exit.info.exit_reason) ==
                     static_cast<uint32_t>(ia32::vmx::ExitReason::wrmsr);
  const uint32_t index = static_cast<uint32_t>(r.rcx);
  uint64_t value = (r.rdx & 0xFFFFFFFFull) << 32 | (r.rax & 0xFFFFFFFFull);
  if (!write && index == chain_msr_index::feature_control) value = rdmsr(index);
  const ChainMsr m = chain_msr(index, write, value);
  switch (m.action) {
    case ChainMsrAction::give_value:
      r.rax = m.value & 0xFFFFFFFF;
      r.rdx = m.value >> 32;
      return advance_guest_rip(exit);
    case ChainMsrAction::set_efer:
      if (!ia32::vmx::vmwrite_succeeded(ia32::vmx::encoding(VmcsField::guest_ia32_efer),
                                        m.value)) {
        return stop(exit, "VMWRITE of the guest's EFER failed");
      }
      return advance_guest_rip(exit);
    case ChainMsrAction::fault:
      return raise_general_protection(exit);
    case ChainMsrAction::stop:
      break;
  }
  return stop_with_dump(exit, m.why);
}

void handle_invd(ExitContext& exit) {
  if (!read_results_range<1, results_for_io_exit>(exit.info, vmread_ok)) {
    return stop(exit, "VMREAD of the exit information failed");
  }
  wbinvd();
  return advance_guest_rip(exit);
}

void handle_xsetbv(ExitContext& exit) {
  if (!read_results_range<1, results_for_io_exit>(exit.info, vmread_ok)) {
    return stop(exit, "VMREAD of the exit information failed");
  }
  const GuestRegisters& r = exit.registers;
  const uint32_t index = static_cast<uint32_t>(r.rcx);
  const uint64_t value = (r.rdx & 0xFFFFFFFFull) << 32 | (r.rax & 0xFFFFFFFFull);
  uint32_t xsave[4];  // CPUID.(EAX=0DH,ECX=0): EDX:EAX, the components XCR0 may hold
  cpuid(0xD, 0, xsave);
  if (!xsetbv_allowed(index, value, uint64_t{xsave[3]} << 32 | xsave[0])) {
    return raise_general_protection(exit);
  }
  // XSETBV needs CR4.OSXSAVE; the VMM's CR4 has it only for this.
  const uintptr_t cr4 = read_cr4();
  write_cr4(cr4 | cr4::osxsave);
  xsetbv(index, value);
  write_cr4(cr4);
  return advance_guest_rip(exit);
}

}  // namespace vmx::chain_exits
