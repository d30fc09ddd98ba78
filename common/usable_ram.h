// Whether the firmware's E820 map offers usable RAM where stage2 is to put
// the VMM: a pure function over the map, so that the host tests can feed it
// any map a BIOS might return (unsorted, overlapping, wrapping 64 bits).
#pragma once

#include <stdint.h>

#include "layout.h"

namespace usable_ram {

// The end of the usable RAM that reaches from `first` towards `end`: `end`
// when the map covers all of [first, end), else the first address from
// `first` on that it does not (`first` itself when it is not usable).
// Usable means inside an entry of type 1 and inside no entry of any other
// type: where a BIOS reports a range both ways, it is taken as not usable.
// Entries may come in any order, overlap, have length 0 or end beyond 2^64;
// no sum here wraps.
uint64_t end_of_usable(const layout::E820Entry* map, uint32_t count, uint64_t first,
                       uint64_t end);

}  // namespace usable_ram
