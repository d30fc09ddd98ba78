// Guest-physical memory as the devices reach it (vmm/devices/guest_physical.h),
// faked for the host tests: a sparse memory the test fills, every read the
// devices make recorded, and the VMM's own objects given addresses in the
// VMM's memory.
#pragma once

#include <cstdint>
#include <map>
#include <vector>

namespace fake_guest_physical {

struct Read {
  uint64_t address;
  uint32_t bytes;
  bool operator==(const Read&) const = default;
};

// What the fake holds: cleared by reset(). Bytes not set read 0.
extern std::map<uint64_t, uint8_t> memory;
extern std::vector<Read> reads;

void reset();
void write(uint64_t address, const void* bytes, uint32_t count);
template <typename T>
void write(uint64_t address, const T& value) {
  write(address, &value, sizeof value);
}
// The address vmm_physical_address() gives `object`: in the VMM's memory
// at layout::VMM_ADDR, its alignment up to 1 MiB kept.
uint64_t vmm_address_of(const void* object);

}  // namespace fake_guest_physical
