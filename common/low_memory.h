// Physical low memory (the BIOS data area at 0x400, the BDA_* offsets of
// abi/layout.h, and conventional memory below 1 MiB) as the identity-mapped
// VMM reaches it: one way in for every access at a small fixed address.
#pragma once

#include <stdint.h>

// Physical address 0, laundered: a pointer made from a constant address this
// low draws GCC's array-bounds warning at every access.
inline volatile uint8_t* low_memory() {
  uintptr_t address = 0;
  asm("" : "+r"(address));
  return reinterpret_cast<volatile uint8_t*>(address);
}
