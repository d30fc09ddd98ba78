// A bus-master IDE controller's table of physical region descriptors (the
// SFF-8038i layout the PIIX's IDE function has, docs/platform.md): 8 bytes
// an entry, a 32-bit physical address, a 16-bit byte count (bit 0 ignored,
// 0 meaning 64 KiB) and a 16-bit flags word whose bit 15 ends the table.
// The controller reads the table while it moves the data, so the table it
// is given must be one the guest cannot change: the VMM's copy, taken once
// when the guest starts the transfer and checked entry by entry (after
// BitVisor's ATA driver, which copies the guest's PRD table too). Pure but
// for devices/guest_physical.h.
#pragma once

#include <stdint.h>

#include "devices/dma_ram.h"

namespace devices {

struct PrdEntry {
  uint32_t address;
  uint16_t count;  // bytes (bit 0 ignored); 0: 64 KiB
  uint16_t flags;
};
static_assert(sizeof(PrdEntry) == 8);

inline constexpr uint16_t prd_end_of_table = 0x8000;
// The longest table the VMM copies: 256 entries, as Linux's libata fills
// (128 scatter-gather segments, each split at most once at 64 KiB).
inline constexpr uint32_t prd_max_entries = 256;

// The bytes an entry moves: its count with bit 0 clear, 0 for 64 KiB (as
// the controller takes it).
constexpr uint32_t prd_bytes(uint16_t count) {
  const uint32_t even = count & 0xFFFEu;
  return even == 0 ? 0x10000u : even;
}

// Why a table is refused, first problem found.
enum class PrdProblem : uint8_t {
  none,
  table_not_ram,        // an entry of the table itself outside the guest's RAM (or in the VMM)
  region_in_vmm,        // a region touches the VMM's memory
  region_crosses_64k,   // a region crosses a 64 KiB boundary, which a controller may wrap
  region_not_ram,       // a region outside the guest's RAM
  no_end_of_table,      // no entry with bit 15 among the first prd_max_entries
};
const char* prd_problem_name(PrdProblem problem);

struct PrdCheck {
  PrdProblem problem;
  uint32_t entry;    // the entry it concerns (refused), or the entries copied (accepted)
  uint64_t address;  // where: the entry's own address (table_not_ram) or its region's
};

// What one entry's region may not be: anywhere but the guest's RAM, in
// the VMM's memory, across a 64 KiB boundary (SFF-8038i forbids it; a
// controller's counter may wrap inside the 64 KiB instead of moving on).
// The region starts at the address with bit 0 clear (the controller
// ignores it; Bochs does not: both are checked) and runs prd_bytes.
PrdProblem check_prd_region(const DmaRam& ram, uint64_t vmm_first, uint64_t vmm_end,
                            const PrdEntry& entry);

// The guest's table at guest-physical `table` (the controller ignores bits
// 1:0) copied into `copy` (prd_max_entries), one entry at a time, each
// entry's place checked before it is read and its region checked once it
// is in `copy`: every entry up to the first with bit 15, written there as
// checked (count bit 0 and every flag but bit 15 clear). Accepted
// (PrdProblem::none): `entry` is the number of entries. Refused: what
// `copy` holds is not to be used.
PrdCheck copy_prd_table(const DmaRam& ram, uint64_t vmm_first, uint64_t vmm_end, uint32_t table,
                        PrdEntry* copy);

}  // namespace devices
