// What the whole virtual machine shares, one object: the boot info and the
// guest's header as the VMM copied them, the capability MSRs, the console
// and the run's ending (common/run_state.h), the port map and the devices'
// state, the guest profile's memory and state, DMA remapping's tables. With the array of Vcpus
// (vmx/vcpu.h) it is the VMM's only mutable state at namespace scope (a
// unit test holds the VMM's symbol table to that). Plain data, zeroed at
// entry: no constructor runs.
#pragma once

#include <stdint.h>

#include "common/run_state.h"
#include "guest_header.h"
#include "devices/port_map.h"
#include "guests/bios_chain/state.h"
#include "guests/profile.h"
#include "guests/v86_demo/state.h"
#include "layout.h"
#include "vmx/controls.h"
#include "vmx/vcpu.h"
#include "vtd/state.h"

struct Machine {
  layout::BootInfo boot_info;   // the VMM's copy, taken first (the original lies in
                                // low memory, which a guest may write)
  layout::GuestHeader guest;    // the checked copy (guests/guest_header_check.h)
  const guests::GuestProfile* profile;
  vmx::CapabilityMsrs msrs;
  RunState run;                 // console, power-off, end-of-run wait
  devices::PortMap ports;
  guests::v86_demo::State v86_demo;
  guests::bios_chain::State bios_chain;
  vtd::State dma;               // DMA remapping (vtd/remap.h): its tables, the units
};

// How many CPUs the VMM runs VMX on: the one it booted on.
inline constexpr unsigned vmm_cpus = 1;

extern "C" {
extern vmx::Vcpu vcpus[vmm_cpus];
extern Machine machine;
}
