// What the VMM keeps of DMA remapping, in its Machine (vmm/machine.h): the
// tables every remapping unit translates with (4 KiB aligned, inside the
// VMM's memory, so devices cannot reach them either), the DMAR as parsed,
// each unit's capabilities and register window, the ranges devices are
// kept out of, and the RAM above 4 GiB they may reach.
#pragma once

#include <stdint.h>

#include "common/phys_range.h"
#include "vtd/dmar.h"
#include "vtd/high_ram.h"
#include "vtd/tables.h"
#include "vtd/unit.h"

namespace vtd {

struct State {
  Tables tables;
  Dmar dmar;
  UnitCaps caps[max_units];
  uint64_t windows[max_units];      // each unit's registers, bytes from its base
  // The VMM's memory first, then each unit's registers.
  PhysRange holes[1 + max_units];
  uint32_t hole_count;
  HighRam high_ram;                 // from the boot info's E820 map
  uint32_t levels;                  // the walk every unit makes
  uint32_t address_width;           // the fewest bits a unit translates (MGAW)
  bool pages_1g;                    // every unit offers 1 GiB pages
  BuiltTables built;                // how far above 4 GiB the tables reach
  bool active;                      // translation on in every unit
};

}  // namespace vtd
