// The remapping units' registers (vtd/mmio.h) in the VMM: one access of
// the size asked each (the specification lets software use 64-bit accesses
// on 64-bit registers; a command register must see its command in one).
#include "vtd/mmio.h"

namespace vtd::mmio {

uint32_t read32(uint64_t address) { return *reinterpret_cast<volatile uint32_t*>(address); }

uint64_t read64(uint64_t address) { return *reinterpret_cast<volatile uint64_t*>(address); }

void write32(uint64_t address, uint32_t value) {
  *reinterpret_cast<volatile uint32_t*>(address) = value;
}

void write64(uint64_t address, uint64_t value) {
  *reinterpret_cast<volatile uint64_t*>(address) = value;
}

}  // namespace vtd::mmio
