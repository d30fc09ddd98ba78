#include "guests/v86_demo/plan.h"

#include "guests/v86_demo/guest_state.h"

namespace guests::v86_demo {

namespace pin = ia32::vmx::pin_based;
namespace primary = ia32::vmx::primary_processor;
namespace secondary = ia32::vmx::secondary_processor;

GuestBounds choose_bounds(const vmx::CapabilityMsrs& msrs) {
  GuestBounds b{};
  b.wanted = wanted_controls;
  const vmx::AllowedControls allowed = vmx::allowed_controls(msrs);
  // EPT only with a 4-level walk and a memory type the EPT pointer can name.
  b.ept = (allowed.secondary_processor & secondary::enable_ept) != 0 &&
          vmx::ept_pointer(0, msrs.ept_vpid) != 0;
  if (b.ept) {
    b.wanted.secondary_processor |= secondary::enable_ept;
  } else {
    // The guest's page directory is the VMM's (Inputs::page_directory): a
    // MOV to CR3 would swap in one of the guest's own.
    b.wanted.primary_processor |= primary::cr3_load_exiting;
  }
  b.wanted.pin_based |= vmx::host_nmi_pin_control(allowed.pin_based);
  b.nmi_exiting = vmx::host_nmi_pin_control(allowed.pin_based) != 0;
  b.preemption_timer = (allowed.pin_based & pin::activate_preemption_timer) != 0;
  if (b.preemption_timer) {
    // Not "save VMX-preemption timer value": that would carry over the
    // guest's time only. Each exit restarts the timer with what is left
    // until the deadline, which counts the exits' time too
    // (vmx/exit_runtime.cpp), and works the same where the CPU cannot save.
    b.wanted.pin_based |= pin::activate_preemption_timer;
  } else {
    b.wanted.pin_based |= pin::external_interrupt_exiting;
    b.wanted.exit |= ia32::vmx::exit::acknowledge_interrupt_on_exit;
  }
  return b;
}

vmx::VmcsPlan plan(const vmx::PlanInputs& in, const Inputs& demo) {
  vmx::VmcsPlan plan = vmx::start_plan(in);
  const GuestBounds bounds = choose_bounds(in.msrs);
  if (!vmx::settle_controls(in, bounds.wanted, plan)) return plan;
  const vmx::FixedResult cr0 =
      vmx::apply_fixed_bits(guest_cr0_wanted, {in.msrs.cr0_fixed0, in.msrs.cr0_fixed1});
  const vmx::FixedResult cr4 =
      vmx::apply_fixed_bits(guest_cr4_wanted, {in.msrs.cr4_fixed0, in.msrs.cr4_fixed1});
  if (!cr0.ok || !cr4.ok) {
    plan.error = !cr0.ok ? vmx::PlanError::guest_cr0 : vmx::PlanError::guest_cr4;
    plan.fixed_error = !cr0.ok ? cr0 : cr4;
    return plan;
  }
  vmx::VmcsImage& image = plan.image;
  build_guest_state(demo.guest, demo.guest_base, cr0.value, cr4.value, image.guest);
  build_control_state(image.guest, image.controls);
  if (bounds.ept) {
    // The guest's own frames and the VGA text window: nothing else.
    const vmx::EptRange ranges[] = {
        {demo.guest_base, demo.guest.memory_bytes, true},
        {layout::VGA_TEXT_ADDR, 0x8000, false},
    };
    if (!vmx::build_ept(*demo.ept, demo.ept_physical, ranges, 2)) {
      plan.error = vmx::PlanError::ept;
      return plan;
    }
    image.controls.ept_pointer = vmx::ept_pointer(demo.ept_physical, in.msrs.ept_vpid);
  } else {
    // The guest's one 4 MiB page, through a page directory it cannot reach.
    for (uint32_t i = 0; i < 1024; ++i) demo.page_directory[i] = 0;
    demo.page_directory[0] = demo.guest.pde0;
    image.guest.cr3 = demo.page_directory_physical;
  }
  vmx::finish_plan(in, plan);
  return plan;
}

}  // namespace guests::v86_demo
