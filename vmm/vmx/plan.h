// The VMCS plan: every decision the VMM takes before VMLAUNCH, as pure
// functions. The common part is here: the controls settled against the
// capability MSRs, the host state a VM exit loads (the exit stub, on the
// Vcpu's exit stack), the I/O bitmaps' addresses and the guest's time bound
// in the VMX-preemption timer's steps. Each guest profile
// (vmm/guests/<name>/plan.h) decides the rest from the same inputs and its
// own: the controls it wants, the guest state, the guest's memory (EPT or a
// page directory), its CR0/CR4 masks, its MSR bitmap. The result is the
// complete VmcsImage that machine[] (vmx/vmcs_image.h) writes in one loop:
// nothing else is written to the VMCS before launch.
//
// Pure: no privileged instruction. The VMM (vmx/bringup/build_vmcs.cpp and
// the profiles' runtime) gathers the inputs and writes the image; the unit
// tests make the same plans from each Bochs model's MSRs and run the
// VM-entry checker over them.
#pragma once

#include <stdint.h>

#include "vmx/controls.h"
#include "vmx/vmcs_image.h"

namespace vmx {

struct PlanInputs {
  CapabilityMsrs msrs;
  HostState host;               // the VMM as it runs in VMX operation (RSP and RIP: below)
  uint64_t exit_stub;           // vmx_exit_stub: where every VM exit enters the VMM
  uint64_t exit_context;        // the Vcpu's ExitContext: the host RSP (vmx/vcpu.h)
  uint64_t io_bitmap_a_physical;  // the Vcpu's I/O bitmaps, filled from the port map
  uint64_t io_bitmap_b_physical;
  uint64_t tsc_ticks_in_limit;  // the guest's time bound in TSC ticks (vmx/guest_timer.h)
};

// Which decision failed, for the VMM's message and result line.
enum class PlanError : uint8_t {
  none, controls, guest_cr0, guest_cr4, ept,
  profile,  // a refusal of the guest's profile (VmcsPlan::profile_error, its own codes)
};

// A control-register value under FIXED0/FIXED1: `value` when ok; else
// `forbidden` holds the wanted bits FIXED1 does not allow.
struct FixedResult {
  bool ok;
  uint64_t value;
  uint64_t forbidden;
};
FixedResult apply_fixed_bits(uint64_t wanted, ia32::vmx::FixedBits fixed);

struct VmcsPlan {
  PlanError error;
  ControlError control_error;   // PlanError::controls
  FixedResult fixed_error;      // guest_cr0 / guest_cr4: the forbidden bits
  uint8_t profile_error;        // PlanError::profile: what the profile refused
  VmcsImage image;              // complete when error == none
  bool preemption_timer;        // the VMX-preemption timer bounds the guest (else PIT ticks)
  bool nmi_exiting;             // host NMIs exit instead of reaching the guest
  uint32_t timer_shift;         // the preemption timer's rate: 2^shift TSC ticks a step
  uint64_t tsc_ticks_in_limit;  // as given
  bool reports_ins_outs_info;   // IA32_VMX_BASIC bit 54: for the I/O exit handler
};

// The plan's common facts, before the profile decides anything.
VmcsPlan start_plan(const PlanInputs& in);

// The final control words for `wanted` (the CPU's must-be-1 bits added);
// false with the plan's error set when the CPU does not allow them.
bool settle_controls(const PlanInputs& in, const ControlWords& wanted, VmcsPlan& plan);

// A guest CR0/CR4 value checked against FIXED1 (a bit VMX operation does
// not allow is refused, not dropped); false with the plan's error set.
bool settle_guest_cr(uint64_t value, uint64_t fixed1, PlanError error, VmcsPlan& plan);

// The rest, once the profile has filled the guest state and its controls:
// the host state (the exit stub on the Vcpu's exit stack), the I/O
// bitmaps, and the preemption timer's start value where it is used.
void finish_plan(const PlanInputs& in, VmcsPlan& plan);

// Host NMIs exit (pin-based "NMI exiting") wherever the CPU allows it:
// without it an NMI that arrives while the guest runs is delivered through
// the guest's IDT (SDM Vol. 3, 25.3), the guest's to handle or to lose. With
// it the NMI is a VM exit (reason 0, interruption type NMI), and the VMM
// ends the run (result host-nmi), as it ends it for an NMI outside the guest
// (host-exception vector=2): the VMM has no NMI source of its own, so on a
// PC an NMI is the hardware's alarm (a parity or bus error, a watchdog).
constexpr uint32_t host_nmi_pin_control(uint32_t pin_may_be_one) {
  return pin_may_be_one & ia32::vmx::pin_based::nmi_exiting;
}

// The allowed-1 bits of each control word (secondary: 0 where the primary
// word may not activate it).
struct AllowedControls {
  uint32_t pin_based, primary_processor, secondary_processor;
};
AllowedControls allowed_controls(const CapabilityMsrs& msrs);

// Values every guest starts with (reset values).
inline constexpr uint64_t guest_dr7 = 0x400;
inline constexpr uint64_t guest_pat = 0x0007040600070406ull;

}  // namespace vmx
