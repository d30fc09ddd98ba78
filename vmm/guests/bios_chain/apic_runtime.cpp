// The chain guest's WRMSR to its local APIC's base and x2APIC ICR
// (msr.h), carried out through the APIC device (devices/local_apic.h).
// When the xAPIC's register page moves (or the xAPIC is enabled, disabled
// or switched to x2APIC mode), the EPT's protection follows the page
// (vmx/mmio_ept.h) and the CPU's cached EPT translations are invalidated
// (INVEPT, single-context where the CPU has it): else the guest could
// write the new page through an old translation, unseen. A CPU without
// INVEPT, or a pool of split page tables used up, stops the guest: the
// VMM could not keep the page's stores in view. Bounded work: one MSR
// write and read, two EPT pages' entries, one INVEPT. 64-bit VMM only.
#include "guests/bios_chain/handlers.h"

#include "ia32/vmx/instructions.h"
#include "layout.h"
#include "machine.h"
#include "vmx/exit_path.h"
#include "vmx/identity_ept.h"
#include "vmx/mmio_ept.h"

namespace guests::bios_chain {

using namespace vmx::exit_path;

bool write_apic_base(vmx::Vcpu& vcpu, uint64_t value) {
  State& s = machine.bios_chain;
  if (!s.has_apic) return false;  // no APIC: the MSR does not exist
  const devices::BaseWriteOutcome outcome = devices::write_apic_base(s.apic, machine.mmio, value);
  if (outcome.fault) return false;
  if (!outcome.moved) return true;
  auto& ept = *reinterpret_cast<vmx::IdentityEptTables*>(uintptr_t{layout::IDENTITY_EPT_ADDR});
  const uint32_t type = vmx::invept_type(machine.msrs.ept_vpid);
  if (type == 0) stop_with_dump(vcpu, "the APIC page moved and the CPU has no INVEPT");
  if (vmx::follow_mmio_move(ept, machine.mmio, outcome.before, s.apic.mmio_slot) !=
      vmx::EptAccessChange::done) {
    stop_with_dump(vcpu, "the APIC page moved where the EPT cannot protect it (no page table left)");
  }
  if (ia32::vmx::invept(type, vcpu.plan.image.controls.ept_pointer) !=
      ia32::vmx::VmxResult::success) {
    stop(vcpu, "INVEPT failed");
  }
  return true;
}

bool write_x2apic_icr(vmx::Vcpu& vcpu, uint64_t value) {
  State& s = machine.bios_chain;
  if (!s.has_apic) return false;
  vmx::GuestEnd end{};
  switch (devices::write_x2apic_icr(s.apic, value, end)) {
    case devices::IcrWrite::done: return true;
    case devices::IcrWrite::fault: return false;
    case devices::IcrWrite::nmi: deliver_nmi(vcpu, false); return true;
    case devices::IcrWrite::end: break;
  }
  end_guest(vcpu, end);
}

}  // namespace guests::bios_chain
