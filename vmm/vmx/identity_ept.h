// An EPT for a guest that owns the machine: the guest-physical space below
// 4 GiB identity-mapped, RAM, ROMs and MMIO alike, except the VMM's own
// memory [hole_first, hole_end) (code, data, stacks, VMCS, host page tables
// and these tables): a guest access there is an EPT violation, a VM exit.
// 2 MiB pages, and 4 KiB pages in the first 2 MiB (where the BIOS areas,
// VGA and ROMs lie close together) and in the 2 MiB the hole ends in.
// After that, a range may get less access than the rest (a device's
// registers the guest may read but not write: identity_ept_set_access); a
// 2 MiB page that is to differ in part is split into a page table from a
// small pool, and joined again once its pages are all alike.
// Memory types: the MTRRs' (vmx/mtrr.h) where the CPU has them (a 2 MiB
// page the MTRRs split gets UC); without MTRRs, write-back where the
// firmware's E820 map says RAM (usable, ACPI reclaimable, ACPI NVS) for the
// whole page, uncacheable everywhere else (MMIO, ROMs, holes).
// Pure: the VMM passes its tables' physical address, the tests any address.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "layout.h"
#include "vmx/mtrr.h"

namespace vmx {

// Page tables for 2 MiB pages split after the build: enough for the local
// APIC's page and three more 2 MiB pages that a device's registers take in
// part (a DMA-remapping unit's page, an ECAM window's end; a split table
// serves every range in its 2 MiB).
inline constexpr unsigned identity_ept_pool_tables = 4;

struct alignas(4096) IdentityEptTables {
  uint64_t pml4[512];
  uint64_t pdpt[512];
  uint64_t pd[4][512];   // 4 x 1 GiB
  uint64_t pt_low[512];  // the first 2 MiB
  uint64_t pt_hole_end[512];  // the 2 MiB the VMM's memory ends in
  // Free while its entry 0 is 0 (an entry in use maps its page: never 0).
  uint64_t pt_pool[identity_ept_pool_tables][512];
};
static_assert(sizeof(IdentityEptTables) == layout::IDENTITY_EPT_BYTES);  // where the VMM keeps it

inline constexpr uint64_t identity_ept_limit = 4ull << 30;

// Whether [first, first + bytes) lies inside one RAM entry of the map.
bool e820_ram(const layout::E820Entry* map, uint32_t count, uint64_t first, uint64_t bytes);

// Fills every entry of `tables` (at `tables_physical`); memory types from
// `mtrrs`, or from the E820 map where it is null. False (nothing to
// use) when the hole is not where the tables can leave it out: it must
// start on a 2 MiB boundary at or above 2 MiB and end below 4 GiB.
bool build_identity_ept(IdentityEptTables& tables, uint64_t tables_physical,
                     const layout::E820Entry* map, uint32_t count, const Mtrrs* mtrrs,
                     uint64_t hole_first, uint64_t hole_end);

// Whether guest-physical `address` is mapped (for the tests and reports).
bool identity_ept_maps(const IdentityEptTables& tables, uint64_t address);
// The memory type of the entry that maps `address` (bits 5:3), if mapped.
uint8_t identity_ept_type(const IdentityEptTables& tables, uint64_t address);
// The access the guest has at `address` (ept_read | ept_write | ept_execute;
// 0: not mapped).
uint64_t identity_ept_access(const IdentityEptTables& tables, uint64_t address);

enum class EptAccessChange : uint8_t {
  done,          // every mapped page of the range has the access now
  out_of_range,  // not whole 4 KiB pages below identity_ept_limit, or no access at all
  no_table,      // a 2 MiB page to split, and the pool used up (nothing changed)
};

// Gives every mapped page of [first, first + bytes) the access `access`
// (ept_read | ept_write | ept_execute, not 0: unmapping is the build's);
// the VMM's hole stays unmapped. A 2 MiB page the range covers whole keeps
// one entry; one it covers in part is split into a pool table (its pages
// keep the 2 MiB page's type), which is freed, the 2 MiB entry restored,
// once all its pages have full access again. After a change to tables a
// guest runs on, the CPU's cached translations must be invalidated
// (INVEPT). Bounded: 512 entries per 2 MiB the range touches.
EptAccessChange identity_ept_set_access(IdentityEptTables& tables, uint64_t first, uint64_t bytes,
                                        uint64_t access);

}  // namespace vmx
