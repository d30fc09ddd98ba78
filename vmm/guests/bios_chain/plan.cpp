#include "guests/bios_chain/plan.h"

#include "guests/bios_chain/cpuid.h"
#include "guests/bios_chain/cr0.h"
#include "guests/bios_chain/guest_state.h"
#include "guests/bios_chain/msr.h"
#include "vmx/mmio_ept.h"

namespace guests::bios_chain {

namespace pin = ia32::vmx::pin_based;
namespace primary = ia32::vmx::primary_processor;
namespace secondary = ia32::vmx::secondary_processor;

Refusal check_cpu(const vmx::CapabilityMsrs& msrs) {
  const vmx::AllowedControls allowed = vmx::allowed_controls(msrs);
  if ((allowed.secondary_processor & secondary::unrestricted_guest) == 0 ||
      (allowed.secondary_processor & secondary::enable_ept) == 0 ||
      vmx::ept_pointer(0, msrs.ept_vpid) == 0) {
    return Refusal::no_unrestricted_guest;
  }
  if ((allowed.pin_based & pin::activate_preemption_timer) == 0) {
    return Refusal::no_preemption_timer;
  }
  return Refusal::none;
}

namespace {

vmx::VmcsPlan refused(vmx::VmcsPlan& plan, Refusal why) {
  plan.error = vmx::PlanError::profile;
  plan.profile_error = static_cast<uint8_t>(why);
  return plan;
}

}  // namespace

vmx::VmcsPlan plan(const vmx::PlanInputs& in, const Inputs& chain) {
  vmx::VmcsPlan plan = vmx::start_plan(in);
  const vmx::CapabilityMsrs& msrs = in.msrs;
  if (const Refusal why = check_cpu(msrs); why != Refusal::none) return refused(plan, why);
  const vmx::AllowedControls allowed = vmx::allowed_controls(msrs);
  // No external-interrupt exiting: the guest's interrupts are its own, the
  // PIC and PIT as the BIOS left them. No exception bitmap bits: its
  // exceptions too. HLT exits (the guest's end, with IF = 0).
  vmx::ControlWords wanted{};
  // Host NMIs exit, and with "virtual NMIs" the VMM delivers them to the
  // guest, the machine's own (vmx/event_delivery.h).
  wanted.pin_based = pin::activate_preemption_timer | vmx::host_nmi_pin_control(allowed.pin_based);
  if ((wanted.pin_based & pin::nmi_exiting) != 0) {
    wanted.pin_based |= allowed.pin_based & pin::virtual_nmis;
  }
  wanted.primary_processor = primary::use_io_bitmaps | primary::use_msr_bitmaps |
                             primary::hlt_exiting | primary::activate_secondary_controls;
  wanted.secondary_processor = secondary::enable_ept | secondary::unrestricted_guest |
                               (allowed.secondary_processor & cpuid_secondary_controls);
  // The guest's EFER and PAT in the VMCS, the VMM's back on every exit.
  wanted.exit = ia32::vmx::exit::host_address_space_size | ia32::vmx::exit::save_efer |
                ia32::vmx::exit::load_efer | ia32::vmx::exit::save_pat | ia32::vmx::exit::load_pat;
  wanted.entry = ia32::vmx::entry::load_efer | ia32::vmx::entry::load_pat;
  if (!vmx::settle_controls(in, wanted, plan)) return plan;
  const uint64_t cr0_host = cr0_host_bits(msrs.cr0_fixed0);
  const uint64_t cr0 = cr0_shadow | cr0_host;
  const uint64_t cr4 = msrs.cr4_fixed0;
  if (!vmx::settle_guest_cr(cr0, msrs.cr0_fixed1, vmx::PlanError::guest_cr0, plan) ||
      !vmx::settle_guest_cr(cr4, msrs.cr4_fixed1, vmx::PlanError::guest_cr4, plan)) {
    return plan;
  }
  vmx::VmcsImage& image = plan.image;
  build_guest_state(chain.guest, cr0, cr4, image.guest);
  image.controls.exception_bitmap = 0;
  fill_chain_msr_bitmap(chain.msr_bitmap, chain.mtrrs);
  image.controls.msr_bitmap_address = chain.msr_bitmap_physical;
  image.guest.ia32_efer = 0;  // real mode
  image.controls.cr0_guest_host_mask = cr0_guest_host_mask(cr0_host);
  image.controls.cr0_read_shadow = cr0_shadow;
  image.controls.cr4_guest_host_mask = msrs.cr4_fixed0;
  image.controls.cr4_read_shadow = 0;
  if (!vmx::build_identity_ept(*chain.ept, chain.ept_physical, chain.e820, chain.e820_count,
                               chain.mtrrs, chain.vmm_first, chain.vmm_end) ||
      (chain.mmio != nullptr &&
       vmx::protect_mmio_ranges(*chain.ept, *chain.mmio) != vmx::EptAccessChange::done)) {
    plan.error = vmx::PlanError::ept;
    return plan;
  }
  const uint64_t mapped_end =
      vmx::map_identity_ept_high(*chain.ept, *chain.ept_high, chain.ept_high_physical, chain.e820,
                                 chain.e820_count, chain.mtrrs, chain.reach);
  image.controls.ept_pointer = vmx::ept_pointer(chain.ept_physical, msrs.ept_vpid);
  const uint32_t base_kib = chain.base_memory_kib;
  if (base_kib <= layout::CHAIN_STUB_KIB || base_kib > 640 ||
      !build_guest_memory_map(chain.e820, chain.e820_count,
                              uint64_t{base_kib - layout::CHAIN_STUB_KIB} << 10, chain.vmm_first,
                              chain.vmm_end, mapped_end, *chain.memory_map)) {
    return refused(plan, Refusal::base_memory);
  }
  vmx::finish_plan(in, plan);
  return plan;
}

}  // namespace guests::bios_chain
