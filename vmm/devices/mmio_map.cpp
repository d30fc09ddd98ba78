#include "devices/mmio_map.h"

namespace devices {

namespace {

// Whole pages that do not wrap: [first, first + bytes) as the map keeps it.
bool whole_pages(uint64_t first, uint64_t bytes) {
  return bytes != 0 && first % MmioMap::page_bytes == 0 && bytes % MmioMap::page_bytes == 0 &&
         first + bytes > first;
}

}  // namespace

void MmioMap::reset() {
  for (Range& r : ranges_) r = Range{};
  count_ = 0;
}

bool MmioMap::overlaps_active(uint64_t first, uint64_t bytes, uint8_t except) const {
  for (uint8_t slot = 1; slot <= count_; ++slot) {
    const Range& r = ranges_[slot];
    if (slot == except || !r.active) continue;
    if (first < r.first + r.bytes && r.first < first + bytes) return true;
  }
  return false;
}

uint8_t MmioMap::claim(uint64_t first, uint64_t bytes, const MmioDevice& device,
                       const char* name, bool active) {
  if (!whole_pages(first, bytes) || count_ == max_ranges) return 0;
  if (active && overlaps_active(first, bytes, 0)) return 0;
  const uint8_t slot = ++count_;
  ranges_[slot] = {first, bytes, &device, name, active};
  return slot;
}

bool MmioMap::move(uint8_t slot, uint64_t first, bool active) {
  if (slot == 0 || slot > count_) return false;
  Range& r = ranges_[slot];
  if (!whole_pages(first, r.bytes)) return false;
  if (active && overlaps_active(first, r.bytes, slot)) return false;
  r.first = first;
  r.active = active;
  return true;
}

uint8_t MmioMap::slot_of(uint64_t address) const {
  for (uint8_t slot = 1; slot <= count_; ++slot) {
    const Range& r = ranges_[slot];
    if (r.active && address >= r.first && address - r.first < r.bytes) return slot;
  }
  return 0;
}

bool MmioMap::touches(uint64_t address, uint64_t bytes) const {
  if (bytes == 0) return false;
  const uint64_t last = address + bytes - 1 < address ? ~0ull : address + bytes - 1;
  for (uint8_t slot = 1; slot <= count_; ++slot) {
    const Range& r = ranges_[slot];
    if (r.active && address <= r.first + (r.bytes - 1) && r.first <= last) return true;
  }
  return false;
}

}  // namespace devices
