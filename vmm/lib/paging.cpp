#include "lib/paging.h"

namespace paging {

void build_identity_map_4g(uint64_t* tables, uint64_t tables_phys) {
  uint64_t* pml4 = tables;
  uint64_t* pdpt = tables + entries_per_table;
  uint64_t* directories = tables + 2 * entries_per_table;
  const uint64_t pdpt_phys = tables_phys + page_4k;
  const uint64_t directories_phys = tables_phys + 2 * page_4k;

  for (int i = 0; i < identity_map_4g_pages * entries_per_table; ++i) tables[i] = 0;

  pml4[0] = table_entry(pdpt_phys, present | writable);
  for (int gib = 0; gib < 4; ++gib) {
    pdpt[gib] = table_entry(directories_phys + gib * page_4k, present | writable);
  }
  // Directory gib, entry i maps (gib * 512 + i) * 2 MiB: one run of 2048.
  for (int i = 0; i < 4 * entries_per_table; ++i) {
    directories[i] = page_entry_2m(static_cast<uint64_t>(i) * page_2m, present | writable);
  }
}

}  // namespace paging
