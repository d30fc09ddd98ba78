// Long-mode (4-level) paging entries, SDM Vol. 3A 4.5, and the host's
// identity map of the low 4 GiB.
#pragma once

#include <stdint.h>

#include "layout.h"

namespace paging {

// Entry flags (SDM Vol. 3A tables 4-15 to 4-20). Bit 7 is page_size in a
// PDPTE or PDE (1 GiB / 2 MiB page) and PAT in a PTE.
inline constexpr uint64_t present = 1ull << 0;
inline constexpr uint64_t writable = 1ull << 1;
inline constexpr uint64_t user = 1ull << 2;
inline constexpr uint64_t pwt = 1ull << 3;  // page-level write-through
inline constexpr uint64_t pcd = 1ull << 4;  // page-level cache disable
inline constexpr uint64_t accessed = 1ull << 5;
inline constexpr uint64_t dirty = 1ull << 6;  // only in entries that map a page
inline constexpr uint64_t page_size = 1ull << 7;
inline constexpr uint64_t global = 1ull << 8;  // only in entries that map a page
inline constexpr uint64_t nx = 1ull << 63;     // needs IA32_EFER.NXE, else reserved

// Physical-address bits 51:12 (MAXPHYADDR is at most 52).
inline constexpr uint64_t address_mask = 0x000FFFFFFFFFF000ull;
inline constexpr uint64_t page_4k = 1ull << 12;
inline constexpr uint64_t page_2m = 1ull << 21;
inline constexpr uint64_t page_1g = 1ull << 30;
inline constexpr int entries_per_table = 512;

// A PML4E, PDPTE or PDE that points to the next table (4 KiB aligned).
constexpr uint64_t table_entry(uint64_t next_table_phys, uint64_t flags) {
  return (next_table_phys & address_mask) | (flags & ~page_size);
}

// A PTE mapping a 4 KiB page.
constexpr uint64_t page_entry_4k(uint64_t phys, uint64_t flags) {
  return (phys & address_mask) | flags;
}

// A PDE mapping a 2 MiB page: address bits 51:21.
constexpr uint64_t page_entry_2m(uint64_t phys, uint64_t flags) {
  return (phys & address_mask & ~(page_2m - 1)) | flags | page_size;
}

// A PDPTE mapping a 1 GiB page (CPUID.80000001H:EDX.Page1GB): bits 51:30.
constexpr uint64_t page_entry_1g(uint64_t phys, uint64_t flags) {
  return (phys & address_mask & ~(page_1g - 1)) | flags | page_size;
}

constexpr uint64_t entry_address(uint64_t entry) { return entry & address_mask; }

// Table indices of a linear address (9 bits each).
constexpr unsigned pml4_index(uint64_t linear) { return (linear >> 39) & 0x1FF; }
constexpr unsigned pdpt_index(uint64_t linear) { return (linear >> 30) & 0x1FF; }
constexpr unsigned pd_index(uint64_t linear) { return (linear >> 21) & 0x1FF; }
constexpr unsigned pt_index(uint64_t linear) { return (linear >> 12) & 0x1FF; }

// Identity map of 0-4 GiB with 2 MiB pages: PML4, PDPT and four page
// directories, one 4 KiB page each, consecutive.
inline constexpr int identity_map_4g_pages = 6;
inline constexpr uint64_t identity_map_4g_bytes = identity_map_4g_pages * page_4k;
static_assert(identity_map_4g_bytes == layout::PAGE_TABLES_BYTES,
              "layout reserves exactly the tables build_identity_map_4g fills");

// Fills the pages at `tables` (its physical address `tables_phys`, 4 KiB
// aligned) with present|writable entries mapping linear = physical for
// 0-4 GiB; every other entry of the PML4 and PDPT is zero. With 2 MiB pages
// that is all six pages; with 1 GiB pages (where CPUID 0x80000001 EDX bit 26
// allows them) only the PML4 and the PDPT, four entries of which map it all:
// boot time is counted in instructions, and that is 2048 stores fewer.
// Load CR3 with tables_phys.
void build_identity_map_4g(uint64_t* tables, uint64_t tables_phys, bool one_gib_pages = false);

}  // namespace paging
