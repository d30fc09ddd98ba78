#include "symbols.h"

#include <stddef.h>

struct VmmSymbolTable {
  uint32_t count;
  uint32_t reserved;
  VmmSymbol entries[];
};
extern "C" const VmmSymbolTable vmm_symbol_table;  // gen_symbols.sh

const VmmSymbol* nearest_vmm_symbol(uint64_t address, uint64_t* offset) {
  // Sorted by address: a binary search for the last entry <= address.
  size_t low = 0, high = vmm_symbol_table.count;
  while (low < high) {
    const size_t mid = low + (high - low) / 2;
    if (vmm_symbol_table.entries[mid].address <= address) {
      low = mid + 1;
    } else {
      high = mid;
    }
  }
  if (low == 0) return nullptr;
  const VmmSymbol* symbol = &vmm_symbol_table.entries[low - 1];
  *offset = address - symbol->address;
  return symbol;
}
