// The identity EPT as the device layer's memory ranges want it
// (devices/mmio_map.h): a guest reads a claimed range itself, but its
// stores exit (EPT violations the core decodes and hands to the device)
// and no code runs there. Called before the guest runs (the plan) and
// after a device's range moved (then with INVEPT: the CPU may hold
// translations from the old entries). Pure.
#pragma once

#include <stdint.h>

#include "devices/mmio_map.h"
#include "vmx/ept.h"
#include "vmx/identity_ept.h"

namespace vmx {

inline constexpr uint64_t mmio_guest_access = ept_read;

// Every active range of `map` read-only and not executable. Ranges above
// the identity EPT's 4 GiB need nothing: nothing is mapped there.
EptAccessChange protect_mmio_ranges(IdentityEptTables& tables, const devices::MmioMap& map);

// The range in `slot` has moved, from `before` (as it was) to where the map
// has it now: its new pages protected first (a pool too small changes
// nothing), then its old ones given full access back but where another
// active range still holds them.
EptAccessChange follow_mmio_move(IdentityEptTables& tables, const devices::MmioMap& map,
                                 const devices::MmioMap::Range& before, uint8_t slot);

}  // namespace vmx
