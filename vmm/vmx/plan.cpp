#include "vmx/plan.h"

#include "vmx/guest_timer.h"

namespace vmx {

using ia32::vmx::ControlWord;

FixedResult apply_fixed_bits(uint64_t wanted, ia32::vmx::FixedBits fixed) {
  uint64_t forbidden = wanted & ~fixed.fixed1;
  if (forbidden != 0) return {false, 0, forbidden};
  return {true, fixed.apply(wanted), 0};
}

AllowedControls allowed_controls(const CapabilityMsrs& msrs) {
  AllowedControls a{};
  a.pin_based = allowed_settings(msrs, ControlWord::pin_based).may_be_one;
  a.primary_processor = allowed_settings(msrs, ControlWord::primary_processor).may_be_one;
  if ((a.primary_processor & ia32::vmx::primary_processor::activate_secondary_controls) != 0) {
    a.secondary_processor = allowed_settings(msrs, ControlWord::secondary_processor).may_be_one;
  }
  return a;
}

VmcsPlan start_plan(const PlanInputs& in) {
  VmcsPlan plan{};
  plan.timer_shift = ia32::vmx::VmxMisc{in.msrs.misc}.preemption_timer_tsc_shift();
  plan.tsc_ticks_in_limit = in.tsc_ticks_in_limit;
  plan.reports_ins_outs_info = ia32::vmx::VmxBasic{in.msrs.basic}.reports_ins_outs_info();
  return plan;
}

bool settle_controls(const PlanInputs& in, const ControlWords& wanted, VmcsPlan& plan) {
  const ControlResult controls = compute_controls(in.msrs, wanted);
  if (!controls.ok) {
    plan.error = PlanError::controls;
    plan.control_error = controls.error;
    return false;
  }
  plan.image.controls.words = controls.controls;
  plan.preemption_timer =
      (controls.controls.pin_based & ia32::vmx::pin_based::activate_preemption_timer) != 0;
  plan.nmi_exiting = (controls.controls.pin_based & ia32::vmx::pin_based::nmi_exiting) != 0;
  return true;
}

bool settle_guest_cr(uint64_t value, uint64_t fixed1, PlanError error, VmcsPlan& plan) {
  if ((value & ~fixed1) == 0) return true;
  plan.error = error;
  plan.fixed_error = {false, 0, value & ~fixed1};
  return false;
}

// What every VM exit loads: the VMM as it runs, entering at the exit stub
// with RSP at the Vcpu's ExitContext, into which the stub stores the
// guest's registers, with the exit stack below it (vmx/exit_stub.asm).
void finish_plan(const PlanInputs& in, VmcsPlan& plan) {
  VmcsImage& image = plan.image;
  image.host = in.host;
  image.host.rip = in.exit_stub;
  image.host.rsp = in.exit_context;
  image.controls.io_bitmap_a_address = in.io_bitmap_a_physical;
  image.controls.io_bitmap_b_address = in.io_bitmap_b_physical;
  if (plan.preemption_timer) {
    image.guest.preemption_timer_value =
        guest_timer::preemption_timer_value(in.tsc_ticks_in_limit, plan.timer_shift);
  }
}

}  // namespace vmx
