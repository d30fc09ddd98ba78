// The RAM above 4 GiB that devices may reach through the remapping tables
// (vtd/tables.h; docs/platform.md, "DMA remapping"): what the firmware's
// E820 map (the VMM's copy, in the boot info) reports as usable (type 1),
// ACPI reclaimable (3) or ACPI NVS (4) at or above 4 GiB, as sorted ranges
// of whole 4 KiB pages that neither overlap nor touch.
//
// The map is untrusted: entries in any order, overlapping, of length 0, or
// whose base + length passes 2^64 (taken to the last page below 2^64: the
// tables stop at the units' address width anyway); no sum here wraps, and
// at most E820_MAX_ENTRIES entries are read. A page such an entry touches
// is taken whole. An entry of another type over the same bytes takes
// nothing away: above 4 GiB the VMM keeps nothing from devices, and a page
// mapped that the OS does not use as RAM gives a device nothing the guest
// does not reach itself. Pure.
#pragma once

#include <stdint.h>

#include "common/phys_range.h"
#include "layout.h"

namespace vtd {

inline constexpr uint64_t high_ram_first = 1ull << 32;
// Where an entry that runs past 2^64 is cut: the last 4 KiB page below it.
inline constexpr uint64_t high_ram_ceiling = ~0ull << 12;

struct HighRam {
  // One range an entry at the most (merging only makes fewer).
  static constexpr uint32_t max_ranges = layout::E820_MAX_ENTRIES;
  PhysRange ranges[max_ranges];  // high_ram_first <= first < end <= high_ram_ceiling
  uint32_t count;
};

// The firmware's `count` entries of `map` (at most E820_MAX_ENTRIES read).
void find_high_ram(const layout::E820Entry* map, uint32_t count, HighRam& out);

// The RAM's bytes in all ranges (no sum wraps: the ranges lie below 2^64).
uint64_t high_ram_bytes(const HighRam& ram);

}  // namespace vtd
