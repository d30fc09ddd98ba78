// Basic VM-exit reasons (SDM Vol. 3, appendix C) and the layout of the
// exit-reason field (SDM 25.9.1 / 28.2.1): bits 15:0 basic reason, bit 31 set
// when VM entry failed (then the basic reason is 33, 34 or 41).
#pragma once

#include <stdint.h>

#include "ia32/vmx/dashed_name.h"

namespace ia32::vmx {

// Every basic exit reason the SDM defines, as X(name, number, printed name):
// the one list from which the enumerators and the names come.
#define VMX_EXIT_REASONS(X)                                             \
  X(exception_or_nmi, 0, "exception-or-nmi")                            \
  X(external_interrupt, 1, "external-interrupt")                        \
  X(triple_fault, 2, "triple-fault")                                    \
  X(init_signal, 3, "init-signal")                                      \
  X(startup_ipi, 4, "startup-ipi")                                      \
  X(io_smi, 5, "io-smi")                                                \
  X(other_smi, 6, "other-smi")                                          \
  X(interrupt_window, 7, "interrupt-window")                            \
  X(nmi_window, 8, "nmi-window")                                        \
  X(task_switch, 9, "task-switch")                                      \
  X(cpuid, 10, "cpuid")                                                 \
  X(getsec, 11, "getsec")                                               \
  X(hlt, 12, "hlt")                                                     \
  X(invd, 13, "invd")                                                   \
  X(invlpg, 14, "invlpg")                                               \
  X(rdpmc, 15, "rdpmc")                                                 \
  X(rdtsc, 16, "rdtsc")                                                 \
  X(rsm, 17, "rsm")                                                     \
  X(vmcall, 18, "vmcall")                                               \
  X(vmclear, 19, "vmclear")                                             \
  X(vmlaunch, 20, "vmlaunch")                                           \
  X(vmptrld, 21, "vmptrld")                                             \
  X(vmptrst, 22, "vmptrst")                                             \
  X(vmread, 23, "vmread")                                               \
  X(vmresume, 24, "vmresume")                                           \
  X(vmwrite, 25, "vmwrite")                                             \
  X(vmxoff, 26, "vmxoff")                                               \
  X(vmxon, 27, "vmxon")                                                 \
  X(cr_access, 28, "cr-access")                                         \
  X(mov_dr, 29, "mov-dr")                                               \
  X(io_instruction, 30, "io-instruction")                               \
  X(rdmsr, 31, "rdmsr")                                                 \
  X(wrmsr, 32, "wrmsr")                                                 \
  X(invalid_guest_state, 33, "invalid-guest-state")                     \
  X(msr_loading, 34, "msr-loading")                                     \
  X(mwait, 36, "mwait")                                                 \
  X(monitor_trap_flag, 37, "monitor-trap-flag")                         \
  X(monitor, 39, "monitor")                                             \
  X(pause, 40, "pause")                                                 \
  X(machine_check, 41, "machine-check")                                 \
  X(tpr_below_threshold, 43, "tpr-below-threshold")                     \
  X(apic_access, 44, "apic-access")                                     \
  X(virtualized_eoi, 45, "virtualized-eoi")                             \
  X(gdtr_idtr_access, 46, "gdtr-idtr-access")                           \
  X(ldtr_tr_access, 47, "ldtr-tr-access")                               \
  X(ept_violation, 48, "ept-violation")                                 \
  X(ept_misconfiguration, 49, "ept-misconfiguration")                   \
  X(invept, 50, "invept")                                               \
  X(rdtscp, 51, "rdtscp")                                               \
  X(preemption_timer, 52, "preemption-timer")                           \
  X(invvpid, 53, "invvpid")                                             \
  X(wbinvd, 54, "wbinvd")                                               \
  X(xsetbv, 55, "xsetbv")                                               \
  X(apic_write, 56, "apic-write")                                       \
  X(rdrand, 57, "rdrand")                                               \
  X(invpcid, 58, "invpcid")                                             \
  X(vmfunc, 59, "vmfunc")                                               \
  X(encls, 60, "encls")                                                 \
  X(rdseed, 61, "rdseed")                                               \
  X(page_modification_log_full, 62, "page-modification-log-full")       \
  X(xsaves, 63, "xsaves")                                               \
  X(xrstors, 64, "xrstors")                                             \
  X(pconfig, 65, "pconfig")                                             \
  X(spp_event, 66, "spp-event")                                         \
  X(umwait, 67, "umwait")                                               \
  X(tpause, 68, "tpause")                                               \
  X(loadiwkey, 69, "loadiwkey")

enum class ExitReason : uint16_t {
#define VMX_EXIT_REASON_ENUMERATOR(name, number, text) name = number,
  VMX_EXIT_REASONS(VMX_EXIT_REASON_ENUMERATOR)
#undef VMX_EXIT_REASON_ENUMERATOR
};

// One past the highest basic reason named here; sizes dispatch tables.
inline constexpr uint32_t exit_reason_count = 70;

inline constexpr uint32_t exit_reason_entry_failure = 1u << 31;

constexpr uint16_t basic_exit_reason(uint32_t exit_reason_field) {
  return static_cast<uint16_t>(exit_reason_field & 0xFFFF);
}
constexpr bool is_entry_failure(uint32_t exit_reason_field) {
  return (exit_reason_field & exit_reason_entry_failure) != 0;
}

// The slot of an exit in a table of exit_reason_count + 1 entries: its basic
// reason when VM entry did not fail and the number is below
// exit_reason_count, else the last slot (a failed entry, or a reason newer
// than this table). Bit 31 kept with bits 15:0 makes a failed entry's value
// too large, so one compare decides both.
constexpr uint32_t exit_reason_slot(uint32_t exit_reason_field) {
  const uint32_t basic_or_failed = exit_reason_field & (exit_reason_entry_failure | 0xFFFFu);
  return basic_or_failed < exit_reason_count ? basic_or_failed : exit_reason_count;
}

namespace detail {

// Indexed by basic exit reason; nullptr marks numbers the SDM does not use.
struct ExitReasonNames {
  const char* by_reason[exit_reason_count];
};
constexpr ExitReasonNames make_exit_reason_names() {
  ExitReasonNames names{};
#define VMX_EXIT_REASON_NAME(name, number, text) \
  static_assert(is_dashed_form(#name, text));    \
  names.by_reason[number] = text;
  VMX_EXIT_REASONS(VMX_EXIT_REASON_NAME)
#undef VMX_EXIT_REASON_NAME
  return names;
}
inline constexpr ExitReasonNames exit_reason_names = make_exit_reason_names();

}  // namespace detail

// Lower-case, dash-separated name of a basic exit reason (bits 15:0 of the
// argument are used, so the raw field may be passed); "unknown" for numbers
// the SDM leaves unused or that are newer than this table.
constexpr const char* exit_reason_name(uint32_t exit_reason_field) {
  uint32_t basic = basic_exit_reason(exit_reason_field);
  const char* name = basic < exit_reason_count ? detail::exit_reason_names.by_reason[basic] : nullptr;
  return name != nullptr ? name : "unknown";
}

}  // namespace ia32::vmx

