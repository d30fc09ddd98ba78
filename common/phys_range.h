// A range of physical addresses [first, end): what the VMM keeps from
// devices' DMA (vtd/tables.h).
#pragma once

#include <stdint.h>

struct PhysRange {
  uint64_t first;
  uint64_t end;
};
