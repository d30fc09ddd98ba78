// A guest's linear addresses as its CPU translates them, in every mode a
// guest can be in (SDM Vol. 3, chapter 4): paging off (real mode, or
// protected mode without paging: linear = physical), 32-bit paging (4 KiB
// pages, 4 MiB pages with PSE and PSE-36), PAE paging (its PDPTEs from the
// CPU's registers, which under EPT are the VMCS's guest PDPTE fields: the
// CPU loaded them with CR3 and does not reread memory) and 4-level paging
// (1 GiB, 2 MiB and 4 KiB pages). 5-level paging is refused. Each walk
// checks what the CPU checks: present bits, reserved bits (MAXPHYADDR, the
// XD bit without EFER.NXE, the large pages' reserved bits), the canonical
// form in 64-bit modes, and the access rights (U/S for CPL 3, R/W for a
// write at CPL 3 or with CR0.WP, XD and SMEP for a fetch). Accessed and
// dirty bits are not set: the VMM only reads. Every paging entry is read
// through `read_physical`, which may refuse an address (the VMM's memory,
// a device's registers): the walk then fails, it never reads around it.
// Pure: the host tests walk tables in an array. (vmx/guest_paging.h is the
// V86 demo's walk at CPL 3, whose PSE-36 rule this one shares.)
#pragma once

#include <stdint.h>

#include "vmx/guest_paging.h"

