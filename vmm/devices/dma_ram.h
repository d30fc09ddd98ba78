// Where a DMA the guest programs may go (docs/platform.md, DMA): the
// RAM the firmware's E820 map reports usable, below 4 GiB (a PRD entry
// holds a 32-bit address, an ISA channel 24 bits), less the VMM's memory.
// Built once before the guest runs, from the VMM's copy of the map, as
// sorted ranges that neither overlap nor touch, so that the check of one
// region on a VM exit is a walk over a few ranges, whatever the map looked
// like. Pure.
#pragma once

#include <stdint.h>

#include "layout.h"

namespace devices {

struct DmaRam {
  // Each range of RAM starts where a usable entry starts or where a
  // reserved entry or the VMM's memory ends: with at most E820_MAX_ENTRIES
  // entries there are at most that many plus two (0, and the VMM's end).
  static constexpr uint32_t max_ranges = layout::E820_MAX_ENTRIES + 2;
  struct Range {
    uint64_t first, end;  // [first, end), end <= 4 GiB
  };
  Range ranges[max_ranges];
  uint32_t count;
};

inline constexpr uint64_t dma_address_limit = 1ull << 32;

// The RAM from the firmware's `count` entries: usable (type 1) and inside
// no entry of another type (a range reported both ways is not RAM, as
// common/usable_ram.h takes it), outside [vmm_first, vmm_end), below 4 GiB.
// Entries in any order, overlapping, of length 0 or reaching past 2^64.
void build_dma_ram(const layout::E820Entry* map, uint32_t count, uint64_t vmm_first,
                   uint64_t vmm_end, DmaRam& out);

// Whether all of [first, first + bytes) is RAM (bytes > 0; no sum wraps).
bool dma_ram_holds(const DmaRam& ram, uint64_t first, uint64_t bytes);

// Whether [first, first + bytes) touches [vmm_first, vmm_end).
constexpr bool touches_vmm(uint64_t first, uint64_t bytes, uint64_t vmm_first,
                           uint64_t vmm_end) {
  return first < vmm_end && (first >= vmm_first || vmm_first - first < bytes);
}

}  // namespace devices
