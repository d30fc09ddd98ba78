// The VMM's own function symbols, so that an exception dump can say in which
// function RIP was: a table the build makes from the linked VMM
// (vmm/gen_symbols.sh) and links in after .data, where it moves nothing.
#pragma once

#include <stdint.h>

// The name (demangled, without parameter list or "(anonymous namespace)::")
// of the function at or below `address`, or nullptr (none, or the empty
// table of the first link); *offset is address - that function.
const char* nearest_vmm_symbol(uint64_t address, uint64_t* offset);
