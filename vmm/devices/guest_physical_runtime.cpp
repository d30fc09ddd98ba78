// The device layer's way to memory (devices/guest_physical.h) in the VMM:
// below 4 GiB the host page tables map physical memory one to one, so a
// guest-physical address of the chain guest (whose EPT is the identity
// too) is the VMM's own address of those bytes.
#include "devices/guest_physical.h"

#include "common/low_memory.h"
#include "layout.h"

namespace devices {

bool copy_from_guest_physical(uint64_t address, void* to, uint32_t bytes) {
  constexpr uint64_t four_gib = 1ull << 32;
  // A second look at what the caller checked: the VMM's own memory and
  // what the identity map does not hold are never read for a guest.
  if (address >= four_gib || bytes > four_gib - address) return false;
  if (address < layout::VMM_MEMORY_END && layout::VMM_ADDR < address + bytes) return false;
  const volatile uint8_t* from = low_memory() + address;
  uint8_t* out = static_cast<uint8_t*>(to);
  for (uint32_t i = 0; i < bytes; ++i) out[i] = from[i];
  return true;
}

uint64_t vmm_physical_address(const void* object) { return reinterpret_cast<uintptr_t>(object); }

}  // namespace devices
