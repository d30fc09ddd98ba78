#include "vmx/identity_ept_high.h"

#include "vmx/ept.h"

namespace vmx {

namespace {
constexpr uint64_t all_access = ept_read | ept_write | ept_execute;
constexpr uint64_t gib = 1ull << 30, page_2m = 2ull << 20, pml4_span = 512 * gib;
constexpr uint64_t large_page = 1ull << 7;  // PDPTE/PDE bit 7: a 1 GiB / 2 MiB page
constexpr uint64_t frame = 0x000FFFFFFFFFF000ull;

// Whether any RAM entry of the map meets [first, first + bytes).
bool e820_meets_ram(const layout::E820Entry* map, uint32_t count, uint64_t first, uint64_t bytes) {
  if (count > layout::E820_MAX_ENTRIES) count = layout::E820_MAX_ENTRIES;
  for (uint32_t i = 0; i < count; ++i) {
    const layout::E820Entry& e = map[i];
    if (!layout::e820_is_ram(e.type) || e.length == 0) continue;
    // In arithmetic that cannot wrap: the firmware's numbers are not trusted.
    const bool starts_before_end = e.base < first + bytes;
    const bool ends_after_first = e.base >= first || first - e.base < e.length;
    if (starts_before_end && ends_after_first) return true;
  }
  return false;
}

// A block's memory type (the EPT's bits 5:3) and whether it is one type.
MtrrSpan block_type(const layout::E820Entry* map, uint32_t count, const Mtrrs* mtrrs,
                    uint64_t first, uint64_t bytes) {
  if (mtrrs != nullptr) return mtrr_span(*mtrrs, first, bytes);
  if (e820_ram(map, count, first, bytes)) return {uint8_t(ept_memory_type_wb), true};
  return {uint8_t(ept_memory_type_uc), !e820_meets_ram(map, count, first, bytes)};
}

uint64_t leaf(uint64_t base, uint8_t type) { return base | large_page | uint64_t{type} << 3 | all_access; }

const uint64_t* table_at(const IdentityEptHigh& high, uint64_t high_physical, uint64_t entry) {
  const uint64_t at = (entry & frame) - high_physical;
  return at < sizeof(IdentityEptHigh)
             ? high.table[at / 4096]
             : nullptr;
}

// The leaf entry that maps `address` (at or above 4 GiB), 0 if none.
uint64_t entry_of(const IdentityEptTables& low, const IdentityEptHigh& high,
                  uint64_t high_physical, uint64_t address) {
  if (address < identity_ept_limit || (address >> ept_max_address_bits) != 0) return 0;
  const uint64_t pml4e = low.pml4[(address >> 39) & 511];
  if ((pml4e & all_access) == 0) return 0;
  const uint64_t* pdpt = (address >> 39) == 0 ? low.pdpt : table_at(high, high_physical, pml4e);
  if (pdpt == nullptr) return 0;
  const uint64_t pdpte = pdpt[(address >> 30) & 511];
  if ((pdpte & all_access) == 0 || (pdpte & large_page) != 0) return pdpte;
  const uint64_t* pd = table_at(high, high_physical, pdpte);
  return pd != nullptr ? pd[(address >> 21) & 511] : 0;
}
}  // namespace

uint64_t identity_ept_space_end(unsigned address_bits) {
  if (address_bits > ept_max_address_bits) address_bits = ept_max_address_bits;
  if (address_bits < 32) address_bits = 32;
  return 1ull << address_bits;
}

uint64_t map_identity_ept_high(IdentityEptTables& low, IdentityEptHigh& high,
                               uint64_t high_physical, const layout::E820Entry* map,
                               uint32_t count, const Mtrrs* mtrrs, EptReach reach) {
  const uint64_t end = identity_ept_space_end(reach.address_bits);
  unsigned used = 0;
  auto take = [&](uint64_t*& table) {
    if (used == identity_ept_high_tables) return false;
    table = high.table[used++];
    for (int i = 0; i < 512; ++i) table[i] = 0;
    return true;
  };
  auto physical = [&](const uint64_t* table) {
    return high_physical + static_cast<uint64_t>(reinterpret_cast<const uint8_t*>(table) -
                                                 reinterpret_cast<const uint8_t*>(&high));
  };
  for (int i = 1; i < 512; ++i) low.pml4[i] = 0;
  for (int i = 4; i < 512; ++i) low.pdpt[i] = 0;
  uint64_t* pdpt = low.pdpt;
  for (uint64_t g = identity_ept_limit; g < end; g += gib) {
    if (g % pml4_span == 0) {
      if (!take(pdpt)) return g;
      low.pml4[g / pml4_span] = physical(pdpt) | all_access;
    }
    uint64_t& pdpte = pdpt[(g / gib) % 512];
    const MtrrSpan whole = block_type(map, count, mtrrs, g, gib);
    if (reach.pages_1g && whole.uniform) {
      pdpte = leaf(g, whole.type);
      continue;
    }
    uint64_t* pd;
    if (!take(pd)) return g;
    for (uint64_t p = 0; p < 512; ++p) {
      const uint64_t base = g + p * page_2m;
      const MtrrSpan span = block_type(map, count, mtrrs, base, page_2m);
      pd[p] = leaf(base, span.uniform ? span.type : uint8_t(ept_memory_type_uc));
    }
    pdpte = physical(pd) | all_access;
  }
  return end;
}

bool identity_ept_high_maps(const IdentityEptTables& low, const IdentityEptHigh& high,
                            uint64_t high_physical, uint64_t address) {
  return (entry_of(low, high, high_physical, address) & all_access) != 0;
}

uint8_t identity_ept_high_type(const IdentityEptTables& low, const IdentityEptHigh& high,
                               uint64_t high_physical, uint64_t address) {
  return uint8_t((entry_of(low, high, high_physical, address) >> 3) & 7);
}

}  // namespace vmx
