// A range of physical addresses [first, end): what the VMM keeps from the
// guest's EPT and from devices' DMA (vmx/identity_ept.h, vtd/tables.h).
#pragma once

#include <stdint.h>

struct PhysRange {
  uint64_t first;
  uint64_t end;
};
