#include "devices/dma_ram.h"

namespace devices {

namespace {


// An entry's end below 4 GiB (its base + length, which may pass 2^64).
uint64_t end_below_limit(const layout::E820Entry& e) {
  if (e.base >= dma_address_limit) return dma_address_limit;
  return e.length < dma_address_limit - e.base ? e.base + e.length : dma_address_limit;
}

bool holds(const layout::E820Entry& e, uint64_t address) {
  return e.base <= address && address - e.base < e.length;
}

// Whether the byte at `address` is RAM: in a usable entry, in no other.
bool is_ram(const layout::E820Entry* map, uint32_t count, uint64_t address) {
  bool usable = false;
  for (uint32_t i = 0; i < count; ++i) {
    if (!holds(map[i], address)) continue;
    if (map[i].type != layout::E820_USABLE) return false;
    usable = true;
  }
  return usable;
}

}  // namespace

void build_dma_ram(const layout::E820Entry* map, uint32_t count, uint64_t vmm_first,
                   uint64_t vmm_end, DmaRam& out) {
  out.count = 0;
  if (count > layout::E820_MAX_ENTRIES) count = layout::E820_MAX_ENTRIES;
  // Every place where RAM can begin or end, sorted: between two of them
  // every byte is RAM or none is, so the first byte decides.
  constexpr uint32_t max_points = 2 * layout::E820_MAX_ENTRIES + 4;
  uint64_t points[max_points];
  uint32_t n = 0;
  auto add = [&](uint64_t p) {
    if (p > dma_address_limit) p = dma_address_limit;
    uint32_t at = n;
    while (at > 0 && points[at - 1] > p) --at;
    if (at > 0 && points[at - 1] == p) return;
    for (uint32_t i = n; i > at; --i) points[i] = points[i - 1];
    points[at] = p;
    ++n;
  };
  add(0);
  add(dma_address_limit);
  add(vmm_first);
  add(vmm_end);
  for (uint32_t i = 0; i < count; ++i) {
    add(map[i].base);
    add(end_below_limit(map[i]));
  }
  for (uint32_t i = 0; i + 1 < n; ++i) {
    const uint64_t first = points[i], end = points[i + 1];
    if (first >= vmm_first && first < vmm_end) continue;
    if (!is_ram(map, count, first)) continue;
    if (out.count > 0 && out.ranges[out.count - 1].end == first) {
      out.ranges[out.count - 1].end = end;  // joins the one before
    } else if (out.count < DmaRam::max_ranges) {
      out.ranges[out.count++] = {first, end};
    }
  }
}

bool dma_ram_holds(const DmaRam& ram, uint64_t first, uint64_t bytes) {
  if (bytes == 0) return false;
  for (uint32_t i = 0; i < ram.count && i < DmaRam::max_ranges; ++i) {
    const DmaRam::Range& r = ram.ranges[i];
    if (first >= r.first && first < r.end) return bytes <= r.end - first;
  }
  return false;
}

}  // namespace devices
