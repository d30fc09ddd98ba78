// The VM-entry checks of SDM Vol. 3, 26.2 "Checks on VMX Controls and
// Host-State Area" and 26.3.1 "Checks on the Guest State Area" (27.2 and
// 27.3.1 in editions from 2023 on), done in software over the current VMCS,
// to say WHICH rule a failed VMLAUNCH/VMRESUME broke: the CPU only reports
// "invalid control fields" (VM-instruction error 7), "invalid host state"
// (error 8) or "invalid guest state" (exit reason 33 with bit 31 set).
//
// One small function per SDM rule, grouped by the SDM's headings; the
// driver runs them in the SDM's order and stops at the first that fails.
// The checks read the VMCS through a VmcsReader: VMREAD in the VMM, a map
// of field -> value in the host tests. Pure and freestanding.
//
// Not covered (the demo uses none of it, and the Bochs models allow little
// of it): VM functions, sub-page write permissions, mode-based execute
// control, TPR threshold against the virtual-APIC page, IA32_PERF_GLOBAL_CTRL,
// BNDCFGS, RTIT, CET, PKRS, SMM and dual-monitor treatment (the checks assume
// the VMM runs outside SMM), SGX/RTM support behind the enclave and RTM bits,
// and the MSR-load area contents (26.4, exit reason 34).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "vmx/controls.h"

namespace vmx {

// Where the checks read VMCS fields: returns false when the field cannot be
// read (VMREAD failed: field unsupported, or no current VMCS).
struct VmcsReader {
  bool (*read)(void* context, uint32_t field, uint64_t* value);
  void* context;
};

// Physical memory, for the two checks that look outside the VMCS: the
// revision identifier at the VMCS link pointer and, for a PAE guest without
// EPT, the PDPTEs at guest CR3. `read` nullptr: no memory access (those
// checks then fail as unverifiable when they apply).
struct PhysicalMemoryReader {
  bool (*read)(void* context, uint64_t physical_address, uint64_t* value);
  void* context;
};

// What the checks need besides the VMCS.
struct EntryCheckEnvironment {
  CapabilityMsrs msrs;             // as read (TRUE MSRs when IA32_VMX_BASIC bit 55)
  uint64_t ept_vpid_capability;    // IA32_VMX_EPT_VPID_CAP (0x48C), 0 without EPT
  uint8_t physical_address_width;  // CPUID.80000008H:EAX[7:0]; 0 means 36
  uint8_t linear_address_width;    // CPUID.80000008H:EAX[15:8]; 0 means 48
  bool processor_in_ia32e_mode;    // IA32_EFER.LMA at VM entry: true in the 64-bit VMM
  PhysicalMemoryReader memory;
};

// How the CPU reports a failure of a check in each group.
enum class EntryFailureKind : uint8_t {
  invalid_control_fields,  // VMfailValid, VM-instruction error 7 (26.2.1)
  invalid_host_state,      // VMfailValid, VM-instruction error 8 (26.2.2-26.2.4)
  invalid_guest_state,     // VM exit, reason 0x80000021 (26.3)
  vmcs_unreadable,         // the checker could not read a field it needed
};

// The first check that failed.
struct CheckFailure {
  const char* id;           // short kebab-case, e.g. "guest-cs-base-v86"
  const char* sdm_section;  // e.g. "26.3.1.2"
  const char* rule;         // one sentence
  EntryFailureKind kind;
  uint32_t field;  // encoding of the field found wrong
  uint64_t found;
  uint64_t expected;  // the nearest value the rule accepts, when there is one
  bool has_expected;
  bool has_related;  // a second field the rule ties the first to
  uint32_t related_field;
  uint64_t related_value;
};

struct EntryCheckResult {
  bool passed;
  uint32_t checks_run;   // including the failing one
  CheckFailure failure;  // valid when !passed
};

// Runs every check in SDM order; stops at the first failure.
EntryCheckResult run_entry_checks(const VmcsReader& vmcs, const EntryCheckEnvironment& env);

// The checks' identities, in the order they run (for tests and listings).
struct EntryCheckInfo {
  const char* id;
  const char* sdm_section;
  const char* rule;
};
size_t entry_check_count();
EntryCheckInfo entry_check_info(size_t index);  // index < entry_check_count()

// VM-instruction error number (7, 8) or exit reason (0x80000021) the CPU
// reports for a failure of `kind`; 0 for vmcs_unreadable.
uint32_t reported_error(EntryFailureKind kind);

// One line, no newline: "entry check failed: <id> (SDM <section>): <rule>;
// <field> = 0x..., expected 0x... (<related field> = 0x...)". Returns the
// length the full line would have had (like format()).
size_t format_check_failure(char* buf, size_t cap, const CheckFailure& failure);

// format_check_failure() to the console (entry_checks_report.cpp: VMM only).
void print_check_failure(const CheckFailure& failure);

}  // namespace vmx
