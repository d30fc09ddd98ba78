// The base address registers of a PCI function (PCI Local Bus 3.0, 6.2.5)
// and what a value in them decodes, for the mediation of the guest's writes
// (devices/pci_mediation.h):
//   - a type 0 header has six BAR dwords at 0x10-0x24 and its expansion ROM
//     BAR at 0x30; a type 1 header (a PCI-to-PCI bridge) two BARs at
//     0x10-0x14 and its ROM BAR at 0x38; other layouts have none here;
//   - a BAR's bit 0 says I/O (1) or memory (0); a memory BAR's bits 2:1 say
//     32-bit (00b, 01b: below 1 MiB) or 64-bit (10b), the latter taking the
//     next dword for address bits 63:32; a ROM BAR has its base in bits
//     31:11 and an enable in bit 0;
//   - a BAR's size is what its writable address bits say: write all ones,
//     read back, and the lowest address bit that reads 1 is the size (the
//     VMM does this itself, devices/pci_mediation.cpp).
// A window is [first, last], inclusive, so that no end wraps: a 64-bit BAR
// written all ones decodes up to 2^64 - 1. Pure.
#pragma once

#include <stdint.h>

#include "layout.h"

namespace devices::pci {

inline constexpr uint16_t header_type_dword = 0x0C;  // the header type is its byte 2
inline constexpr uint16_t first_bar = 0x10;

struct BarLayout {
  uint8_t bars;       // BAR dwords from 0x10
  uint16_t rom;       // the expansion ROM BAR's offset, 0: none
};

// Bits 6:0 of the header type byte (bit 7: multi-function).
constexpr BarLayout bar_layout(uint8_t header_type) {
  switch (header_type & 0x7F) {
    case 0: return {6, 0x30};
    case 1: return {2, 0x38};
    default: return {0, 0};
  }
}

enum class BarKind : uint8_t { io, memory32, memory64 };

// From the BAR's low dword (its type bits are read-only). Type 11b is
// reserved: taken as 32-bit, which keeps the next dword a BAR of its own.
constexpr BarKind bar_kind(uint32_t low) {
  if ((low & 1) != 0) return BarKind::io;
  return (low & 6) == 4 ? BarKind::memory64 : BarKind::memory32;
}

// The address bits of each kind of register.
inline constexpr uint32_t io_address_bits = 0xFFFFFFFC;
inline constexpr uint32_t memory_address_bits = 0xFFFFFFF0;
inline constexpr uint32_t rom_address_bits = 0xFFFFF800;
inline constexpr uint32_t rom_enable = 1u << 0;

struct Window {
  bool decodes;
  uint64_t first, last;
};

// What a register holding `value` decodes when its sizing read back
// `address_mask` (the writable address bits alone): nothing when none are
// writable (no such BAR) or the base is 0, else from value's address bits
// over the size the lowest writable bit gives. Base 0 is an unassigned BAR:
// Bochs 2.7 maps it nowhere (pci_set_base_mem), nor does QEMU, and on a PC
// the host bridge sends addresses below the top of DRAM to DRAM whatever a
// BAR says. first | (size - 1) is first + size - 1 for any first aligned
// to size, and cannot wrap.
constexpr Window window(uint64_t value, uint64_t address_mask) {
  const uint64_t first = value & address_mask;
  if (address_mask == 0 || first == 0) return {false, 0, 0};
  const uint64_t size = address_mask & (~address_mask + 1);  // the lowest set bit
  return {true, first, first | (size - 1)};
}

// Memory no device may decode over, whatever the guest writes: the VMM's
// own (code, data, stacks, VMCS, page tables, EPT), and the low memory the
// VMM reads or writes for the guest: the BDA's cursor, the VGA text page
// its console writes, the E820 entries it stores wherever real mode's ES:DI
// reaches (below 0x10FFF0, guests/bios_chain/memory_map.h). Under Bochs
// 2.7 a device's memory decoder wins over RAM: a BAR there hides the VMM's
// memory from the VMM itself.
struct MemoryRange {
  uint64_t first, end;  // [first, end)
};
inline constexpr MemoryRange protected_memory[] = {
    {0, 0x110000},
    {layout::VMM_ADDR, layout::VMM_MEMORY_END},
};

constexpr bool over_protected_memory(const Window& w) {
  if (!w.decodes) return false;
  for (const MemoryRange& r : protected_memory) {
    if (w.first < r.end && w.last >= r.first) return true;
  }
  return false;
}

// A 32-bit BAR written all ones (the PCI spec's sizing, which the guest must
// be free to do) decodes its size below 4 GiB: [2^32 - size, 2^32 - 1]. A
// 32-bit BAR is at most 2 GiB, so that window starts at 2 GiB or above,
// where no protected memory is (a 64-bit BAR's high half written all ones
// puts it above 2^63). Checked here, and for every size by the unit tests.
constexpr uint64_t all_ones_window_floor = 1ull << 31;
static_assert(layout::VMM_MEMORY_END <= all_ones_window_floor &&
              protected_memory[0].end <= all_ones_window_floor);

}  // namespace devices::pci
