// What every DMA-remapping unit translates with (VT-d specification
// chapter 9, legacy mode): one root table whose 256 entries (one per bus)
// all point at one context table, whose 256 entries (one per device and
// function) all put the requester in one domain with one set of
// second-level page tables. Those identity-map, read and write:
//
// - the 4 GiB below 4 GiB, all of it (RAM, the firmware's, MMIO), except
//   the holes: the VMM's own memory (these tables lie in it) and the
//   remapping units' registers. A page in a hole is not present: a
//   device's read or write there is blocked and recorded as a fault. 2 MiB
//   pages (the units must offer them: CAP.SLLPS bit 34), 4 KiB pages in the
//   2 MiB regions a hole covers only in part (split_regions of them).
// - above 4 GiB, the RAM the firmware's E820 map reports (vtd/high_ram.h:
//   usable, ACPI reclaimable, ACPI NVS), so that a guest that uses RAM up
//   there can have its 64-bit devices DMA into it. Nothing else above
//   4 GiB: not the MMIO there (devices DMA into RAM), not what lies past
//   the units' address width (the walk's 39, 48 or 57 bits, less where a
//   unit's MGAW is less). 1 GiB pages where every unit offers them
//   (CAP.SLLPS bit 35), 2 MiB pages otherwise, 4 KiB pages at the ends of
//   RAM that do not fall on 2 MiB boundaries. The tables this takes come
//   from a pool of pool_tables in the Tables (so in the VMM's memory too),
//   in address order; where the pool cannot cover all of the RAM, the RAM
//   is mapped up to where it runs out, and the result says so.
//
// Three, four or five levels, as the units walk them (CAP.SAGAW). Pure:
// the VMM passes its tables' physical address, the tests any address.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "common/phys_range.h"

namespace vtd {

// 2 MiB regions a hole may cover in part: the end of the VMM's memory, and
// the remapping units' registers (usually side by side in one region).
inline constexpr uint32_t split_regions = 4;

// The tables for the RAM above 4 GiB: 512 KiB of the VMM's .bss. With
// 1 GiB pages a PC's RAM takes a page directory, or none, and a page table
// at an end of RAM off a 2 MiB boundary: a few. Without, each GiB of RAM
// takes a page directory: the pool maps RAM to about 128 GiB above 4 GiB
// (less a table for each such end), as much as a desktop board holds. Past
// 512 GiB (4 or 5 levels) each 512 GiB takes a page-directory-pointer
// table, past 256 TiB (5 levels) each 256 TiB a PML4, from the same pool.
inline constexpr uint32_t pool_tables = 128;

struct alignas(4096) Tables {
  uint64_t root[512];     // 256 root entries of 128 bits
  uint64_t context[512];  // 256 context entries of 128 bits
  uint64_t pml5[512];     // used with 5 levels: entry 0 (more from the pool)
  uint64_t pml4[512];     // used with 4 or 5 levels: entry 0 (more from the pool)
  uint64_t pdpt[512];     // 1 GiB each: the first four below, the rest RAM above 4 GiB
  uint64_t pd[4][512];    // 2 MiB each, below 4 GiB
  uint64_t pt[split_regions][512];  // 4 KiB each, below 4 GiB
  uint64_t pool[pool_tables][512];  // above 4 GiB, taken in order
};

// Below this every address but the holes is mapped; above it, RAM.
inline constexpr uint64_t mapped_limit = 4ull << 30;
// The domain every requester is in: not 0, which a unit in caching mode
// keeps for itself (VT-d 6.1), and below every unit's domain count (16 at
// the least).
inline constexpr uint16_t domain_id = 1;

// The context entry's address-width code (AW) for a walk of `levels`.
constexpr uint32_t address_width_code(uint32_t levels) { return levels - 2; }
// The bits a walk of `levels` translates: 39, 48, 57.
constexpr uint32_t walk_width(uint32_t levels) { return 12 + 9 * levels; }

struct TableInputs {
  uint32_t levels;          // 3, 4 or 5
  bool pages_1g;            // every unit offers 1 GiB pages
  uint32_t address_width;   // the fewest bits a unit translates (MGAW); from 64 on, the walk's
  // What devices cannot reach: 4 KiB aligned, not empty, below 4 GiB.
  const PhysRange* holes;
  size_t hole_count;
  // The RAM above 4 GiB (vtd/high_ram.h): sorted, 4 KiB aligned, not
  // empty, not overlapping, at or above 4 GiB.
  const PhysRange* high_ram;
  size_t high_ram_count;
};

// Why the RAM above 4 GiB is mapped only up to BuiltTables::high_reach.
enum class Shortfall : uint8_t {
  none,           // all of it is mapped
  pool,           // the pool of tables ran out
  address_width,  // the rest lies past the units' address width
};

struct BuiltTables {
  bool ok;              // false: nothing to use (the reasons at build_tables)
  // Devices reach the RAM above 4 GiB below this address: the end of the
  // last range where all is mapped (4 GiB without RAM there), else the
  // first byte of RAM not mapped; none from there on is.
  uint64_t high_reach;
  Shortfall shortfall;
  uint32_t pool_used;   // tables taken from the pool
};

// Fills every entry of `t` (at `physical`). Not ok when `levels` is not 3,
// 4 or 5, a hole is not 4 KiB aligned, empty or reaches past 4 GiB, holes
// cover more than split_regions 2 MiB regions in part, or the RAM ranges
// are not as TableInputs says. Work is bounded by the pool, whatever the
// ranges: every page above 4 GiB is an entry of the page-directory-pointer
// table or of a pool table, (pool_tables + 1) * 512 at the most.
BuiltTables build_tables(Tables& t, uint64_t physical, const TableInputs& in);

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
