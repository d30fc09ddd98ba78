// Basic VM-exit reasons (SDM Vol. 3, appendix C) and the layout of the
// exit-reason field (SDM 25.9.1 / 28.2.1): bits 15:0 basic reason, bit 31 set
// when VM entry failed (then the basic reason is 33, 34 or 41).
#pragma once

#include <stdint.h>

namespace ia32::vmx {

enum class ExitReason : uint16_t {
  exception_or_nmi = 0,
  external_interrupt = 1,
  triple_fault = 2,
  init_signal = 3,
  startup_ipi = 4,
  io_smi = 5,
  other_smi = 6,
  interrupt_window = 7,
  nmi_window = 8,
  task_switch = 9,
  cpuid = 10,
  getsec = 11,
  hlt = 12,
  invd = 13,
  invlpg = 14,
  rdpmc = 15,
  rdtsc = 16,
  rsm = 17,
  vmcall = 18,
  vmclear = 19,
  vmlaunch = 20,
  vmptrld = 21,
  vmptrst = 22,
  vmread = 23,
  vmresume = 24,
  vmwrite = 25,
  vmxoff = 26,
  vmxon = 27,
  cr_access = 28,
  mov_dr = 29,
  io_instruction = 30,
  rdmsr = 31,
  wrmsr = 32,
  invalid_guest_state = 33,
  msr_loading = 34,
  mwait = 36,
  monitor_trap_flag = 37,
  monitor = 39,
  pause = 40,
  machine_check = 41,
  tpr_below_threshold = 43,
  apic_access = 44,
  virtualized_eoi = 45,
  gdtr_idtr_access = 46,
  ldtr_tr_access = 47,
  ept_violation = 48,
  ept_misconfiguration = 49,
  invept = 50,
  rdtscp = 51,
  preemption_timer = 52,
  invvpid = 53,
  wbinvd = 54,
  xsetbv = 55,
  apic_write = 56,
  rdrand = 57,
  invpcid = 58,
  vmfunc = 59,
  encls = 60,
  rdseed = 61,
  page_modification_log_full = 62,
  xsaves = 63,
  xrstors = 64,
  pconfig = 65,
  spp_event = 66,
  umwait = 67,
  tpause = 68,
  loadiwkey = 69,
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

namespace detail {

// Indexed by basic exit reason; nullptr marks numbers the SDM does not use.
inline constexpr const char* exit_reason_names[exit_reason_count] = {
    "exception-or-nmi",           // 0
    "external-interrupt",         // 1
    "triple-fault",               // 2
    "init-signal",                // 3
    "startup-ipi",                // 4
    "io-smi",                     // 5
    "other-smi",                  // 6
    "interrupt-window",           // 7
    "nmi-window",                 // 8
    "task-switch",                // 9
    "cpuid",                      // 10
    "getsec",                     // 11
    "hlt",                        // 12
    "invd",                       // 13
    "invlpg",                     // 14
    "rdpmc",                      // 15
    "rdtsc",                      // 16
    "rsm",                        // 17
    "vmcall",                     // 18
    "vmclear",                    // 19
    "vmlaunch",                   // 20
    "vmptrld",                    // 21
    "vmptrst",                    // 22
    "vmread",                     // 23
    "vmresume",                   // 24
    "vmwrite",                    // 25
    "vmxoff",                     // 26
    "vmxon",                      // 27
    "cr-access",                  // 28
    "mov-dr",                     // 29
    "io-instruction",             // 30
    "rdmsr",                      // 31
    "wrmsr",                      // 32
    "invalid-guest-state",        // 33
    "msr-loading",                // 34
    nullptr,                      // 35
    "mwait",                      // 36
    "monitor-trap-flag",          // 37
    nullptr,                      // 38
    "monitor",                    // 39
    "pause",                      // 40
    "machine-check",              // 41
    nullptr,                      // 42
    "tpr-below-threshold",        // 43
    "apic-access",                // 44
    "virtualized-eoi",            // 45
    "gdtr-idtr-access",           // 46
    "ldtr-tr-access",             // 47
    "ept-violation",              // 48
    "ept-misconfiguration",       // 49
    "invept",                     // 50
    "rdtscp",                     // 51
    "preemption-timer",           // 52
    "invvpid",                    // 53
    "wbinvd",                     // 54
    "xsetbv",                     // 55
    "apic-write",                 // 56
    "rdrand",                     // 57
    "invpcid",                    // 58
    "vmfunc",                     // 59
    "encls",                      // 60
    "rdseed",                     // 61
    "page-modification-log-full", // 62
    "xsaves",                     // 63
    "xrstors",                    // 64
    "pconfig",                    // 65
    "spp-event",                  // 66
    "umwait",                     // 67
    "tpause",                     // 68
    "loadiwkey",                  // 69
};

}  // namespace detail

// Lower-case, dash-separated name of a basic exit reason (bits 15:0 of the
// argument are used, so the raw field may be passed); "unknown" for numbers
// the SDM leaves unused or that are newer than this table.
constexpr const char* exit_reason_name(uint32_t exit_reason_field) {
  uint32_t basic = basic_exit_reason(exit_reason_field);
  if (basic >= exit_reason_count || detail::exit_reason_names[basic] == nullptr) return "unknown";
  return detail::exit_reason_names[basic];
}

}  // namespace ia32::vmx

