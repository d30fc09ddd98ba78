// The V86 demo's part of the VMCS plan (vmx/plan.h has the common part):
// the 2007 lecture's guest in a virtual-8086 task under the VMM's paging.
// Its bounds follow the CPU: EPT where it has one (else CR3-load exiting
// and a page directory the VMM holds), the VMX-preemption timer where it
// has one (else external-interrupt exiting for the PIT's ticks), NMI
// exiting where allowed; every port exits (the profile's devices decide:
// COM1 and the benchmark's port, every other port denied). Pure.
#pragma once

#include <stdint.h>

#include "guest_header.h"
#include "vmx/controls.h"
#include "vmx/ept.h"
#include "vmx/plan.h"

namespace guests::v86_demo {

// The controls wanted for the guest on this CPU (before the CPU's
// must-be-1 bits are added): wanted_controls (guest_state.h), plus EPT
// where the CPU has it (else CR3-load exiting), NMI exiting where allowed,
// and the VMX-preemption timer where the CPU has it (else
// external-interrupt exiting and acknowledge on exit, for the PIT's ticks).
struct GuestBounds {
  bool ept;
  bool preemption_timer;
  bool nmi_exiting;
  vmx::ControlWords wanted;
};
GuestBounds choose_bounds(const vmx::CapabilityMsrs& msrs);

// The VMM memory the plan fills for the guest, and its physical addresses.
struct Inputs {
  layout::GuestHeader guest;    // the VMM's checked copy
  uint32_t guest_base;          // where it is loaded (layout::GUEST_ADDR)
  vmx::EptTables* ept;          // used where the CPU has EPT
  uint64_t ept_physical;
  uint32_t* page_directory;     // else the guest's page directory, held by the VMM
  uint64_t page_directory_physical;
};

// The complete plan: the common part and the demo's. plan.error says what
// failed (controls, guest CR0/CR4, EPT).
vmx::VmcsPlan plan(const vmx::PlanInputs& in, const Inputs& demo);

}  // namespace guests::v86_demo
