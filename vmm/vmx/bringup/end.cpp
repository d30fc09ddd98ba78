// Phase 8, the part every guest's run shares: the ends that are not the
// guest's own (a VM entry that failed, a host NMI, an exit its profile does
// not handle) and the report's common lines. The exit handlers print
// nothing while the guest runs (vmx/exits.h): what they recorded is printed
// here, once the guest no longer runs. The guest's own ends and its
// report are its profile's (vmm/guests/<name>/).
#include "vmx/bringup/phases.h"

#include "ia32/vmx/ept_violation_qualification.h"
#include "ia32/vmx/instruction_error.h"
#include "ia32/vmx/interruption_info.h"
#include "ia32/vmx/io_qualification.h"
#include "common/console.h"
#include "common/end_run.h"
#include "common/format.h"
#include "ia32/cpu_mode.h"
#include "ia32/cpuid.h"
#include "ia32/instructions.h"
#include "vmx/checks/entry_checks.h"
#include "vmx/exit_path.h"
#include "vmx/fault_cases.h"
#include "vmx/io_emulation.h"

namespace vmx {

namespace {

void print_interruption(const char* what, uint32_t raw, uint32_t error_code) {
  const ia32::vmx::InterruptionInfo info{raw};
  if (!info.valid()) return;
  console::printf("vmx:   %s: vector %u %s, %s", what, info.vector(),
                  info.vector() < exception_vectors ? exception_name(info.vector()) : "interrupt",
                  ia32::vmx::interruption_type_name(info.type()));
  if (info.error_code_valid()) console::printf(", error code 0x%x", error_code);
  console::printf("\n");
}

// An INS/OUTS's memory operand as the exit's instruction information gives
// it (where the CPU reports it: IA32_VMX_BASIC bit 54): its segment, index
// and count registers by address size (a 64-bit guest's RSI, RDI, RCX).
void print_string_operand(const ExitInfo& info, bool in) {
  constexpr uint64_t basic_ins_outs_info = 1ull << 54;
  if ((rdmsr(0x480) & basic_ins_outs_info) == 0) return;
  const StringOperand op = string_operand_from_info(info.instruction_info, in);
  const StringRegisters r = string_registers(op, in);
  console::printf("vmx:   memory at %s:%s, count in %s (%u-bit addresses)\n",
                  ia32::vmx::segment_register_name(op.segment), r.index, r.count,
                  op.address_bytes * 8);
}

}  // namespace

void print_exit(const ExitInfo& info, uint32_t number, const GuestRegisters* registers) {
  const uint32_t basic = ia32::vmx::basic_exit_reason(info.exit_reason);
  console::printf("vmx: exit %u: reason %u %s%s, qualification 0x%lx\n", number, basic,
                  ia32::vmx::exit_reason_name(info.exit_reason),
                  ia32::vmx::is_entry_failure(info.exit_reason) ? " (VM-entry failure)" : "",
                  info.exit_qualification);
  using ia32::vmx::VmcsField;
  using exit_path::vmread_or_zero;
  const uint64_t cs = vmread_or_zero(VmcsField::guest_cs_selector);
  const ia32::CpuMode mode = ia32::cpu_mode(
      vmread_or_zero(VmcsField::guest_cr0), info.guest_rflags,
      (vmread_or_zero(VmcsField::entry_controls) & ia32::vmx::entry::ia32e_mode_guest) != 0,
      static_cast<uint32_t>(vmread_or_zero(VmcsField::guest_cs_access_rights)));
  console::printf("vmx:   guest in %s: cs 0x%lx rip 0x%lx rsp 0x%lx rflags 0x%lx\n",
                  ia32::cpu_mode_name(mode), cs, info.guest_rip, info.guest_rsp,
                  info.guest_rflags);
  console::printf("vmx:   instruction length %u, information 0x%x, guest-linear 0x%lx\n",
                  info.instruction_length, info.instruction_info, info.guest_linear_address);
  print_interruption("interruption", info.interruption_info, info.interruption_error_code);
  print_interruption("idt-vectoring", info.idt_vectoring_info, info.idt_vectoring_error_code);
  if (basic == static_cast<uint32_t>(ia32::vmx::ExitReason::io_instruction)) {
    const ia32::vmx::IoQualification q{info.exit_qualification};
    console::printf("vmx:   %s%s%s %u byte(s), port 0x%x%s\n", q.is_rep() ? "rep " : "",
                    q.is_in() ? "in" : "out", q.is_string() ? "s" : "", q.size_bytes(), q.port(),
                    q.port_is_immediate() ? " (immediate)" : " (dx)");
    if (q.is_string()) print_string_operand(info, q.is_in());
  }
  if (registers == nullptr) return;
  // All fifteen, five to a line.
  unsigned printed = 0;
#define VMX_PRINT_GUEST_REGISTER(name)                                       \
  console::printf("%s%s 0x%lx", printed % 5 == 0 ? "vmx:  " : "", " " #name, \
                  registers->name);                                          \
  if (++printed % 5 == 0) console::printf("\n");
  VMX_GUEST_REGISTERS(VMX_PRINT_GUEST_REGISTER)
#undef VMX_PRINT_GUEST_REGISTER
  if (printed % 5 != 0) console::printf("\n");
}

}  // namespace vmx

