// The guest's 32-bit paging (CR4.PAE = 0) walked by the VMM, as the CPU
// walks it for an access at CPL 3, so that the VMM, carrying out an INS or
// OUTS for the guest, reaches exactly the memory the CPU would have reached
// and no other (vmx/guest_memory.h then checks that memory is the guest's).
// Pure: the host tests walk tables in an array.
#pragma once

#include <stdint.h>

namespace vmx {

// A 4 MiB page (CR4.PSE and PDE.PS) holds physical-address bits 31:22 in PDE
// bits 31:22 and, with PSE-36, bits (M-1):32 in PDE bits (M-20):13, where M
// is MAXPHYADDR but at most 40; PDE bits 21:(M-19) are reserved and a set
// one is a page fault (SDM Vol. 3, 4.3, table 4-4). Returns false for a
// reserved bit, else the page's physical base.
inline bool pse_page_base(uint32_t pde, unsigned physical_address_bits, uint64_t& base) {
  const unsigned width = physical_address_bits > 40 ? 40 : physical_address_bits;
  const unsigned high_bits = width > 32 ? width - 32 : 0;  // how many of bits 20:13
  const uint32_t bits_21_13 = (pde >> 13) & 0x1FF;
  if ((bits_21_13 >> high_bits) != 0) return false;
  base = (uint64_t{bits_21_13} << 32) | (pde & 0xFFC00000u);
  return true;
}

// Guest-linear -> guest-physical: not present, supervisor-only or a reserved
// bit set fails, and a write also needs the R/W bit at every level.
// physical_address_bits: CPUID 0x80000008 EAX[7:0] (MAXPHYADDR).
// read_physical32(address, &value) reads a page-table entry (and may refuse
// an address).
template <typename ReadPhysical32>
bool guest_linear_to_physical(uint64_t cr3, bool pse, unsigned physical_address_bits,
                              uint32_t linear, bool write, uint64_t& physical,
                              ReadPhysical32&& read_physical32) {
  constexpr uint32_t present = 1, writable = 2, user = 4, page_size = 0x80;
  const uint32_t needed = present | user | (write ? writable : 0);
  uint32_t pde;
  if (!read_physical32((cr3 & 0xFFFFF000u) + ((linear >> 22) << 2), &pde)) return false;
  if ((pde & needed) != needed) return false;
  if (pse && (pde & page_size) != 0) {
    uint64_t base;
    if (!pse_page_base(pde, physical_address_bits, base)) return false;
    physical = base | (linear & 0x3FFFFFu);
    return true;
  }
  uint32_t pte;
  if (!read_physical32((pde & 0xFFFFF000u) + (((linear >> 12) & 0x3FF) << 2), &pte)) return false;
  if ((pte & needed) != needed) return false;
  physical = (pte & 0xFFFFF000u) | (linear & 0xFFFu);
  return true;
}

}  // namespace vmx
