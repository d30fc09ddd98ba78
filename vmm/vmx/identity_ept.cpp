#include "vmx/identity_ept.h"

#include "vmx/ept.h"

namespace vmx {

namespace {
constexpr uint64_t all_access = ept_read | ept_write | ept_execute;
constexpr uint64_t page_2m = 2ull << 20, page_4k = 4096;
constexpr uint64_t large_page = 1ull << 7;  // PDE bit 7: maps 2 MiB (SDM Table 29-4)

struct Types {
  const layout::E820Entry* map;
  uint32_t count;
  const Mtrrs* mtrrs;
  uint64_t operator()(uint64_t first, uint64_t bytes) const {
    if (mtrrs != nullptr) return uint64_t{mtrr_type(*mtrrs, first, bytes)} << 3;
    return (e820_ram(map, count, first, bytes) ? ept_memory_type_wb : ept_memory_type_uc) << 3;
  }
};

constexpr uint64_t frame = 0x000FFFFFFFFFF000ull;
constexpr uint64_t type_bits = 0x78;  // bits 6:3: memory type, ignore PAT

// Where the tables lie: the PML4's entry 0 holds the PDPT's address.
uint64_t tables_physical(const IdentityEptTables& t) {
  return (t.pml4[0] & frame) - offsetof(IdentityEptTables, pdpt);
}

// The page table a PDE leads to, one of the tables' own, or nullptr for any
// other address.
const uint64_t* table_of(const IdentityEptTables& t, uint64_t pde) {
  const uint64_t at = (pde & frame) - tables_physical(t);
  if (at < offsetof(IdentityEptTables, pt_low) || at >= sizeof(IdentityEptTables)) return nullptr;
  return reinterpret_cast<const uint64_t*>(reinterpret_cast<const uint8_t*>(&t) + at);
}
uint64_t* table_of(IdentityEptTables& t, uint64_t pde) {
  return const_cast<uint64_t*>(table_of(static_cast<const IdentityEptTables&>(t), pde));
}

// The entry that maps `address`, 0 if none.
uint64_t entry_of(const IdentityEptTables& t, uint64_t address) {
  if (address >= identity_ept_limit) return 0;
  const uint64_t pde = t.pd[address >> 30][(address >> 21) & 511];
  if ((pde & all_access) == 0 || (pde & large_page) != 0) return pde;
  const uint64_t* pt = table_of(t, pde);
  return pt != nullptr ? pt[(address >> 12) & 511] : 0;
}

// A free pool table, filled with the 4 KiB pages of the 2 MiB page `pde`
// (its type, its access), or nullptr.
uint64_t* split(IdentityEptTables& t, uint64_t pde) {
  for (auto& pt : t.pt_pool) {
    if (pt[0] != 0) continue;
    const uint64_t base = pde & frame & ~(page_2m - 1);
    for (uint64_t p = 0; p < 512; ++p) pt[p] = (base + p * page_4k) | (pde & (type_bits | all_access));
    return pt;
  }
  return nullptr;
}

bool is_pool_table(const IdentityEptTables& t, const uint64_t* pt) {
  for (const auto& pool : t.pt_pool) {
    if (pt == pool) return true;
  }
  return false;
}

// A pool table whose pages all have full access again becomes one 2 MiB
// entry, and the table is free.
void join_if_alike(IdentityEptTables& t, uint64_t& pde, uint64_t* pt) {
  if (!is_pool_table(t, pt)) return;
  for (uint64_t p = 0; p < 512; ++p) {
    if ((pt[p] & all_access) != all_access) return;
  }
  pde = (pt[0] & frame) | large_page | (pt[0] & type_bits) | all_access;
  for (uint64_t p = 0; p < 512; ++p) pt[p] = 0;
}
}  // namespace

bool e820_ram(const layout::E820Entry* map, uint32_t count, uint64_t first, uint64_t bytes) {
  if (count > layout::E820_MAX_ENTRIES) count = layout::E820_MAX_ENTRIES;
  for (uint32_t i = 0; i < count; ++i) {
    const layout::E820Entry& e = map[i];
    if (!layout::e820_is_ram(e.type)) continue;
    // In arithmetic that cannot wrap: the firmware's numbers are not trusted.
    if (first >= e.base && first - e.base <= e.length && bytes <= e.length - (first - e.base)) {
      return true;
    }
  }
  return false;
}

bool build_identity_ept(IdentityEptTables& t, uint64_t phys, const layout::E820Entry* map,
                     uint32_t count, const Mtrrs* mtrrs, uint64_t hole_first,
                     uint64_t hole_end) {
  const Types memory_type{map, count, mtrrs};
  if (hole_first % page_2m != 0 || hole_first < page_2m || hole_end <= hole_first ||
      hole_end > identity_ept_limit) {
    return false;
  }
  for (size_t i = 0; i < 512; ++i) t.pml4[i] = t.pdpt[i] = 0;
  t.pml4[0] = (phys + offsetof(IdentityEptTables, pdpt)) | all_access;
  for (size_t g = 0; g < 4; ++g) {
    t.pdpt[g] = (phys + offsetof(IdentityEptTables, pd) + g * 4096) | all_access;
  }
  const uint64_t hole_end_2m = hole_end & ~(page_2m - 1);
  for (uint64_t i = 0; i < 4 * 512; ++i) {
    const uint64_t base = i * page_2m;
    uint64_t& pde = t.pd[i / 512][i % 512];
    if (base == 0) {
      pde = (phys + offsetof(IdentityEptTables, pt_low)) | all_access;
    } else if (base == hole_end_2m && hole_end % page_2m != 0) {
      pde = (phys + offsetof(IdentityEptTables, pt_hole_end)) | all_access;
    } else if (base >= hole_first && base < hole_end) {
      pde = 0;  // the VMM's
    } else {
      pde = base | large_page | memory_type(base, page_2m) | all_access;
    }
  }
  for (auto& pt : t.pt_pool) {
    for (uint64_t& pte : pt) pte = 0;  // free (the memory is not .bss)
  }
  for (uint64_t p = 0; p < 512; ++p) {
    const uint64_t low = p * page_4k;
    t.pt_low[p] = low | memory_type(low, page_4k) | all_access;
    const uint64_t high = hole_end_2m + p * page_4k;
    t.pt_hole_end[p] =
        high < hole_end ? 0 : high | memory_type(high, page_4k) | all_access;
  }
  return true;
}

EptAccessChange identity_ept_set_access(IdentityEptTables& t, uint64_t first, uint64_t bytes,
                                        uint64_t access) {
  if (bytes == 0 || first % page_4k != 0 || bytes % page_4k != 0 || first >= identity_ept_limit ||
      bytes > identity_ept_limit - first || (access & all_access) == 0 || (access & ~all_access) != 0) {
    return EptAccessChange::out_of_range;
  }
  const uint64_t end = first + bytes;
  // Tables first, so that a pool too small changes nothing.
  unsigned splits = 0, free_tables = 0;
  for (const auto& pt : t.pt_pool) free_tables += pt[0] == 0;
  for (uint64_t region = first & ~(page_2m - 1); region < end; region += page_2m) {
    const uint64_t pde = t.pd[region >> 30][(region >> 21) & 511];
    const bool whole = first <= region && end - region >= page_2m;
    splits += (pde & large_page) != 0 && !whole && (pde & all_access) != access;
  }
  if (splits > free_tables) return EptAccessChange::no_table;
  for (uint64_t region = first & ~(page_2m - 1); region < end; region += page_2m) {
    uint64_t& pde = t.pd[region >> 30][(region >> 21) & 511];
    if ((pde & all_access) == 0) continue;  // the VMM's: unmapped stays so
    const bool whole = first <= region && end - region >= page_2m;
    if ((pde & large_page) != 0) {
      if (whole || (pde & all_access) == access) {
        pde = (pde & ~all_access) | access;
        continue;
      }
      const uint64_t* pt = split(t, pde);
      pde = (tables_physical(t) + static_cast<uint64_t>(reinterpret_cast<const uint8_t*>(pt) -
                                                        reinterpret_cast<const uint8_t*>(&t))) |
            all_access;
    }
    uint64_t* pt = table_of(t, pde);
    if (pt == nullptr) continue;
    const uint64_t from = first > region ? first : region;
    const uint64_t to = end - region < page_2m ? end : region + page_2m;
    for (uint64_t page = from; page < to; page += page_4k) {
      uint64_t& pte = pt[(page >> 12) & 511];
      if ((pte & all_access) != 0) pte = (pte & ~all_access) | access;
    }
    join_if_alike(t, pde, pt);
  }
  return EptAccessChange::done;
}

uint64_t identity_ept_access(const IdentityEptTables& t, uint64_t address) {
  return entry_of(t, address) & all_access;
}

bool identity_ept_maps(const IdentityEptTables& t, uint64_t address) {
  return (entry_of(t, address) & all_access) != 0;
}

uint8_t identity_ept_type(const IdentityEptTables& t, uint64_t address) {
  return uint8_t((entry_of(t, address) >> 3) & 7);
}

}  // namespace vmx
