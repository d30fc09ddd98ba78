#include "vmx/identity_ept.h"

#include "vmx/ept.h"

namespace vmx {

namespace {
constexpr uint64_t all_access = ept_read | ept_write | ept_execute;
constexpr uint64_t page_2m = 2ull << 20, page_4k = 4096;
constexpr uint64_t large_page = 1ull << 7;  // PDE bit 7: maps 2 MiB (SDM Table 29-4)

bool is_ram_type(uint32_t type) { return type == 1 || type == 3 || type == 4; }

struct Types {
  const layout::E820Entry* map;
  uint32_t count;
  const Mtrrs* mtrrs;
  uint64_t operator()(uint64_t first, uint64_t bytes) const {
    if (mtrrs != nullptr) return uint64_t{mtrr_type(*mtrrs, first, bytes)} << 3;
    return (e820_ram(map, count, first, bytes) ? ept_memory_type_wb : ept_memory_type_uc) << 3;
  }
};

// The entry that maps `address`, 0 if none.
uint64_t entry_of(const IdentityEptTables& t, uint64_t address) {
  if (address >= identity_ept_limit) return 0;
  const uint64_t pde = t.pd[address >> 30][(address >> 21) & 511];
  if ((pde & all_access) == 0 || (pde & large_page) != 0) return pde;
  const uint64_t* pt = (address >> 21) == 0 ? t.pt_low : t.pt_hole_end;
  return pt[(address >> 12) & 511];
}
}  // namespace

bool e820_ram(const layout::E820Entry* map, uint32_t count, uint64_t first, uint64_t bytes) {
  if (count > layout::E820_MAX_ENTRIES) count = layout::E820_MAX_ENTRIES;
  for (uint32_t i = 0; i < count; ++i) {
    const layout::E820Entry& e = map[i];
    if (!is_ram_type(e.type)) continue;
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
  for (uint64_t p = 0; p < 512; ++p) {
    const uint64_t low = p * page_4k;
    t.pt_low[p] = low | memory_type(low, page_4k) | all_access;
    const uint64_t high = hole_end_2m + p * page_4k;
    t.pt_hole_end[p] =
        high < hole_end ? 0 : high | memory_type(high, page_4k) | all_access;
  }
  return true;
}

bool identity_ept_maps(const IdentityEptTables& t, uint64_t address) {
  return (entry_of(t, address) & all_access) != 0;
}

uint8_t identity_ept_type(const IdentityEptTables& t, uint64_t address) {
  return uint8_t((entry_of(t, address) >> 3) & 7);
}

}  // namespace vmx
