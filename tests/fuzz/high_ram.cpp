// Fuzz target high_ram: the RAM above 4 GiB found in any E820 map
// (vmm/vtd/high_ram.h), then the remapping tables built to map it
// (vmm/vtd/tables.h) with any walk, page size and address width, as the
// VMM builds them. The input: one byte for the walk (levels 3 + b % 3,
// bit 2: 1 GiB pages), one for the units' address width (1 + b % 64
// bits), then 24-byte E820 entries as INT 15h returns them, up to
// max_entries (more than the boot info holds: the rest must be ignored).
// Promises, abort() where broken: the ranges are sorted, whole pages, at or
// above 4 GiB, neither overlapping nor touching, cover the first and last
// page of every RAM entry read above 4 GiB and begin and end in pages such
// an entry touches; the tables build, map every range's first and last
// byte to itself below where they say devices reach and nothing from there
// on, nor the byte after a range, nor the VMM's memory or the unit's
// registers; where they say all RAM is mapped, the reach is the last
// range's end; where the pool ran out, it is used up.
#include <stdlib.h>
#include <string.h>

#include <memory>

#include "common/phys_range.h"
#include "layout.h"
#include "tests/fuzz/fuzz_targets.h"
#include "vtd/high_ram.h"
#include "vtd/tables.h"

namespace {

void require(bool promise) {
  if (!promise) abort();
}

constexpr uint64_t page = 4096;
constexpr uint64_t tables_at = 0x421000;  // inside the VMM's memory, as in the VMM
constexpr uint64_t unit_registers = 0xFED90000;
constexpr uint32_t max_entries = layout::E820_MAX_ENTRIES + 16;

bool in_ranges(const vtd::HighRam& ram, uint64_t address) {
  for (uint32_t i = 0; i < ram.count; ++i) {
    if (address >= ram.ranges[i].first && address < ram.ranges[i].end) return true;
  }
  return false;
}

// Whether a RAM entry of the first E820_MAX_ENTRIES touches the page at `at`.
bool touched(const layout::E820Entry* map, uint32_t count, uint64_t at) {
  for (uint32_t i = 0; i < count && i < layout::E820_MAX_ENTRIES; ++i) {
    const layout::E820Entry& e = map[i];
    if ((e.type != 1 && e.type != 3 && e.type != 4) || e.length == 0) continue;
    // [base, base + length) meets [at, at + page), in sums that cannot wrap.
    const bool starts_before_end = e.base < at + page;
    const bool ends_after_start = e.base >= at || e.length > at - e.base;
    if (starts_before_end && ends_after_start) return true;
  }
  return false;
}

void check_ranges(const layout::E820Entry* map, uint32_t count, const vtd::HighRam& ram) {
  require(ram.count <= vtd::HighRam::max_ranges);
  for (uint32_t i = 0; i < ram.count; ++i) {
    const PhysRange& r = ram.ranges[i];
    require(r.first % page == 0 && r.end % page == 0 && r.first < r.end);
    require(r.first >= vtd::high_ram_first && r.end <= vtd::high_ram_ceiling);
    require(i == 0 || r.first > ram.ranges[i - 1].end);
    require(touched(map, count, r.first) && touched(map, count, r.end - page));
  }
  for (uint32_t i = 0; i < count && i < layout::E820_MAX_ENTRIES; ++i) {
    const layout::E820Entry& e = map[i];
    if ((e.type != 1 && e.type != 3 && e.type != 4) || e.length == 0) continue;
    if (e.base >= vtd::high_ram_ceiling) continue;
    const uint64_t last = e.length - 1 >= ~0ull - e.base ? ~0ull : e.base + (e.length - 1);
    if (last < vtd::high_ram_first) continue;
    const uint64_t first = e.base < vtd::high_ram_first ? vtd::high_ram_first : e.base;
    require(in_ranges(ram, first));
    require(last >= vtd::high_ram_ceiling || in_ranges(ram, last));
  }
}

bool reaches(const vtd::Tables& t, uint64_t address) {
  const vtd::Translation x = vtd::translate(t, tables_at, 0x0010, address);
  return x.read && x.write && x.address == address;
}

bool blocked(const vtd::Tables& t, uint64_t address) {
  const vtd::Translation x = vtd::translate(t, tables_at, 0xFFFF, address);
  return !x.read && !x.write;
}

}  // namespace

int fuzz_high_ram(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const uint32_t levels = 3 + data[0] % 3;
  const bool pages_1g = (data[0] & 4) != 0;
  const uint32_t width = 1 + data[1] % 64;
  layout::E820Entry map[max_entries];
  uint32_t count = 0;
  for (size_t at = 2; at + sizeof(layout::E820Entry) <= size && count < max_entries;
       at += sizeof(layout::E820Entry)) {
    memcpy(&map[count++], data + at, sizeof(layout::E820Entry));
  }
  vtd::HighRam ram;
  vtd::find_high_ram(map, count, ram);
  check_ranges(map, count, ram);

  const PhysRange holes[] = {{layout::VMM_ADDR, layout::VMM_MEMORY_END},
                             {unit_registers, unit_registers + page}};
  auto t = std::make_unique<vtd::Tables>();
  const vtd::BuiltTables b = vtd::build_tables(
      *t, tables_at, {levels, pages_1g, width, holes, 2, ram.ranges, ram.count});
  require(b.ok);
  require(b.high_reach >= vtd::mapped_limit && b.pool_used <= vtd::pool_tables);
  if (b.shortfall == vtd::Shortfall::none) {
    require(b.high_reach == (ram.count == 0 ? vtd::mapped_limit : ram.ranges[ram.count - 1].end));
  } else {
    require(ram.count > 0 && in_ranges(ram, b.high_reach));
  }
  if (b.shortfall == vtd::Shortfall::pool) require(b.pool_used == vtd::pool_tables);
  const uint32_t bits = width < vtd::walk_width(levels) ? width : vtd::walk_width(levels);
  if (b.shortfall == vtd::Shortfall::address_width) require(b.high_reach >= 1ull << bits);
  for (uint32_t i = 0; i < ram.count; ++i) {
    const PhysRange& r = ram.ranges[i];
    for (uint64_t a : {r.first, r.end - 1}) {
      require(a < b.high_reach ? a < 1ull << bits && reaches(*t, a) : blocked(*t, a));
    }
    if (r.end < vtd::high_ram_ceiling && !in_ranges(ram, r.end)) require(blocked(*t, r.end));
  }
  for (const PhysRange& h : holes) require(blocked(*t, h.first) && blocked(*t, h.end - 1));
  return 0;
}
