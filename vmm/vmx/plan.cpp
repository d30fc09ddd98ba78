#include "vmx/plan.h"

#include "vmx/guest_timer.h"

namespace vmx {

using ia32::vmx::ControlWord;
namespace pin = ia32::vmx::pin_based;
namespace primary = ia32::vmx::primary_processor;
namespace secondary = ia32::vmx::secondary_processor;

GuestBounds choose_bounds(const CapabilityMsrs& msrs) {
  GuestBounds b{};
  b.wanted = demo_wanted_controls;
  const uint32_t primary_allowed =
      allowed_settings(msrs, ControlWord::primary_processor).may_be_one;
  const uint32_t secondary_allowed =
      (primary_allowed & primary::activate_secondary_controls) != 0
          ? allowed_settings(msrs, ControlWord::secondary_processor).may_be_one
          : 0;
  // EPT only with a 4-level walk and a memory type the EPT pointer can name.
  b.ept = (secondary_allowed & secondary::enable_ept) != 0 && ept_pointer(0, msrs.ept_vpid) != 0;
  if (b.ept) {
    b.wanted.secondary_processor |= secondary::enable_ept;
  } else {
    // The guest's page directory is the VMM's (PlanMemory::page_directory):
    // a MOV to CR3 would swap in one of the guest's own.
    b.wanted.primary_processor |= primary::cr3_load_exiting;
  }
  const uint32_t pin_allowed = allowed_settings(msrs, ControlWord::pin_based).may_be_one;
  b.wanted.pin_based |= host_nmi_pin_control(pin_allowed);
  b.nmi_exiting = host_nmi_pin_control(pin_allowed) != 0;
  b.preemption_timer = (pin_allowed & pin::activate_preemption_timer) != 0;
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

namespace {

// What every VM exit loads: the VMM as it runs, entering at the exit stub on
// the exit stack, 8 below a 16-byte boundary: after the stub's pushes RSP is
// 16-aligned for its call, as the ABI wants (vmx/exit_stub.asm).
void set_host_state(const PlanInputs& in, VmcsImage& image) {
  image.host = in.host;
  image.host.rip = in.exit_stub;
  image.host.rsp = (in.exit_stack_end & ~uint64_t{15}) - 8;
}

// Chain mode: the same steps for the second guest description.
VmcsPlan plan_chain(const PlanInputs& in, VmcsPlan& plan) {
  const CapabilityMsrs& msrs = in.msrs;
  const uint32_t primary_allowed = allowed_settings(msrs, ControlWord::primary_processor).may_be_one;
  const uint32_t secondary_allowed =
      (primary_allowed & primary::activate_secondary_controls) != 0
          ? allowed_settings(msrs, ControlWord::secondary_processor).may_be_one
          : 0;
  const uint32_t pin_allowed = allowed_settings(msrs, ControlWord::pin_based).may_be_one;
  if ((secondary_allowed & secondary::unrestricted_guest) == 0 ||
      (secondary_allowed & secondary::enable_ept) == 0 || ept_pointer(0, msrs.ept_vpid) == 0) {
    plan.error = PlanError::no_unrestricted_guest;
    return plan;
  }
  if ((pin_allowed & pin::activate_preemption_timer) == 0) {
    plan.error = PlanError::no_preemption_timer;
    return plan;
  }
  plan.chain = true;
  plan.ept = true;
  plan.preemption_timer = true;
  plan.nmi_exiting = host_nmi_pin_control(pin_allowed) != 0;
  plan.hlt_activity = (ia32::vmx::VmxMisc{msrs.misc}.activity_states() & 1) != 0;
  plan.pm1a_cnt = in.chain.pm1a_cnt;
  plan.emulator_panic_ports = in.chain.emulator_panic_ports;
  // No external-interrupt exiting: the guest's interrupts are its own, the
  // PIC and PIT as the BIOS left them. No exception bitmap bits: its
  // exceptions too. HLT exits (the guest's end, with IF = 0).
  ControlWords wanted{};
  wanted.pin_based = pin::activate_preemption_timer | host_nmi_pin_control(pin_allowed);
  wanted.primary_processor = primary::use_io_bitmaps | primary::use_msr_bitmaps |
                             primary::hlt_exiting | primary::activate_secondary_controls;
  wanted.secondary_processor = secondary::enable_ept | secondary::unrestricted_guest;
  // The guest's EFER in the VMCS, the VMM's back on every exit.
  wanted.exit = ia32::vmx::exit::host_address_space_size | ia32::vmx::exit::save_efer |
                ia32::vmx::exit::load_efer;
  wanted.entry = ia32::vmx::entry::load_efer;
  const ControlResult controls = compute_controls(msrs, wanted);
  if (!controls.ok) {
    plan.error = PlanError::controls;
    plan.control_error = controls.error;
    return plan;
  }
  const uint64_t cr0_host = chain_cr0_host_bits(msrs.cr0_fixed0);
  const uint64_t cr0 = chain_cr0_shadow | cr0_host;
  const uint64_t cr4 = msrs.cr4_fixed0;
  if ((cr0 & ~msrs.cr0_fixed1) != 0 || (cr4 & ~msrs.cr4_fixed1) != 0) {
    const bool bad_cr0 = (cr0 & ~msrs.cr0_fixed1) != 0;
    plan.error = bad_cr0 ? PlanError::guest_cr0 : PlanError::guest_cr4;
    plan.fixed_error = {false, 0, bad_cr0 ? cr0 & ~msrs.cr0_fixed1 : cr4 & ~msrs.cr4_fixed1};
    return plan;
  }
  VmcsImage& image = plan.image;
  build_chain_guest_state(in.guest, cr0, cr4, image.guest);
  const PlanMemory& memory = in.memory;
  for (uint32_t i = 0; i < 4096; ++i) memory.io_bitmap_a[i] = memory.io_bitmap_b[i] = 0;
  trap_ports(memory.io_bitmap_a, memory.io_bitmap_b, layout::COM1_PORT, layout::COM1_PORT + 7);
  for (uint16_t port : chain_kept_ports) {
    trap_ports(memory.io_bitmap_a, memory.io_bitmap_b, port, port);
  }
  if (in.chain.emulator_panic_ports) {
    trap_ports(memory.io_bitmap_a, memory.io_bitmap_b, emulator_bios_panic_port,
               emulator_bios_panic_port + 1);
  }
  if (in.chain.pm1a_cnt != 0) {
    trap_ports(memory.io_bitmap_a, memory.io_bitmap_b, in.chain.pm1a_cnt,
               static_cast<uint16_t>(in.chain.pm1a_cnt + 1));
  }
  build_control_state(controls.controls, memory.io_bitmap_a_physical,
                      memory.io_bitmap_b_physical, image.guest, image.controls);
  image.controls.exception_bitmap = 0;
  fill_chain_msr_bitmap(in.chain.msr_bitmap);
  image.controls.msr_bitmap_address = in.chain.msr_bitmap_physical;
  image.guest.ia32_efer = 0;  // real mode
  image.controls.cr0_guest_host_mask = cr0_host;
  image.controls.cr0_read_shadow = chain_cr0_shadow;
  image.controls.cr4_guest_host_mask = msrs.cr4_fixed0;
  image.controls.cr4_read_shadow = 0;
  if (!build_chain_ept(*in.chain.ept, in.chain.ept_physical, in.chain.e820, in.chain.e820_count,
                       in.chain.mtrrs, in.chain.vmm_first, in.chain.vmm_end)) {
    plan.error = PlanError::ept;
    return plan;
  }
  image.controls.ept_pointer = ept_pointer(in.chain.ept_physical, msrs.ept_vpid);
  const uint32_t base_kib = in.chain.base_memory_kib;
  if (base_kib <= layout::CHAIN_STUB_KIB || base_kib > 640 ||
      !build_guest_memory_map(in.chain.e820, in.chain.e820_count,
                              uint64_t{base_kib - layout::CHAIN_STUB_KIB} << 10,
                              in.chain.vmm_first, in.chain.vmm_end, *in.chain.memory_map)) {
    plan.error = PlanError::memory_map;
    return plan;
  }
  plan.memory_map = in.chain.memory_map;
  plan.limit_seconds = in.chain.limit_seconds;
  image.guest.preemption_timer_value =
      guest_timer::preemption_timer_value(in.tsc_ticks_in_limit, plan.timer_shift);
  set_host_state(in, image);
  return plan;
}

}  // namespace

VmcsPlan plan_vmcs(const PlanInputs& in) {
  VmcsPlan plan{};
  plan.timer_shift = ia32::vmx::VmxMisc{in.msrs.misc}.preemption_timer_tsc_shift();
  plan.tsc_ticks_in_limit = in.tsc_ticks_in_limit;
  plan.reports_ins_outs_info = ia32::vmx::VmxBasic{in.msrs.basic}.reports_ins_outs_info();
  if (in.guest.kind == layout::GUEST_KIND_CHAIN) return plan_chain(in, plan);
  const GuestBounds bounds = choose_bounds(in.msrs);
  plan.ept = bounds.ept;
  plan.preemption_timer = bounds.preemption_timer;
  plan.nmi_exiting = bounds.nmi_exiting;
  plan.timer_shift = ia32::vmx::VmxMisc{in.msrs.misc}.preemption_timer_tsc_shift();
  plan.tsc_ticks_in_limit = in.tsc_ticks_in_limit;
  plan.reports_ins_outs_info = ia32::vmx::VmxBasic{in.msrs.basic}.reports_ins_outs_info();

  const ControlResult controls = compute_controls(in.msrs, bounds.wanted);
  if (!controls.ok) {
    plan.error = PlanError::controls;
    plan.control_error = controls.error;
    return plan;
  }
  const FixedResult cr0 =
      apply_fixed_bits(guest_cr0_wanted, {in.msrs.cr0_fixed0, in.msrs.cr0_fixed1});
  const FixedResult cr4 =
      apply_fixed_bits(guest_cr4_wanted, {in.msrs.cr4_fixed0, in.msrs.cr4_fixed1});
  if (!cr0.ok || !cr4.ok) {
    plan.error = !cr0.ok ? PlanError::guest_cr0 : PlanError::guest_cr4;
    plan.fixed_error = !cr0.ok ? cr0 : cr4;
    return plan;
  }

  VmcsImage& image = plan.image;
  build_v86_guest_state(in.guest, in.guest_base, cr0.value, cr4.value, image.guest);
  const PlanMemory& memory = in.memory;
  // Every port exits: the VMM's port policy (vmx/port_policy.h) decides.
  trap_all_ports(memory.io_bitmap_a, memory.io_bitmap_b);
  build_control_state(controls.controls, memory.io_bitmap_a_physical,
                      memory.io_bitmap_b_physical, image.guest, image.controls);
  if (plan.ept) {
    // The guest's own frames and the VGA text window: nothing else.
    const EptRange ranges[] = {
        {in.guest_base, in.guest.memory_bytes, true},
        {layout::VGA_TEXT_ADDR, 0x8000, false},
    };
    if (!build_ept(*memory.ept, memory.ept_physical, ranges, 2)) {
      plan.error = PlanError::ept;
      return plan;
    }
    image.controls.ept_pointer = ept_pointer(memory.ept_physical, in.msrs.ept_vpid);
    plan.ept_tables = memory.ept;
  } else {
    // The guest's one 4 MiB page, through a page directory it cannot reach.
    for (uint32_t i = 0; i < 1024; ++i) memory.page_directory[i] = 0;
    memory.page_directory[0] = in.guest.pde0;
    image.guest.cr3 = memory.page_directory_physical;
  }
  if (plan.preemption_timer) {
    image.guest.preemption_timer_value =
        guest_timer::preemption_timer_value(in.tsc_ticks_in_limit, plan.timer_shift);
  }
  set_host_state(in, image);
  return plan;
}

}  // namespace vmx
