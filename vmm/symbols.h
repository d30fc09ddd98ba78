// The VMM's own function symbols, so that an exception dump can say in which
// function RIP was: a table the build makes from the linked VMM
// (vmm/gen_symbols.sh) and links in after .data, where it moves nothing.
#pragma once

#include <stdint.h>

struct VmmSymbol {
  uint64_t address;
  const char* name;  // demangled, without the parameter list
};

// The symbol at or below `address` (nullptr when none, or when the table is
// the empty one of the first link); *offset is address - symbol.
const VmmSymbol* nearest_vmm_symbol(uint64_t address, uint64_t* offset);
