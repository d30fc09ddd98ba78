// The VMX bring-up, one phase a file, in the order the SDM gives (Vol. 3,
// 24.6-24.8 "Discovering/Enabling VMX, Entering VMX operation", 25 "The
// VMCS", 27 "VM entries"); run_demo.cpp runs them in that order. Runtime
// only (privileged instructions throughout): this folder is the VMM's, not
// the unit tests'. What the phases decide is decided in the pure plan
// (vmx/plan.h); here the inputs are gathered and the results carried out.
#pragma once

#include <stdint.h>

#include "guest_header.h"
#include "ia32/vmx/instructions.h"
#include "layout.h"
#include "common/acpi.h"
#include "common/uart16550.h"
#include "vmx/controls.h"
#include "vmx/exits.h"
#include "vmx/plan.h"

namespace vmx::bringup {

// check_cpu.cpp: CPUID says VMX, or the run ends no-vmx.
void check_cpu();

// feature_control.cpp: IA32_FEATURE_CONTROL allows VMXON (SDM 24.7), set
// and locked by the VMM when the firmware left it unlocked; else vmx-disabled.
void enable_vmx_in_feature_control();

// capabilities.cpp: the capability MSRs the CPU has (reading one it lacks
// is a #GP), printed; a VMCS the VMM cannot hold ends the run vmx-failed.
CapabilityMsrs read_capabilities();

// load_guest.cpp: the guest header copied once from guest memory and
// checked, the guest's memory tail cleared; else guest-invalid. Returns the
// VMM's copy, the only one it uses from then on.
layout::GuestHeader& load_guest(const layout::BootInfo& boot_info);

// vmx_operation.cpp: CR0/CR4 under the fixed bits, VMXON, VMCLEAR and
// VMPTRLD of the VMCS (SDM 24.8, 25.1-25.2).
void enter_vmx_operation(const CapabilityMsrs& msrs);
// VMCLEAR, VMXOFF, CR4.VMXE off, as much of it as applies: every way out
// after enter_vmx_operation passes here.
void leave_vmx_operation();
// A VMX instruction failed: its VM-instruction error named, then out
// (vmx-failed step=<step>).
[[noreturn]] void fail_instruction(const char* step, ia32::vmx::VmxResult result);
// The VM-instruction error field, 0 when it cannot be read.
uint32_t read_instruction_error();

// build_vmcs.cpp: the host and guest described, the plan made (vmx/plan.h)
// and written through machine[] in one loop. Returns the plan launched.
// Chain mode (guest.kind): the second guest description, from the boot
// info's memory map and the ACPI power-off port.
const VmcsPlan& build_vmcs(const CapabilityMsrs& msrs, const layout::GuestHeader& guest,
                           const layout::BootInfo& boot_info);

// What the guest left when it stopped: read once, before the VMM's console
// writes anything.
struct GuestRun {
  uint64_t outcome;             // what vmx_enter_guest() returned (vmx/exits.h)
  uint64_t guest_ticks;         // TSC ticks from VMLAUNCH to the end, exits included
  uint32_t elapsed_ms;
  Uart16550::Setup com1_after;  // COM1 as the guest left it, before the VMM set it up again
  char screen_line[81];         // the guest's row on the screen
  uint32_t bench_ticks;         // what the guest reported in its header
  const acpi::PowerOff* power_off;  // kept before the guest ran
};

// launch.cpp: VMLAUNCH; the exit handlers (vmx/exits.h) run the guest's
// exits until one stops it, or the entry fails.
GuestRun run_guest(const VmcsPlan& plan, layout::GuestHeader& guest);

// entry_failure.cpp: a VM entry that failed, named by the VMM's own run of
// the SDM's checks over the current VMCS (vmx/entry_checks.h).
[[noreturn]] void report_entry_failure(uint64_t outcome, const CapabilityMsrs& msrs);
[[noreturn]] void report_entry_failure_exit(const CapabilityMsrs& msrs);

// leave.cpp: VMX operation left and the run ended with the result the
// guest's stop calls for (guest-timeout, host-nmi, guest-exit, guest-failed, ok).
[[noreturn]] void leave(const GuestRun& run, const VmcsPlan& plan, const CapabilityMsrs& msrs,
                        const layout::GuestHeader& guest);
// One line: "vmx: <whose>%u VM exits: <reason> <count> ..." (the demo's
// whose is "", chain mode's "chain guest: ").
void print_exit_counts(const ExitLog& log, const char* whose);

// run_chain.cpp: chain mode's launch and end (README "Chain mode"): the
// guest runs until it powers off, resets, halts with interrupts off, is
// stopped or runs out of time; the run ends with its result.
[[noreturn]] void run_chain(const VmcsPlan& plan, const CapabilityMsrs& msrs,
                            const layout::GuestHeader& guest);

}  // namespace vmx::bringup
