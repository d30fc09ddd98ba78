#include "common/paging.h"

namespace paging {

void build_identity_map_4g(uint64_t* tables, uint64_t tables_phys, bool one_gib_pages) {
  uint64_t* pml4 = tables;
  uint64_t* pdpt = tables + entries_per_table;
  uint64_t* directories = tables + 2 * entries_per_table;
  const uint64_t pdpt_phys = tables_phys + page_4k;
  const uint64_t directories_phys = tables_phys + 2 * page_4k;

  // The PML4 and the PDPT are mostly empty; the directories get every entry.
  __builtin_memset(tables, 0, 2 * page_4k);
  pml4[0] = table_entry(pdpt_phys, present | writable);
  for (int gib = 0; gib < 4; ++gib) {
    pdpt[gib] = one_gib_pages
                    ? page_entry_1g(static_cast<uint64_t>(gib) * page_1g, present | writable)
                    : table_entry(directories_phys + gib * page_4k, present | writable);
  }
  if (one_gib_pages) return;
  // Directory gib, entry i maps (gib * 512 + i) * 2 MiB: one run of 2048.
  for (int i = 0; i < 4 * entries_per_table; ++i) {
    directories[i] = page_entry_2m(static_cast<uint64_t>(i) * page_2m, present | writable);
  }
}

}  // namespace paging
