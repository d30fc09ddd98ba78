// A guest profile: what the VMM does for one kind of guest, the kind its
// header names (abi/guest_header.h). The main line (vmm/main.cpp) picks the
// profile once, from the checked header; nothing else asks which guest
// runs. A profile brings its devices onto the machine's port map, its part
// of the VMCS plan (a pure function in guests/<name>/plan.h, host-tested
// on every Bochs model through the entry checker), its exit handlers (a
// table over the core's, vmx/exit_handlers.h), and its launch, report and
// end.
#pragma once

#include <stdint.h>

#include "vmx/exit_handlers.h"
#include "vmx/plan.h"
#include "vmx/vcpu.h"

struct Machine;

namespace guests {

struct GuestProfile {
  const char* name;  // "v86-demo", "chain": the kind, as the report names it
  uint16_t kind;     // layout::GUEST_KIND_*
  // Its devices on the machine's port map (state in the Machine), and what
  // the port map leaves to the guest.
  void (*attach_devices)(Machine& machine, vmx::Vcpu& vcpu, uint64_t tsc_ticks_in_limit);
  // Its plan into vcpu.plan, from the common inputs and its own (gathered
  // here); a refusal of its own ends the run with its result.
  void (*plan)(Machine& machine, vmx::Vcpu& vcpu, vmx::PlanInputs inputs);
  // Once the VMCS is written: VMLAUNCH, the guest's run, its report and the
  // run's end. Does not return.
  void (*run)(Machine& machine, vmx::Vcpu& vcpu);
  const vmx::HandlerTable* handlers;
};

// The profile of a guest kind the header check accepted.
const GuestProfile& profile_for(uint16_t kind);

}  // namespace guests
