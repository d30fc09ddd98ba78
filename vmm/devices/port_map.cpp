#include "devices/port_map.h"

namespace devices {

void PortMap::reset(Unclaimed unclaimed) {
  for (uint8_t& slot : slot_of_) slot = 0;
  for (Range& r : ranges_) r = Range{};
  for (uint16_t& p : passes_) p = 0;
  count_ = 0;
  unclaimed_ = unclaimed;
  bitmap_a_ = bitmap_b_ = nullptr;
}

bool PortMap::claim(uint16_t first, uint16_t count, const PortDevice& device,
                    const char* in_name, const char* out_name) {
  if (count == 0 || uint32_t{first} + count > 0x10000 || count_ == max_ranges) return false;
  for (uint32_t port = first; port < uint32_t{first} + count; ++port) {
    if (slot_of_[port] != 0) return false;
  }
  const uint8_t slot = ++count_;
  ranges_[slot] = {first, count, &device, in_name, out_name};
  passes_[slot] = device.passes;
  for (uint32_t port = first; port < uint32_t{first} + count; ++port) {
    slot_of_[port] = slot;
    if (bitmap_a_ != nullptr) set_io_bitmap_trap(bitmap_a_, bitmap_b_, static_cast<uint16_t>(port), true);
  }
  return true;
}

bool PortMap::move(uint8_t slot, uint16_t first) {
  if (slot == 0 || slot > count_) return false;
  Range& r = ranges_[slot];
  if (uint32_t{first} + r.count > 0x10000) return false;
  for (uint32_t port = first; port < uint32_t{first} + r.count; ++port) {
    if (slot_of_[port] != 0 && slot_of_[port] != slot) return false;
  }
  const bool trap_unclaimed = unclaimed_ == Unclaimed::denied;
  for (uint32_t port = r.first; port < uint32_t{r.first} + r.count; ++port) {
    slot_of_[port] = 0;
    if (bitmap_a_ != nullptr) {
      set_io_bitmap_trap(bitmap_a_, bitmap_b_, static_cast<uint16_t>(port), trap_unclaimed);
    }
  }
  r.first = first;
  for (uint32_t port = first; port < uint32_t{first} + r.count; ++port) {
    slot_of_[port] = slot;
    if (bitmap_a_ != nullptr) set_io_bitmap_trap(bitmap_a_, bitmap_b_, static_cast<uint16_t>(port), true);
  }
  return true;
}

uint8_t PortMap::wide_decider(uint16_t port, unsigned bytes, uint8_t first) const {
  uint8_t found = first;
  for (unsigned i = 1; i < bytes; ++i) {
    const uint32_t next = uint32_t{port} + i;
    const uint8_t slot = next <= 0xFFFF ? slot_of_[next] : 0;
    if (slot == found) continue;
    if (unclaimed_ == Unclaimed::denied) return 0;
    if (found != 0 && slot != 0) return 0;
    if (found == 0) found = slot;
  }
  return found;
}

void PortMap::fill_io_bitmaps(uint8_t* bitmap_a, uint8_t* bitmap_b) {
  const uint8_t unclaimed = unclaimed_ == Unclaimed::denied ? 0xFF : 0x00;
  for (uint32_t i = 0; i < 4096; ++i) bitmap_a[i] = bitmap_b[i] = unclaimed;
  for (unsigned slot = 1; slot <= count_; ++slot) {
    const Range& r = ranges_[slot];
    for (uint32_t port = r.first; port < uint32_t{r.first} + r.count; ++port) {
      set_io_bitmap_trap(bitmap_a, bitmap_b, static_cast<uint16_t>(port), true);
    }
  }
  bitmap_a_ = bitmap_a;
  bitmap_b_ = bitmap_b;
}

void set_io_bitmap_trap(uint8_t* bitmap_a, uint8_t* bitmap_b, uint16_t port, bool trap) {
  uint8_t* bitmap = port < 0x8000 ? bitmap_a : bitmap_b;
  const uint32_t bit = port & 0x7FFFu;
  const uint8_t b = static_cast<uint8_t>(1u << (bit & 7));
  bitmap[bit >> 3] = static_cast<uint8_t>(trap ? bitmap[bit >> 3] | b : bitmap[bit >> 3] & ~b);
}

bool io_bitmap_traps(const uint8_t* bitmap_a, const uint8_t* bitmap_b, uint16_t port) {
  const uint8_t* bitmap = port < 0x8000 ? bitmap_a : bitmap_b;
  const uint32_t bit = port & 0x7FFFu;
  return (bitmap[bit >> 3] >> (bit & 7) & 1) != 0;
}

}  // namespace devices
