// The guest header (abi/guest_header.h) as the VMM takes it: copied once
// out of guest memory into the VMM's own, checked there, and from then on
// read only from that copy. The guest can rewrite its own header at any
// time (it is in its memory), so a field read again after its check could
// hold anything; and every sum of an offset and a size is done in 64 bits,
// so that no 32-bit field can wrap a check (page_directory_offset
// 0xFFFFF000 + 4096 is 0 in 32 bits). Pure: compiled into the VMM, the unit
// tests and the fuzz target (tests/fuzz/guest_header_fuzz.cpp).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "guest_header.h"

namespace guests {

// What is wrong with a header: the field (its name in abi/guest_header.h)
// and why. field == nullptr: usable.
struct GuestHeaderProblem {
  const char* field;
  const char* problem;
  bool ok() const { return field == nullptr; }
};

// Checks a header copy for a guest image of `loaded_bytes` bytes.
GuestHeaderProblem check_guest_header(const layout::GuestHeader& header, uint32_t loaded_bytes);

// Copies the header from the first bytes of the loaded image (`loaded_bytes`
// of them at `image`) into `copy`, then checks the copy. On a problem `copy`
// holds whatever was copied (possibly nothing): do not use it.
GuestHeaderProblem copy_guest_header(const volatile uint8_t* image, uint32_t loaded_bytes,
                                     layout::GuestHeader& copy);

// The rows of the VGA text screen a guest line may be on.
inline constexpr uint16_t guest_vga_rows = 25;

}  // namespace guests
