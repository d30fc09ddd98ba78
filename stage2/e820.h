// The firmware's memory map, from stage2's real-mode part (-m16).
#pragma once

#include "layout.h"

namespace e820 {

// INT 15h EAX=E820h until the BIOS says it has no more (or E820_MAX_ENTRIES),
// into info.e820 and info.e820_count.
void collect(layout::BootInfo& info);

}  // namespace e820
