// The remapping units' registers as vtd/unit.cpp reaches them: memory-mapped
// reads and writes at physical addresses. mmio_runtime.cpp carries them out
// in the VMM (the identity map reaches them, uncached: the firmware's MTRRs
// make the MMIO range UC); the unit tests link a fake unit
// (tests/unit/fake_vtd_unit.cpp), which is what makes the programming
// sequence testable on the host.
#pragma once

#include <stdint.h>

namespace vtd::mmio {

uint32_t read32(uint64_t address);
uint64_t read64(uint64_t address);
void write32(uint64_t address, uint32_t value);
void write64(uint64_t address, uint64_t value);

}  // namespace vtd::mmio
