#include "common/usable_ram.h"

namespace usable_ram {

namespace {


// Whether `e` holds `address`. (address - base < length: base + length may
// wrap.)
bool holds(const layout::E820Entry& e, uint64_t address) {
  return e.base <= address && address - e.base < e.length;
}

// Whether `e` meets [first, end) (first < end).
bool meets(const layout::E820Entry& e, uint64_t first, uint64_t end) {
  return e.length != 0 && e.base < end && (e.base >= first || holds(e, first));
}

}  // namespace

uint64_t end_of_usable(const layout::E820Entry* map, uint32_t count, uint64_t first,
                       uint64_t end) {
  // Usable entries first: walk from `first` through every entry that holds
  // the point reached so far. A pass over the map either moves the point
  // past the end of an entry it was inside (which cannot hold it again) or
  // ends the walk: at most count + 1 passes.
  uint64_t reached = first;
  for (bool moved = true; moved && reached < end;) {
    moved = false;
    for (uint32_t i = 0; i < count && reached < end; ++i) {
      const layout::E820Entry& e = map[i];
      if (e.type != layout::E820_USABLE || !holds(e, reached)) continue;
      const uint64_t rest = e.length - (reached - e.base);  // >= 1
      reached = rest < end - reached ? reached + rest : end;
      moved = true;
    }
  }
  // Then every other entry cuts the walk where it begins (or at `first`).
  for (uint32_t i = 0; i < count && first < reached; ++i) {
    const layout::E820Entry& e = map[i];
    if (e.type != layout::E820_USABLE && meets(e, first, reached)) reached = e.base > first ? e.base : first;
  }
  return reached;
}

}  // namespace usable_ram
