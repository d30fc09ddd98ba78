#include "vmx/ept.h"

namespace vmx {

namespace {
constexpr uint64_t all_access = ept_read | ept_write | ept_execute;
constexpr uint64_t frame_mask = 0x000FFFFFFFFFF000ull;
}  // namespace

bool build_ept(EptTables& tables, uint64_t tables_physical, const EptRange* ranges, size_t count) {
  for (size_t i = 0; i < 512; ++i) {
    tables.pml4[i] = tables.pdpt[i] = tables.pd[i] = tables.pt[i] = 0;
  }
  for (size_t r = 0; r < count; ++r) {
    if (ranges[r].first >= ept_mapped_limit ||
        ranges[r].bytes > ept_mapped_limit - ranges[r].first) {
      return false;
    }
  }
  // Each level's entry 0 leads to the next table (SDM Table 29-1 to 29-6:
  // bits 2:0 access, bits 51:12 the next structure).
  tables.pml4[0] = (tables_physical + offsetof(EptTables, pdpt)) | all_access;
  tables.pdpt[0] = (tables_physical + offsetof(EptTables, pd)) | all_access;
  tables.pd[0] = (tables_physical + offsetof(EptTables, pt)) | all_access;
  for (size_t r = 0; r < count; ++r) {
    const uint64_t first = ranges[r].first & frame_mask;
    const uint64_t end = ranges[r].first + ranges[r].bytes;
    // A 4 KiB page (Table 29-6): access, memory type in bits 5:3.
    const uint64_t type = (ranges[r].write_back ? ept_memory_type_wb : ept_memory_type_uc) << 3;
    for (uint64_t page = first; page < end; page += 4096) {
      tables.pt[page >> 12] = page | type | all_access;
    }
  }
  return true;
}

uint64_t ept_pointer(uint64_t pml4_physical, uint64_t ept_vpid_capability) {
  if ((ept_vpid_capability & ept_capability::page_walk_length_4) == 0) return 0;
  uint64_t type;
  if ((ept_vpid_capability & ept_capability::memory_type_wb) != 0) {
    type = ept_memory_type_wb;
  } else if ((ept_vpid_capability & ept_capability::memory_type_uc) != 0) {
    type = ept_memory_type_uc;
  } else {
    return 0;
  }
  return (pml4_physical & frame_mask) | (3u << 3) | type;  // bits 5:3: walk length - 1
}

bool ept_maps(const EptTables& tables, uint64_t address) {
  if (address >= ept_mapped_limit || (tables.pml4[0] & all_access) == 0) return false;
  return (tables.pt[address >> 12] & all_access) != 0;
}

}  // namespace vmx