namespace vmx {

struct GuestPagingState {
  uint64_t cr0, cr3, cr4, efer;
  uint64_t pdptes[4];              // PAE paging only: the PDPTE registers
  unsigned physical_address_bits;  // MAXPHYADDR (CPUID 0x80000008 EAX[7:0])
};

enum class GuestPagingMode : uint8_t { none, bits32, pae, level4, level5 };

namespace paging_bits {
inline constexpr uint64_t cr0_wp = 1ull << 16, cr0_pg = 1ull << 31;
inline constexpr uint64_t cr4_pse = 1ull << 4, cr4_pae = 1ull << 5, cr4_la57 = 1ull << 12,
                          cr4_smep = 1ull << 20;
inline constexpr uint64_t efer_lma = 1ull << 10, efer_nxe = 1ull << 11;
inline constexpr uint64_t present = 1, writable = 2, user = 4, page_size = 0x80;
inline constexpr uint64_t execute_disable = 1ull << 63;
}  // namespace paging_bits

constexpr GuestPagingMode guest_paging_mode(const GuestPagingState& s) {
  using namespace paging_bits;
  if ((s.cr0 & cr0_pg) == 0) return GuestPagingMode::none;
  if ((s.cr4 & cr4_pae) == 0) return GuestPagingMode::bits32;
  if ((s.efer & efer_lma) == 0) return GuestPagingMode::pae;
  return (s.cr4 & cr4_la57) != 0 ? GuestPagingMode::level5 : GuestPagingMode::level4;
}

enum class GuestAccessKind : uint8_t { read, write, fetch };

enum class WalkFault : uint8_t {
  none,
  unreadable,     // read_physical refused a paging entry's address
  not_present,
  reserved_bit,
  protection,     // U/S, R/W, XD or SMEP
  non_canonical,
  unsupported,    // 5-level paging
};

struct WalkResult {
  WalkFault fault;
  uint64_t physical;  // when fault == none
};

namespace page_walk_detail {

// Bits 51:12 of an entry, as far as MAXPHYADDR reaches.
constexpr uint64_t address_mask(unsigned physical_address_bits) {
  const unsigned m = physical_address_bits > 52 ? 52 : physical_address_bits;
  return ((1ull << m) - 1) & ~0xFFFull;
}

// The entry bits that must be 0 beyond MAXPHYADDR: up to bit 62 in PAE
// paging's entries, up to bit 51 in 4-level paging's (62:52 are ignored
// there); bit 63, XD, without EFER.NXE.
constexpr uint64_t reserved_mask(unsigned physical_address_bits, bool pae, bool nxe) {
  const unsigned m = physical_address_bits > 52 ? 52 : physical_address_bits;
  const unsigned top = pae ? 63 : 52;  // first bit above the reserved run
  uint64_t mask = ((1ull << top) - 1) & ~((1ull << m) - 1);
  if (!nxe) mask |= paging_bits::execute_disable;
  return mask;
}

// The rights of the whole walk (the AND of its levels' R/W and U/S, the OR
// of their XD bits) against the access.
constexpr bool allowed(const GuestPagingState& s, uint64_t all_rights, bool any_xd,
                       GuestAccessKind access, bool user) {
  using namespace paging_bits;
  const bool user_page = (all_rights & paging_bits::user) != 0;
  const bool writable_page = (all_rights & writable) != 0;
  if (user && !user_page) return false;
  if (access == GuestAccessKind::write && !writable_page && (user || (s.cr0 & cr0_wp) != 0)) {
    return false;
  }
  if (access == GuestAccessKind::fetch) {
    if (any_xd && (s.efer & efer_nxe) != 0) return false;
    if (!user && user_page && (s.cr4 & cr4_smep) != 0) return false;
  }
  return true;
}

}  // namespace page_walk_detail

// Guest-linear -> guest-physical for an access of `access` at CPL 3
// (`user`) or below. read_physical(address, bytes, &value): bytes is 4 or 8.
template <typename ReadPhysical>
WalkResult walk_guest_paging(const GuestPagingState& s, uint64_t linear, GuestAccessKind access,
                             bool user, ReadPhysical&& read_physical) {
  using namespace paging_bits;
  using namespace page_walk_detail;
  const GuestPagingMode mode = guest_paging_mode(s);
  if (mode == GuestPagingMode::none) return {WalkFault::none, linear & 0xFFFFFFFFull};
  if (mode == GuestPagingMode::level5) return {WalkFault::unsupported, 0};

  if (mode == GuestPagingMode::bits32) {
    const uint32_t linear32 = static_cast<uint32_t>(linear);
    uint64_t pde;
    if (!read_physical((s.cr3 & 0xFFFFF000u) + ((linear32 >> 22) << 2), 4, &pde)) {
      return {WalkFault::unreadable, 0};
    }
    if ((pde & present) == 0) return {WalkFault::not_present, 0};
    if ((s.cr4 & cr4_pse) != 0 && (pde & page_size) != 0) {
      uint64_t base;
      if (!pse_page_base(static_cast<uint32_t>(pde), s.physical_address_bits, base)) {
        return {WalkFault::reserved_bit, 0};
      }
      if (!allowed(s, pde, false, access, user)) return {WalkFault::protection, 0};
      return {WalkFault::none, base | (linear32 & 0x3FFFFFu)};
    }
    uint64_t pte;
    if (!read_physical((pde & 0xFFFFF000u) + (((linear32 >> 12) & 0x3FF) << 2), 4, &pte)) {
      return {WalkFault::unreadable, 0};
    }
    if ((pte & present) == 0) return {WalkFault::not_present, 0};
    if (!allowed(s, pde & pte, false, access, user)) return {WalkFault::protection, 0};
    return {WalkFault::none, (pte & 0xFFFFF000u) | (linear32 & 0xFFFu)};
  }

  const bool pae = mode == GuestPagingMode::pae;
  const bool nxe = (s.efer & efer_nxe) != 0;
  const uint64_t address = address_mask(s.physical_address_bits);
  const uint64_t reserved = reserved_mask(s.physical_address_bits, pae, nxe);
  uint64_t rights = writable | paging_bits::user;
  bool xd = false;
  uint64_t entry;
  int level;  // the level the walk reads next: 3 the PDPT, 2 the PD, 1 the PT
  if (pae) {
    linear &= 0xFFFFFFFFull;
    // The PDPTE registers: no R/W, U/S or XD; bits 2:1 and 8:5 reserved.
    entry = s.pdptes[(linear >> 30) & 3];
    if ((entry & present) == 0) return {WalkFault::not_present, 0};
    if ((entry & (reserved | 0x1E6 | execute_disable)) != 0) return {WalkFault::reserved_bit, 0};
    level = 2;
  } else {
    // Canonical: bits 63:47 all equal.
    const uint64_t top = linear >> 47;
    if (top != 0 && top != 0x1FFFF) return {WalkFault::non_canonical, 0};
    if (!read_physical((s.cr3 & address) + ((linear >> 39) & 0x1FF) * 8, 8, &entry)) {
      return {WalkFault::unreadable, 0};
    }
    if ((entry & present) == 0) return {WalkFault::not_present, 0};
    if ((entry & (reserved | page_size)) != 0) return {WalkFault::reserved_bit, 0};
    rights &= entry;
    xd = xd || (entry & execute_disable) != 0;
    level = 3;
  }
  for (; level >= 1; --level) {
    const unsigned shift = 12 + 9 * static_cast<unsigned>(level - 1);
    if (!read_physical((entry & address) + ((linear >> shift) & 0x1FF) * 8, 8, &entry)) {
      return {WalkFault::unreadable, 0};
    }
    if ((entry & present) == 0) return {WalkFault::not_present, 0};
    if ((entry & reserved) != 0) return {WalkFault::reserved_bit, 0};
    rights &= entry;
    xd = xd || (entry & execute_disable) != 0;
    // A 1 GiB page (a PDPTE, 4-level paging only) or a 2 MiB page (a PDE):
    // the bits from 12 up to the page's size are reserved but bit 12, PAT.
    const bool large = level > 1 && (entry & page_size) != 0 && (level == 2 || !pae);
    if (large || level == 1) {
      const uint64_t page_mask = (1ull << shift) - 1;
      if (large && (entry & page_mask & ~0x1FFFull) != 0) return {WalkFault::reserved_bit, 0};
      if (!allowed(s, rights, xd, access, user)) return {WalkFault::protection, 0};
      return {WalkFault::none, (entry & address & ~page_mask) | (linear & page_mask)};
    }
  }
  return {WalkFault::not_present, 0};  // (not reached: level 1 returns)
}

}  // namespace vmx
