// What every DMA-remapping unit translates with (VT-d specification
// chapter 9, legacy mode): one root table whose 256 entries (one per bus)
// all point at one context table, whose 256 entries (one per device and
// function) all put the requester in one domain with one set of
// second-level page tables. Those identity-map the 4 GiB below 4 GiB, read
// and write, except the holes: the VMM's own memory (these tables lie in
// it) and the remapping units' registers. A page in a hole is not present:
// a device's read or write there is blocked and recorded as a fault.
// Above 4 GiB nothing is mapped: the guest reaches no memory there either
// (its EPT maps the same 4 GiB).
//
// 2 MiB pages (the units must offer them: CAP.SLLPS bit 34), 4 KiB pages
// in the 2 MiB regions a hole covers only in part. Three, four or five
// levels, as the units walk them (CAP.SAGAW). Pure: the VMM passes its
// tables' physical address, the tests any address.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "common/phys_range.h"

namespace vtd {

// 2 MiB regions a hole may cover in part: the end of the VMM's memory, and
// the remapping units' registers (usually side by side in one region).
inline constexpr uint32_t split_regions = 4;

struct alignas(4096) Tables {
  uint64_t root[512];     // 256 root entries of 128 bits
  uint64_t context[512];  // 256 context entries of 128 bits
  uint64_t pml5[512];     // used with 5 levels: entry 0
  uint64_t pml4[512];     // used with 4 or 5 levels: entry 0
  uint64_t pdpt[512];     // 1 GiB each: the first four
  uint64_t pd[4][512];    // 2 MiB each
  uint64_t pt[split_regions][512];  // 4 KiB each
};

inline constexpr uint64_t mapped_limit = 4ull << 30;
// The domain every requester is in: not 0, which a unit in caching mode
// keeps for itself (VT-d 6.1), and below every unit's domain count (16 at
// the least).
inline constexpr uint16_t domain_id = 1;

// The context entry's address-width code (AW) for a walk of `levels`.
constexpr uint32_t address_width_code(uint32_t levels) { return levels - 2; }

// Fills every entry of `t` (at `physical`). False (nothing to use) when
// `levels` is not 3, 4 or 5, a hole is not 4 KiB aligned, empty or reaches
// past 4 GiB, or holes cover more than split_regions 2 MiB regions in
// part.
// The holes: what devices cannot reach, 4 KiB aligned, below 4 GiB.
bool build_tables(Tables& t, uint64_t physical, uint32_t levels, const PhysRange* holes,
                  size_t hole_count);

// A unit's walk, read back from the tables as the hardware reads them: the
// root entry of the requester's bus, the context entry of its device and
// function, then as many levels of page tables as its address width says.
// Every pointer must lead into `t` (at `physical`), else nothing is mapped.
struct Translation {
  bool read;
  bool write;
  uint64_t address;  // where a mapped address goes
};
Translation translate(const Tables& t, uint64_t physical, uint16_t source_id, uint64_t address);

}  // namespace vtd
