// Taking a table out of the firmware's ACPI tables: its entries removed from
// the RSDT and from the XSDT, in place, their lengths and checksums fixed,
// so that an OS that walks the tables (as every OS does) never finds it.
// The table's own bytes stay where they are.
//
// The VMM hides the DMAR this way (vmm/vtd/remap.h): it programs the
// DMA-remapping units itself, and a guest that found them would program
// them over. The tables lie in memory the guest owns; the VMM edits them
// before the guest starts. Pure: the tests run it over constructed and
// captured tables.
#pragma once

#include <stdint.h>

#include "common/acpi.h"

namespace acpi {

// A MemoryView over regions whose bytes may be written: in the VMM the
// identity-mapped RAM, in the tests copies of captured memory.
struct WritableMemoryView {
  MemoryView view;
  uint8_t* at(uint64_t phys, size_t len) const {
    return const_cast<uint8_t*>(view.at(phys, len));
  }
};

struct HideResult {
  uint32_t rsdt_removed;  // entries taken out of each root table
  uint32_t xsdt_removed;
  // nullptr, or why a root table could not be edited (static): "no RSDP",
  // "RSDT unreadable", "XSDT length", ... Whatever could be edited was.
  const char* error;
};

// Removes from the RSDT and the XSDT the RSDP names every entry that
// points at a table whose first four bytes are `signature`. Later entries
// move up, the freed bytes at the end become 0, the length shrinks, and
// the checksum byte is set so that the table's bytes sum to what they
// summed to before: a valid table stays valid (and one the firmware got
// wrong stays as wrong as it was). An entry whose table cannot be read is
// kept.
HideResult hide_tables(const WritableMemoryView& mem, const char* signature);

}  // namespace acpi
