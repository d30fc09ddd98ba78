// Extended page tables (SDM Vol. 3, 29.3 "The Extended Page Table
// Mechanism"): guest-physical -> host-physical, for a guest given only a
// few ranges (its own frames and the VGA text window, say), mapped
// identity and in 4 KiB pages. Any other guest-physical access (the VMM above 4 MiB, the BIOS
// areas, the boot info) is an EPT violation, a VM exit (reason 48) with the
// guest-physical address. Everything lies in the first 2 MiB, so the
// structures are one page per level: PML4, PDPT, PD, PT. Pure: the VMM
// passes its tables' physical address, the tests any address.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace vmx {

struct alignas(4096) EptTables {
  uint64_t pml4[512];
  uint64_t pdpt[512];
  uint64_t pd[512];
  uint64_t pt[512];
};

// [first, first + bytes): guest-physical = host-physical, read/write/execute.
struct EptRange {
  uint64_t first;
  uint64_t bytes;
  bool write_back;  // else uncacheable (device memory: the VGA window)
};

// IA32_VMX_EPT_VPID_CAP (0x48C) bits the VMM uses (SDM A.10).
namespace ept_capability {
inline constexpr uint64_t page_walk_length_4 = 1ull << 6;
inline constexpr uint64_t memory_type_uc = 1ull << 8;
inline constexpr uint64_t memory_type_wb = 1ull << 14;
inline constexpr uint64_t invept = 1ull << 20;
inline constexpr uint64_t invept_single_context = 1ull << 25;
inline constexpr uint64_t invept_all_context = 1ull << 26;
}  // namespace ept_capability

// The INVEPT type (SDM Vol. 3, "INVEPT"; 1 single-context, 2 all-context)
// to invalidate what the CPU cached from an EPT after the VMM changed it:
// single-context where the CPU has it (the one EPT pointer), else
// all-context; 0 when the CPU reports no INVEPT (then an EPT a guest runs
// on cannot be changed).
constexpr uint32_t invept_type(uint64_t ept_vpid_capability) {
  if ((ept_vpid_capability & ept_capability::invept) == 0) return 0;
  if ((ept_vpid_capability & ept_capability::invept_single_context) != 0) return 1;
  if ((ept_vpid_capability & ept_capability::invept_all_context) != 0) return 2;
  return 0;
}

inline constexpr uint64_t ept_read = 1, ept_write = 2, ept_execute = 4;
inline constexpr uint64_t ept_memory_type_uc = 0, ept_memory_type_wb = 6;
// The area EptTables can map: one page table's worth.
inline constexpr uint64_t ept_mapped_limit = 512 * 4096;

// Fills `tables` (whose physical address is `tables_physical`) with the
// ranges, page-rounded outward. False when a range lies beyond
// ept_mapped_limit (nothing is mapped then).
bool build_ept(EptTables& tables, uint64_t tables_physical, const EptRange* ranges, size_t count);

// The EPT pointer (SDM 25.6.11): 4-level walk, the structures' memory type
// (write-back where the CPU allows it, else uncacheable). 0 when the CPU
// allows neither or no 4-level walk.
uint64_t ept_pointer(uint64_t pml4_physical, uint64_t ept_vpid_capability);

// Whether guest-physical `address` is mapped by `tables`.
bool ept_maps(const EptTables& tables, uint64_t address);

}  // namespace vmx
