// Phase 8: out of VMX operation, and the run's end as the guest's stop
// calls for: guest-timeout, host-nmi, guest-exit, guest-failed or ok. The
// exit handlers print nothing while the guest runs (vmx/exits.h): what they
// counted is printed here.
#include "vmx/bringup/phases.h"

#include "ia32/vmx/ept_violation_qualification.h"
#include "common/console.h"
#include "common/end_run.h"
#include "common/format.h"
#include "vmx/exits.h"
#include "vmx/fault_cases.h"
#include "vmx/guest_memory.h"
#include "vmx/guest_timer.h"

namespace vmx::bringup {

namespace {

using ia32::vmx::ExitReason;

uint32_t io_exits(const ExitLog& log) {
  return log.by_reason[static_cast<unsigned>(ExitReason::io_instruction)];
}

bool is_reason(uint32_t exit_reason, ExitReason reason) {
  return ia32::vmx::basic_exit_reason(exit_reason) == static_cast<uint32_t>(reason);
}

}  // namespace

void print_exit_counts(const ExitLog& log, const char* whose) {
  console::printf("vmx: %s%u VM exits:", whose, total_exits(log));
  for (uint32_t r = 0; r <= ia32::vmx::exit_reason_count; ++r) {
    if (log.by_reason[r] == 0) continue;
    console::printf(" %s %u", r < ia32::vmx::exit_reason_count ? ia32::vmx::exit_reason_name(r)
                                                                : "other",
                    log.by_reason[r]);
  }
  console::printf("\n");
}

namespace {

// The guest's COM1 exits by kind, decoded: which register, which direction.
void print_io_exit_kinds(const ExitLog& log) {
  constexpr const char* in_names[8] = {"RBR", "IER", "IIR", "LCR", "MCR", "LSR", "MSR", "SCR"};
  constexpr const char* out_names[8] = {"THR/DLL", "IER/DLM", "FCR", "LCR", "MCR", "LSR",
                                        "MSR", "SCR"};
  for (unsigned r = 0; r < 8; ++r) {
    if (log.com1_out[r] != 0) {
      console::printf("vmx:   io-instruction out 0x%x (COM1 %s) x%u\n", layout::COM1_PORT + r,
                      out_names[r], log.com1_out[r]);
    }
    if (log.com1_in[r] != 0) {
      console::printf("vmx:   io-instruction in 0x%x (COM1 %s) x%u\n", layout::COM1_PORT + r,
                      in_names[r], log.com1_in[r]);
    }
  }
  if (log.string_io_exits != 0) {
    console::printf("vmx:   io-instruction rep outsb (COM1 THR) x%u\n", log.string_io_exits);
  }
  if (log.unpolled_outs != 0) {
    console::printf("vmx:   io-instruction out 0x%x (benchmark) x%u\n", layout::BENCH_PORT,
                    log.unpolled_outs);
  }
}

void print_denied(const ExitLog& log) {
  const uint32_t logged = log.denied_accesses < denied_log_size ? log.denied_accesses
                                                                : denied_log_size;
  for (uint32_t i = 0; i < logged; ++i) {
    const DeniedAccess& d = log.denied_log[i];
    char times[16] = "";
    if (d.string) format(times, sizeof(times), " x%u", d.elements);
    console::printf("vmx: denied: %s%s 0x%x, %u byte(s)%s%s\n", d.in ? "in" : "out",
                    d.string ? "s" : "", d.port, d.bytes, times,
                    d.in ? ": the guest reads all ones" : ": dropped");
  }
  if (log.denied_accesses > logged) {
    console::printf("vmx: denied: %u more\n", log.denied_accesses - logged);
  }
}

// What a handler recorded when it stopped the guest, printed now that the
// guest no longer runs.
void print_stop(const ExitLog& log) {
  if (log.dump) {
    if (is_reason(log.info.exit_reason, ExitReason::vmcall)) {
      console::printf("vmx: guest #GP at %04x:%04x (error code 0x%x) was not its HLT\n",
                      static_cast<unsigned>(log.guest_report.rcx & 0xFFFF),
                      static_cast<unsigned>(log.guest_report.rdx & 0xFFFF),
                      static_cast<unsigned>(log.guest_report.rsi));
    }
    print_exit(log.info, &log.guest_report);
    if (is_reason(log.info.exit_reason, ExitReason::ept_violation)) {
      const ia32::vmx::EptViolationQualification q{log.info.exit_qualification};
      console::printf("vmx:   EPT violation: %s guest-physical 0x%lx (guest-linear 0x%lx), which"
                      " the EPT does not map for the guest\n",
                      q.access(),
                      log.guest_physical_address, log.info.guest_linear_address);
    }
  }
  if (log.stop_note != nullptr) console::printf("vmx: stopped: %s\n", log.stop_note);
}

[[noreturn]] void timed_out(const GuestRun& run, const VmcsPlan& plan, const ExitLog& log) {
  print_exit(log.info, nullptr);
  print_exit_counts(log, "");
  leave_vmx_operation();
  const char* timer = plan.preemption_timer ? "preemption" : "pit";
  // Which clock said so: the one that exited, or the deadline that every
  // exit checks (a guest that spends its time in exits).
  const char* by = is_reason(log.info.exit_reason, ExitReason::preemption_timer)
                       ? "the VMX-preemption timer"
                   : is_reason(log.info.exit_reason, ExitReason::external_interrupt)
                       ? "the PIT (external-interrupt exits)"
                       : "the deadline checked at every VM exit";
  console::printf("vmx: the guest used up its %u ms, its exits' time included: %u ms "
                  "(%s), %u bytes to COM1\n",
                  guest_timer::limit_ms, run.elapsed_ms, by, log.com1_bytes_out);
  fault_cases::timed_out(by);
  end_run("guest-timeout", "limit-ms=%u elapsed-ms=%u timer=%s exits=%u com1-bytes=%u denied=%u",
          guest_timer::limit_ms, run.elapsed_ms, timer, total_exits(log), log.com1_bytes_out,
          log.denied_accesses);
}

[[noreturn]] void stopped(const ExitLog& log) {
  const char* reason = ia32::vmx::exit_reason_name(log.info.exit_reason);
  print_stop(log);
  print_exit_counts(log, "");
  leave_vmx_operation();
  // (Also where the VMM refused to touch memory that is not the guest's
  // for it, an INS/OUTS operand: vmx/guest_memory.h.)
  uint64_t address = log.guest_physical_address;
  const bool has_gpa = is_reason(log.info.exit_reason, ExitReason::ept_violation) ||
                       refused_guest_physical(&address);
  char gpa[40] = "";
  if (has_gpa) format(gpa, sizeof(gpa), " gpa=0x%lx", address);
  const char* intact = fault_cases::vmm_intact_pair();
  fault_cases::guest_exited(reason, gpa);
  end_run("guest-exit", "reason=%s%s%s denied=%u", reason, gpa, intact, log.denied_accesses);
}

bool starts_with(const char* text, const char* prefix) {
  for (; *prefix != 0; ++text, ++prefix) {
    if (*text != *prefix) return false;
  }
  return true;
}

[[noreturn]] void halted(const GuestRun& run, const ExitLog& log,
                         const layout::GuestHeader& guest) {
  // The last exit, the guest's VMCALL, decoded in full.
  print_exit(log.info, &log.guest_report);
  leave_vmx_operation();
  console::printf("vmx: guest halted at %04lx:%04lx; VMCLEAR, VMXOFF, CR4.VMXE cleared\n",
                  log.guest_report.rcx & 0xFFFF, log.guest_report.rdx & 0xFFFF);
  print_exit_counts(log, "");
  print_io_exit_kinds(log);
  console::printf("vmx: %u I/O exits (%u string), %u bytes to COM1\n", io_exits(log),
                  log.string_io_exits, log.com1_bytes_out);
  console::printf("vmx: %lu TSC ticks in the guest and its exits\n", run.guest_ticks);
  console::printf("vmx: guest's VGA row %u: %.52s\n", guest.vga_row, run.screen_line);
  if (guest.bench_outs != 0) {
    // In Bochs the TSC counts instructions: this is the round trip, the
    // guest's OUT and LOOP included (make bench splits off the VMM's part).
    const uint32_t ticks = run.bench_ticks;
    console::printf("vmx: exit round trip: %u OUTs to port 0x%x in %u TSC ticks, %u.%02u each\n",
                    guest.bench_outs, layout::BENCH_PORT, ticks, ticks / guest.bench_outs,
                    ticks % guest.bench_outs * 100 / guest.bench_outs);
  }
  if (!starts_with(run.screen_line, "Hello from Guest VM")) {
    end_run("guest-failed", "vga-row=%u", guest.vga_row);
  }
  // COM1 from the UART itself: the VMM's setup, whatever the guest wrote.
  console::printf("vmx: COM1 after the guest: LCR 0x%02x MCR 0x%02x IER 0x%02x divisor %u\n",
                  run.com1_after.lcr, run.com1_after.mcr, run.com1_after.ier,
                  run.com1_after.divisor);
  fault_cases::guest_halted(log, run.com1_after, *run.power_off, guest.vga_row);
  // (Under 80 columns: the round trip is on its own line above.)
  end_run("ok", "exits=%u io-exits=%u com1-bytes=%u denied=%u", total_exits(log), io_exits(log),
          log.com1_bytes_out, log.denied_accesses);
}

}  // namespace

void leave(const GuestRun& run, const VmcsPlan& plan, const CapabilityMsrs& msrs,
           const layout::GuestHeader& guest) {
  if (EnterFailure{run.outcome}.failed()) {
    report_entry_failure(run.outcome, msrs);
  }
  const ExitLog& log = exit_log();
  // A VM entry that failed on the guest state (33) or MSR loading (34):
  // an exit with bit 31 set, not a VMfail.
  if (ia32::vmx::is_entry_failure(log.info.exit_reason)) report_entry_failure_exit(msrs);
  print_denied(log);
  if (run.outcome == exit_guest_timeout) timed_out(run, plan, log);
  if (run.outcome == exit_stop && log.host_nmi) {
    print_exit(log.info, nullptr);
    leave_vmx_operation();
    console::printf("vmx: a host NMI exited the guest, which never saw it\n");
    end_run("host-nmi", "during=guest exits=%u", total_exits(log));
  }
  if (run.outcome != exit_guest_done) stopped(log);
  halted(run, log, guest);
}

}  // namespace vmx::bringup
