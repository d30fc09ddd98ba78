#include "fake_guest_physical.h"

#include <cstring>

#include "devices/guest_physical.h"
#include "layout.h"

namespace fake_guest_physical {

std::map<uint64_t, uint8_t> memory;
std::vector<Read> reads;

void reset() {
  memory.clear();
  reads.clear();
}

void write(uint64_t address, const void* bytes, uint32_t count) {
  const uint8_t* from = static_cast<const uint8_t*>(bytes);
  for (uint32_t i = 0; i < count; ++i) memory[address + i] = from[i];
}

uint64_t vmm_address_of(const void* object) {
  return layout::VMM_ADDR + (reinterpret_cast<uintptr_t>(object) & 0xFFFFF);
}

}  // namespace fake_guest_physical

namespace devices {

bool copy_from_guest_physical(uint64_t address, void* to, uint32_t bytes) {
  fake_guest_physical::reads.push_back({address, bytes});
  uint8_t* out = static_cast<uint8_t*>(to);
  for (uint32_t i = 0; i < bytes; ++i) {
    const auto it = fake_guest_physical::memory.find(address + i);
    out[i] = it != fake_guest_physical::memory.end() ? it->second : 0;
  }
  return true;
}

uint64_t vmm_physical_address(const void* object) {
  return fake_guest_physical::vmm_address_of(object);
}

}  // namespace devices
