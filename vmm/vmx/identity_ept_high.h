// The identity EPT above 4 GiB: vmx/identity_ept.h maps the space below,
// this the rest of the physical address space the CPU reports (CPUID
// 0x80000008 EAX[7:0], at most the 48 bits a 4-level EPT walks): RAM above
// 4 GiB and whatever else decodes there (64-bit BARs), identity-mapped
// with full access. 1 GiB pages where the CPU's EPT has them (IA32_VMX_
// EPT_VPID_CAP bit 17) and the GiB has one memory type; a GiB whose types
// differ, or every GiB on a CPU without 1 GiB EPT pages, gets a page
// directory of 2 MiB pages (each with its own type: UC where the MTRRs
// split it, as below 4 GiB). The tables come from a fixed pool: what it
// cannot hold is left unmapped from that GiB on, and the build says where
// the mapping ends, so that the guest is not told of RAM beyond it.
// Pure: the VMM passes its tables' physical addresses, the tests any.
#pragma once

#include <stdint.h>

#include "layout.h"
#include "vmx/identity_ept.h"
#include "vmx/mtrr.h"

namespace vmx {

// Page-directory-pointer tables past the first 512 GiB, and page
// directories of GiBs mapped by 2 MiB pages. 64 hold 1 GiB pages up to
// 32 TiB (a 45-bit space), or, without 1 GiB pages, 2 MiB pages up to
// 68 GiB. (256 KiB, in the VMM's .bss: inside the memory the EPT leaves
// out.)
inline constexpr unsigned identity_ept_high_tables = 64;

struct alignas(4096) IdentityEptHigh {
  uint64_t table[identity_ept_high_tables][512];
};

// What the CPU offers: its physical address width and 1 GiB EPT pages.
struct EptReach {
  unsigned address_bits;  // MAXPHYADDR: CPUID.80000008H:EAX[7:0]
  bool pages_1g;
};

inline constexpr uint64_t ept_vpid_cap_pages_1g = 1ull << 17;  // IA32_VMX_EPT_VPID_CAP
inline constexpr unsigned ept_max_address_bits = 48;          // a 4-level walk

// The end of the space to map: 2^address_bits, 48 bits at most, at least
// 4 GiB.
uint64_t identity_ept_space_end(unsigned address_bits);

// Maps [4 GiB, the space's end) in `low` (built by build_identity_ept: its
// PML4 from entry 1 on and its PDPT from entry 4 on are written here) and
// `high` (at `high_physical`). Memory types as build_identity_ept gives
// them (`mtrrs`, else the E820 map). Returns where the mapping ends: the
// space's end, or the first GiB the pool could not map.
uint64_t map_identity_ept_high(IdentityEptTables& low, IdentityEptHigh& high,
                               uint64_t high_physical, const layout::E820Entry* map,
                               uint32_t count, const Mtrrs* mtrrs, EptReach reach);

// Whether guest-physical `address` at or above 4 GiB is mapped, and its
// memory type (for the tests and reports).
bool identity_ept_high_maps(const IdentityEptTables& low, const IdentityEptHigh& high,
                            uint64_t high_physical, uint64_t address);
uint8_t identity_ept_high_type(const IdentityEptTables& low, const IdentityEptHigh& high,
                               uint64_t high_physical, uint64_t address);

}  // namespace vmx
