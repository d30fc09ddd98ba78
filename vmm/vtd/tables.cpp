#include "vtd/tables.h"

namespace vtd {
namespace {

constexpr uint64_t present = 1;                // root and context entries: P
constexpr uint64_t read_write = 3;             // second-level entries: R, W
constexpr uint64_t large_page = 1ull << 7;     // a PDE or PDPE that maps a page
constexpr uint64_t address_bits = 0x000FFFFFFFFFF000ull;  // bits 51:12
constexpr uint64_t page_4k = 4096, page_2m = 2ull << 20, page_1g = 1ull << 30;
constexpr uint64_t regions_2m = mapped_limit / page_2m;

template <typename Table>
uint64_t at(uint64_t physical, const Tables& t, const Table& table) {
  return physical + static_cast<uint64_t>(reinterpret_cast<const uint8_t*>(&table) -
                                          reinterpret_cast<const uint8_t*>(&t));
}

bool in_hole(const PhysRange* holes, size_t count, uint64_t address) {
  for (size_t i = 0; i < count; ++i) {
    if (address >= holes[i].first && address < holes[i].end) return true;
  }
  return false;
}

bool holes_valid(const PhysRange* holes, size_t count) {
  for (size_t i = 0; i < count; ++i) {
    const PhysRange& h = holes[i];
    if (h.first % page_4k != 0 || h.end % page_4k != 0 || h.first >= h.end ||
        h.end > mapped_limit) {
      return false;
    }
  }
  return true;
}

bool high_ram_valid(const PhysRange* ram, size_t count) {
  for (size_t i = 0; i < count; ++i) {
    const PhysRange& r = ram[i];
    if (r.first % page_4k != 0 || r.end % page_4k != 0 || r.first >= r.end ||
        r.first < mapped_limit || (i > 0 && r.first < ram[i - 1].end)) {
      return false;
    }
  }
  return true;
}

// The 4 KiB pages of the 2 MiB region at `base` in holes: 0, 512 or between.
uint32_t pages_in_holes(const PhysRange* holes, size_t count, uint64_t base) {
  uint32_t pages = 0;
  for (uint64_t p = 0; p < page_2m; p += page_4k) pages += in_hole(holes, count, base + p);
  return pages;
}

bool overlaps_region(const PhysRange* holes, size_t count, uint64_t base) {
  for (size_t i = 0; i < count; ++i) {
    if (holes[i].first < base + page_2m && holes[i].end > base) return true;
  }
  return false;
}

// The table at physical `address` inside `t` (4 KiB aligned), or null.
const uint64_t* table_at(const Tables& t, uint64_t physical, uint64_t address) {
  if (address < physical || address - physical >= sizeof(Tables) ||
      (address - physical) % page_4k != 0) {
    return nullptr;
  }
  return reinterpret_cast<const uint64_t*>(reinterpret_cast<const uint8_t*>(&t) +
                                           (address - physical));
}

// The entry of `address` in a table of level `level` (1: a page table).
size_t index_at(uint64_t address, uint32_t level) {
  return static_cast<size_t>(address >> (12 + 9 * (level - 1))) & 511;
}

// Maps the RAM above 4 GiB into the tables below the top one, taking
// tables from the pool as the addresses need them.
class HighMapper {
 public:
  HighMapper(Tables& t, uint64_t physical, uint32_t levels, uint64_t* top)
      : t_(t), physical_(physical), levels_(levels), top_(top) {}

  // Maps the page of `level` (3: 1 GiB, 2: 2 MiB, 1: 4 KiB) at `address`
  // to itself. False when the pool has no table left for it. The ranges
  // neither overlap nor reach below 4 GiB: no walk meets a page already
  // mapped, nor the entries of the low 4 GiB.
  bool map(uint64_t address, uint32_t level) {
    uint64_t* table = top_;
    for (uint32_t l = levels_; l > level; --l) {
      table = table_below(table[index_at(address, l)]);
      if (table == nullptr) return false;
    }
    table[index_at(address, level)] = address | read_write | (level > 1 ? large_page : 0);
    return true;
  }

  uint32_t used() const { return used_; }

 private:
  // The table `entry` points at: the one it has, or a new one from the pool.
  uint64_t* table_below(uint64_t& entry) {
    if ((entry & read_write) == 0) {
      if (used_ == pool_tables) return nullptr;
      entry = at(physical_, t_, t_.pool[used_++]) | read_write;
    }
    return const_cast<uint64_t*>(table_at(t_, physical_, entry & address_bits));
  }

