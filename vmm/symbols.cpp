#include "symbols.h"

#include <stddef.h>

#include "layout.h"

namespace {

// gen_symbols.sh: sorted by address; offsets keep each entry to 8 bytes.
struct Entry {
  uint32_t address_offset;  // from layout::VMM_ADDR
  uint32_t name_offset;     // from the table's start + names_offset
};
struct Table {
  uint32_t count;
  uint32_t names_offset;  // from the table's start
  Entry entries[];
};

}  // namespace

extern "C" const Table vmm_symbol_table;

const char* nearest_vmm_symbol(uint64_t address, uint64_t* offset) {
  if (address < layout::VMM_ADDR) return nullptr;
  const uint64_t wanted = address - layout::VMM_ADDR;
  // A binary search for the last entry at or below the address.
  size_t low = 0, high = vmm_symbol_table.count;
  while (low < high) {
    const size_t mid = low + (high - low) / 2;
    if (vmm_symbol_table.entries[mid].address_offset <= wanted) {
      low = mid + 1;
    } else {
      high = mid;
    }
  }
  if (low == 0) return nullptr;
  const Entry& entry = vmm_symbol_table.entries[low - 1];
  *offset = wanted - entry.address_offset;
  return reinterpret_cast<const char*>(&vmm_symbol_table) + vmm_symbol_table.names_offset +
         entry.name_offset;
}
