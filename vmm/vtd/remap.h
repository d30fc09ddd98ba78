// DMA remapping (docs/platform.md, "DMA remapping"): where the firmware's ACPI tables
// have a DMAR, every remapping unit it lists translates every device's DMA
// through the VMM's tables (vtd/tables.h), which leave out the VMM's own
// memory and the units' registers and map the RAM above 4 GiB as far as
// they can (a shortfall is said on the console, not a failure); then the
// DMAR is taken out of the RSDT and the XSDT (common/acpi_hide.h), so that
// the guest's OS does not find the units and program them over. The main line runs it for every guest,
// before VMXON: whatever the guest does with the machine's bus masters,
// they cannot reach the VMM.
//
// A DMAR the VMM cannot parse, a unit it cannot use or one that does not
// confirm a step ends the run: `result=dma-remap-failed step=<step>`
// (`unit=<n>` and its status `gsts=` where a unit refused). Without a DMAR
// (no VT-d, or VT-d turned off in the firmware setup) the run goes on and
// says that devices can reach the VMM's memory.
#pragma once

#include "layout.h"
#include "vtd/state.h"

namespace vtd {

// The boot info: the VMM's copy, whose E820 map says where the RAM above
// 4 GiB is (vtd/high_ram.h).
void protect_vmm_memory(State& state, const layout::BootInfo& boot_info);

}  // namespace vtd