namespace vmx::bringup {

namespace {

using ia32::vmx::ExitReason;
using ia32::vmx::VmxResult;

bool is_reason(uint32_t exit_reason, ExitReason reason) {
  return ia32::vmx::basic_exit_reason(exit_reason) == static_cast<uint32_t>(reason);
}

// Returns the id of the first failed check, or "none".
const char* diagnose_entry_failure(const CapabilityMsrs& msrs) {
  const VmcsReader reader{[](void*, uint32_t field, uint64_t* value) {
                            return ia32::vmx::vmread_succeeded(field, value);
                          },
                          nullptr};
  EntryCheckEnvironment environment{};
  environment.msrs = msrs;
  environment.ept_vpid_capability = msrs.ept_vpid;
  uint32_t regs[4];
  cpuid(0x80000008, 0, regs);
  environment.physical_address_width = static_cast<uint8_t>(regs[0]);
  environment.linear_address_width = static_cast<uint8_t>(regs[0] >> 8);
  environment.processor_in_ia32e_mode = true;
  environment.memory = {[](void*, uint64_t address, uint64_t* value) {
                          if (address > 0xFFFFFFF8ull) return false;  // the 4 GiB identity map
                          *value = *reinterpret_cast<const volatile uint64_t*>(address);
                          return true;
                        },
                        nullptr};
  const EntryCheckResult result = run_entry_checks(reader, environment);
  console::printf("vmx: entry diagnosis: %u SDM checks run over the VMCS\n", result.checks_run);
  if (result.passed) {
    console::printf("vmx: every check passed: the cause is outside what the checker covers\n");
    return "none";
  }
  print_check_failure(result.failure);
  return result.failure.id;
}

// What a handler recorded when it stopped the guest; `mmio`: the memory
// ranges devices claim (null: none), where an EPT violation is not memory
// the guest lacks but a device's registers.
void print_stop(const ExitLog& log, const devices::MmioMap* mmio) {
  if (log.dump) {
    if (is_reason(log.info.exit_reason, ExitReason::vmcall)) {
      console::printf("vmx: guest #GP at %04x:%04x (error code 0x%x) was not its HLT\n",
                      static_cast<unsigned>(log.guest_report.rcx & 0xFFFF),
                      static_cast<unsigned>(log.guest_report.rdx & 0xFFFF),
                      static_cast<unsigned>(log.guest_report.rsi));
    }
    print_exit(log.info, total_exits(log.stats), &log.guest_report);
    if (is_reason(log.info.exit_reason, ExitReason::ept_violation)) {
      const ia32::vmx::EptViolationQualification q{log.info.exit_qualification};
      const uint64_t gpa = log.info.guest_physical_address;
      const uint8_t slot = mmio != nullptr ? mmio->slot_of(gpa) : 0;
      console::printf("vmx:   EPT violation: %s guest-physical 0x%lx (guest-linear 0x%lx), ",
                      q.access(), gpa, log.info.guest_linear_address);
      if (slot != 0) {
        console::printf("the %s's registers (stores there go through the VMM)\n",
                        mmio->range(slot).device->name);
      } else {
        console::printf("which the EPT does not map for the guest\n");
      }
    }
  }
  if (log.stop_note != nullptr) console::printf("vmx: stopped: %s\n", log.stop_note);
}

}  // namespace

void print_exit_counts(const ExitLog& log, const char* whose) {
  console::printf("vmx: %s%u VM exits:", whose, total_exits(log.stats));
  for (uint32_t r = 0; r <= ia32::vmx::exit_reason_count; ++r) {
    if (log.stats.by_reason[r] == 0) continue;
    console::printf(" %s %u", r < ia32::vmx::exit_reason_count ? ia32::vmx::exit_reason_name(r)
                                                                : "other",
                    log.stats.by_reason[r]);
  }
  console::printf("\n");
}

void print_denied(const ExitLog& log) {
  const ExitStats& stats = log.stats;
  const uint32_t logged = stats.denied_accesses < denied_log_size ? stats.denied_accesses
                                                                  : denied_log_size;
  for (uint32_t i = 0; i < logged; ++i) {
    const DeniedAccess& d = stats.denied_log[i];
    char times[16] = "";
    if (d.string) format(times, sizeof(times), " x%u", d.elements);
    console::printf("vmx: denied: %s%s 0x%x, %u byte(s)%s%s\n", d.in ? "in" : "out",
                    d.string ? "s" : "", d.port, d.bytes, times,
                    d.in ? ": the guest reads all ones" : ": dropped");
  }
  if (stats.denied_accesses > logged) {
    console::printf("vmx: denied: %u more\n", stats.denied_accesses - logged);
  }
}

void end_if_entry_failed(Vcpu& vcpu, const GuestRun& run, const CapabilityMsrs& msrs) {
  const EnterFailure failure{run.outcome};
  if (failure.failed()) {
    const char* step = failure.step();
    const VmxResult result = failure.result();
    const uint32_t error = result == VmxResult::fail_valid ? read_instruction_error() : 0;
    const char* check = "none";
    if (result == VmxResult::fail_valid) {
      console::printf("vmx: %s failed: VMfailValid, VM-instruction error %u: %s\n", step, error,
                      ia32::vmx::instruction_error_name(error));
      check = diagnose_entry_failure(msrs);
    } else {
      console::printf("vmx: %s failed: VMfailInvalid\n", step);
    }
    leave_vmx_operation(vcpu);
    fault_cases::entry_failed(step, error, check);
    end_run("entry-failed", "check=%s step=%s error=%u", check, step, error);
  }
  // A VM entry that failed on the guest state (33) or MSR loading (34):
  // an exit with bit 31 set, not a VMfail.
  const ExitLog& log = vcpu.log;
  if (run.outcome == exit_stop && ia32::vmx::is_entry_failure(log.info.exit_reason)) {
    const char* reason = ia32::vmx::exit_reason_name(log.info.exit_reason);
    print_exit(log.info, total_exits(log.stats), nullptr);
    const char* check = diagnose_entry_failure(msrs);
    leave_vmx_operation(vcpu);
    fault_cases::entry_failed_on_exit(reason, check);
    end_run("entry-failed", "check=%s error=%s", check, reason);
  }
}

void end_if_stopped(Vcpu& vcpu, const GuestRun& run) {
  if (run.outcome != exit_stop) return;
  const ExitLog& log = vcpu.log;
  if (log.host_nmi) {
    print_exit(log.info, total_exits(log.stats), nullptr);
    leave_vmx_operation(vcpu);
    console::printf("vmx: a host NMI exited the guest, which never saw it\n");
    end_run("host-nmi", "during=guest exits=%u", total_exits(log.stats));
  }
  const char* reason = ia32::vmx::exit_reason_name(log.info.exit_reason);
  print_stop(log, vcpu.mmio);
  print_exit_counts(log, "");
  leave_vmx_operation(vcpu);
  // (Also where the VMM refused to touch memory that is not the guest's
  // for it, an INS/OUTS operand: vmx/guest_memory.h.)
  const bool has_gpa = is_reason(log.info.exit_reason, ExitReason::ept_violation) ||
                       log.refused_valid;
  const uint64_t address = log.refused_valid && !is_reason(log.info.exit_reason,
                                                           ExitReason::ept_violation)
                               ? log.refused_guest_physical
                               : log.info.guest_physical_address;
  char gpa[40] = "";
  if (has_gpa) format(gpa, sizeof(gpa), " gpa=0x%lx", address);
  const char* intact = fault_cases::vmm_intact_pair();
  fault_cases::guest_exited(reason, gpa);
  end_run("guest-exit", "reason=%s%s%s denied=%u", reason, gpa, intact,
          log.stats.denied_accesses);
}

}  // namespace vmx::bringup