  Tables& t_;
  uint64_t physical_;
  uint32_t levels_;
  uint64_t* top_;
  uint32_t used_ = 0;
};

// The largest page at `address` inside [address, end) that the units offer.
uint32_t page_level(uint64_t address, uint64_t end, bool pages_1g) {
  if (pages_1g && address % page_1g == 0 && end - address >= page_1g) return 3;
  if (address % page_2m == 0 && end - address >= page_2m) return 2;
  return 1;
}

constexpr uint64_t level_bytes(uint32_t level) { return 1ull << (12 + 9 * (level - 1)); }

// The RAM above 4 GiB, range by range in address order, until it is all
// mapped, the address width ends or the pool does.
void map_high_ram(HighMapper& mapper, const TableInputs& in, uint64_t limit, BuiltTables& out) {
  out.high_reach = mapped_limit;
  for (size_t i = 0; i < in.high_ram_count; ++i) {
    const PhysRange& r = in.high_ram[i];
    const uint64_t end = r.end < limit ? r.end : limit;
    for (uint64_t address = r.first; address < end;) {
      const uint32_t level = page_level(address, end, in.pages_1g);
      if (!mapper.map(address, level)) {
        out.high_reach = address;
        out.shortfall = Shortfall::pool;
        return;
      }
      address += level_bytes(level);
    }
    if (r.end > limit) {
      out.high_reach = r.first > limit ? r.first : limit;
      out.shortfall = Shortfall::address_width;
      return;
    }
    out.high_reach = r.end;
  }
}

}  // namespace

BuiltTables build_tables(Tables& t, uint64_t physical, const TableInputs& in) {
  BuiltTables out{false, mapped_limit, Shortfall::none, 0};
  const uint32_t levels = in.levels;
  if (levels < 3 || levels > 5 || !holes_valid(in.holes, in.hole_count) ||
      !high_ram_valid(in.high_ram, in.high_ram_count)) {
    return out;
  }
  __builtin_memset(&t, 0, sizeof t);  // the VMM's runtime has memset (vmm/runtime.cpp)

  uint64_t* const top = levels == 5 ? t.pml5 : levels == 4 ? t.pml4 : t.pdpt;
  for (size_t bus = 0; bus < 256; ++bus) t.root[2 * bus] = at(physical, t, t.context) | present;
  for (size_t devfn = 0; devfn < 256; ++devfn) {
    // Translation type 0 (untranslated requests through the second level),
    // fault processing on (FPD clear): a blocked access is recorded.
    t.context[2 * devfn] = at(physical, t, *top) | present;
    t.context[2 * devfn + 1] = address_width_code(levels) | uint64_t{domain_id} << 8;
  }
  t.pml5[0] = at(physical, t, t.pml4) | read_write;
  t.pml4[0] = at(physical, t, t.pdpt) | read_write;
  for (size_t g = 0; g < 4; ++g) t.pdpt[g] = at(physical, t, t.pd[g]) | read_write;

  const PhysRange* holes = in.holes;
  const size_t hole_count = in.hole_count;
  uint32_t splits = 0;
  for (uint64_t i = 0; i < regions_2m; ++i) {
    const uint64_t base = i * page_2m;
    uint64_t& pde = t.pd[i / 512][i % 512];
    const uint32_t held = overlaps_region(holes, hole_count, base)
                              ? pages_in_holes(holes, hole_count, base)
                              : 0;
    if (held == 0) {
      pde = base | large_page | read_write;
    } else if (held == page_2m / page_4k) {
      pde = 0;
    } else {
      if (splits == split_regions) return out;
      uint64_t* pt = t.pt[splits++];
      for (uint64_t p = 0; p < 512; ++p) {
        const uint64_t page = base + p * page_4k;
        pt[p] = in_hole(holes, hole_count, page) ? 0 : page | read_write;
      }
      pde = at(physical, t, t.pt[splits - 1]) | read_write;
    }
  }

  // The addresses a device's DMA may carry: the walk's width, less where a
  // unit translates fewer bits.
  const uint32_t width = in.address_width < walk_width(levels) ? in.address_width
                                                                : walk_width(levels);
  const uint64_t limit = 1ull << width;
  HighMapper mapper(t, physical, levels, top);
  map_high_ram(mapper, in, limit, out);
  out.pool_used = mapper.used();
  out.ok = true;
  return out;
}

Translation translate(const Tables& t, uint64_t physical, uint16_t source_id, uint64_t address) {
  constexpr Translation none{false, false, 0};
  const uint64_t* root = table_at(t, physical, physical);
  const uint64_t root_entry = root[2 * (source_id >> 8)];
  if ((root_entry & present) == 0) return none;
  const uint64_t* context = table_at(t, physical, root_entry & address_bits);
  if (context == nullptr) return none;
  const uint64_t* entry = context + 2 * (source_id & 0xFF);
  if ((entry[0] & present) == 0 || (entry[0] & 0xC) != 0) return none;  // TT 0 only
  const uint32_t levels = static_cast<uint32_t>(entry[1] & 7) + 2;
  if (levels < 3 || levels > 5 || address >> walk_width(levels) != 0) return none;
  const uint64_t* table = table_at(t, physical, entry[0] & address_bits);
  for (uint32_t level = levels; table != nullptr; --level) {
    const uint32_t shift = 12 + 9 * (level - 1);
    const uint64_t e = table[(address >> shift) & 511];
    if ((e & read_write) == 0) return none;
    if (level == 1 || ((level == 2 || level == 3) && (e & large_page) != 0)) {
      const uint64_t page_mask = (1ull << shift) - 1;
      return {(e & 1) != 0, (e & 2) != 0, (e & address_bits & ~page_mask) | (address & page_mask)};
    }
    table = table_at(t, physical, e & address_bits);
  }
  return none;
}

}  // namespace vtd
