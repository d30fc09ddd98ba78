// The VMX bring-up, one phase a file, in the order the SDM gives (Vol. 3,
// 24.6-24.8 "Discovering/Enabling VMX, Entering VMX operation", 25 "The
// VMCS", 27 "VM entries"), and the ends every guest's run shares; the main
// line (vmm/main.cpp) runs them in that order around the guest's profile.
// Runtime only (privileged instructions throughout): this folder is the
// VMM's, not the unit tests'. What the phases decide is decided in the pure
// plan (vmx/plan.h); here the inputs are gathered and the results carried out.
#pragma once

#include <stdint.h>

#include "ia32/vmx/instructions.h"
#include "vmx/controls.h"
#include "vmx/exits.h"
#include "vmx/plan.h"
#include "vmx/vcpu.h"

namespace vmx::bringup {

// check_cpu.cpp: CPUID says VMX, or the run ends no-vmx.
void check_cpu();

// feature_control.cpp: IA32_FEATURE_CONTROL allows VMXON (SDM 24.7), set
// and locked by the VMM when the firmware left it unlocked; else vmx-disabled.
void enable_vmx_in_feature_control();

// capabilities.cpp: the capability MSRs the CPU has (reading one it lacks
// is a #GP), printed; a VMCS the VMM cannot hold ends the run vmx-failed.
CapabilityMsrs read_capabilities();

// vmx_operation.cpp: CR0/CR4 under the fixed bits, VMXON with the Vcpu's
// VMXON region, then its VMCS made current (VMCLEAR, VMPTRLD; SDM 24.8,
// 25.1-25.2).
void enter_vmx_operation(Vcpu& vcpu, const CapabilityMsrs& msrs);
// VMCLEAR, VMXOFF, CR4.VMXE off, as much of it as applies: every way out
// after enter_vmx_operation passes here.
void leave_vmx_operation(Vcpu& vcpu);
// A VMX instruction failed: its VM-instruction error named, then out
// (vmx-failed step=<step>).
[[noreturn]] void fail_instruction(Vcpu& vcpu, const char* step, ia32::vmx::VmxResult result);
// The VM-instruction error field, 0 when it cannot be read.
uint32_t read_instruction_error();

// build_vmcs.cpp: the plan's common inputs (the host as the VMM runs now in
// VMX operation, the exit stub on the Vcpu's exit stack, its I/O bitmaps,
// the TSC's rate against the PIT); once the guest's profile has made the
// plan (vcpu.plan), its common refusals and its controls printed
// (accept_plan; a refused plan ends the run), then its image written
// through machine[] in one loop (write_vmcs).
PlanInputs describe_plan_inputs(Vcpu& vcpu, const CapabilityMsrs& msrs);
void accept_plan(Vcpu& vcpu, const CapabilityMsrs& msrs);
void write_vmcs(Vcpu& vcpu, const CapabilityMsrs& msrs);

// launch.cpp: VMLAUNCH. The guest's exits run in the profile's handlers
// (vcpu.handlers) until one stops it for good or the entry itself fails.
struct GuestRun {
  uint64_t outcome;      // what vmx_enter_guest() returned (vmx/exits.h)
  uint64_t guest_ticks;  // TSC ticks from VMLAUNCH to the end, exits included
};
GuestRun launch(Vcpu& vcpu);

// end.cpp: the ends every guest's run shares, printed once the guest no
// longer runs: a VM entry that failed (named by the VMM's own run of the
// SDM's checks over the current VMCS), a host NMI, an exit the guest's
// profile does not handle. Each returns only when the run did not end so.
void end_if_entry_failed(Vcpu& vcpu, const GuestRun& run, const CapabilityMsrs& msrs);
void end_if_stopped(Vcpu& vcpu, const GuestRun& run);
// One line: "vmx: <whose>%u VM exits: <reason> <count> ..."
void print_exit_counts(const ExitLog& log, const char* whose);
// The accesses the devices denied, the first few one a line.
void print_denied(const ExitLog& log);

}  // namespace vmx::bringup
