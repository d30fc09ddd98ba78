#include "devices/prd_table.h"

#include "devices/guest_physical.h"

namespace devices {

const char* prd_problem_name(PrdProblem problem) {
  switch (problem) {
    case PrdProblem::none: return "none";
    case PrdProblem::table_not_ram: return "table-not-ram";
    case PrdProblem::region_in_vmm: return "region-in-vmm";
    case PrdProblem::region_crosses_64k: return "region-crosses-64k";
    case PrdProblem::region_not_ram: return "region-not-ram";
    case PrdProblem::no_end_of_table: return "no-end-of-table";
  }
  return "?";
}

PrdProblem check_prd_region(const DmaRam& ram, uint64_t vmm_first, uint64_t vmm_end,
                            const PrdEntry& entry) {
  // 64-bit sums of 32- and 17-bit values: none wraps.
  const uint64_t first = entry.address & ~1u;
  const uint64_t bytes = uint64_t{entry.address} + prd_bytes(entry.count) - first;
  if (touches_vmm(first, bytes, vmm_first, vmm_end)) return PrdProblem::region_in_vmm;
  if ((first >> 16) != ((first + bytes - 1) >> 16)) return PrdProblem::region_crosses_64k;
  if (!dma_ram_holds(ram, first, bytes)) return PrdProblem::region_not_ram;
  return PrdProblem::none;
}

PrdCheck copy_prd_table(const DmaRam& ram, uint64_t vmm_first, uint64_t vmm_end, uint32_t table,
                        PrdEntry* copy) {
  const uint64_t first = table & ~3u;
  for (uint32_t i = 0; i < prd_max_entries; ++i) {
    const uint64_t at = first + uint64_t{i} * sizeof(PrdEntry);
    if (!dma_ram_holds(ram, at, sizeof(PrdEntry)) ||
        !copy_from_guest_physical(at, &copy[i], sizeof(PrdEntry))) {
      return {PrdProblem::table_not_ram, i, at};
    }
    PrdEntry& e = copy[i];
    e.count &= 0xFFFE;
    e.flags &= prd_end_of_table;
    const PrdProblem problem = check_prd_region(ram, vmm_first, vmm_end, e);
    if (problem != PrdProblem::none) return {problem, i, e.address};
    if (e.flags != 0) return {PrdProblem::none, i + 1, first};
  }
  return {PrdProblem::no_end_of_table, prd_max_entries, first};
}

}  // namespace devices
