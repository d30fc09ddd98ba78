#include "vtd/high_ram.h"

namespace vtd {
namespace {

constexpr uint64_t page = 4096;

}  // namespace

void find_high_ram(const layout::E820Entry* map, uint32_t count, HighRam& out) {
  out.count = 0;
  if (count > layout::E820_MAX_ENTRIES) count = layout::E820_MAX_ENTRIES;
  for (uint32_t i = 0; i < count; ++i) {
    const layout::E820Entry& e = map[i];
    if (!layout::e820_is_ram(e.type) || e.length == 0 || e.base >= high_ram_ceiling) continue;
    // [base, end) with end <= the ceiling, then whole pages (the ceiling is
    // a page boundary: rounding up cannot pass it).
    const uint64_t end = e.length >= high_ram_ceiling - e.base ? high_ram_ceiling
                                                                : e.base + e.length;
    const uint64_t last = (end + page - 1) & ~(page - 1);
    uint64_t first = e.base & ~(page - 1);
    if (first < high_ram_first) first = high_ram_first;
    if (first >= last) continue;
    // Sorted by first as they come (at most max_ranges: one an entry).
    uint32_t at = out.count;
    while (at > 0 && out.ranges[at - 1].first > first) {
      out.ranges[at] = out.ranges[at - 1];
      --at;
    }
    out.ranges[at] = {first, last};
    ++out.count;
  }
  // Ranges that overlap or touch become one.
  uint32_t kept = 0;
  for (uint32_t i = 0; i < out.count; ++i) {
    const PhysRange r = out.ranges[i];
    if (kept > 0 && r.first <= out.ranges[kept - 1].end) {
      if (r.end > out.ranges[kept - 1].end) out.ranges[kept - 1].end = r.end;
    } else {
      out.ranges[kept++] = r;
    }
  }
  out.count = kept;
}

uint64_t high_ram_bytes(const HighRam& ram) {
  uint64_t bytes = 0;
  for (uint32_t i = 0; i < ram.count && i < HighRam::max_ranges; ++i) {
    bytes += ram.ranges[i].end - ram.ranges[i].first;
  }
  return bytes;
}

}  // namespace vtd
