// A DMA-remapping unit for the host tests (vmm/vtd/mmio.h): its register
// file at fake_vtd_unit::base, answering as the VT-d specification has a
// unit answer (GCMD's commands show in GSTS, CCMD's ICC and the IOTLB's IVT
// clear with a granularity, fault records clear when F is written), every
// write recorded. A test can make it stop answering at any step.
#pragma once

#include <cstdint>
#include <vector>

namespace fake_vtd_unit {

inline constexpr uint64_t base = 0xFED90000;
// QEMU 7.2's intel-iommu with its defaults, as read in the DMA probe
// (aw-bits 39: 3-level walks, 2 MiB and 1 GiB pages, one fault record at
// 0x220, the IOTLB registers at 0xF0, not coherent).
inline constexpr uint64_t qemu_cap = 0xD2008C22260206ull;
inline constexpr uint64_t qemu_ecap = 0xF00F4Aull;
inline constexpr uint32_t qemu_version = 0x10;

struct Write {
  uint32_t offset;
  unsigned bytes;
  uint64_t value;
};

struct Unit {
  uint64_t cap = qemu_cap, ecap = qemu_ecap;
  uint32_t version = qemu_version;
  uint32_t gsts = 0;
  uint64_t rtaddr = 0, ccmd = 0, iotlb = 0;
  uint32_t fsts = 0, fectl = 0x80000000, pmen = 0;
  // What it does when told (false: it never does it).
  bool sets_root_pointer = true, flushes_write_buffer = true, invalidates_context = true,
       invalidates_iotlb = true, enables_translation = true, disables_pmr = true;
  uint32_t context_granularity = 1, iotlb_granularity = 1;  // CAIG, IAIG once done (0: none)
  // Fault records: (low, high) pairs at CAP.FRO.
  std::vector<uint64_t> fault_low, fault_high;
  std::vector<Write> writes;
  uint64_t reads = 0;
};

extern Unit unit;

// A fresh unit with these capabilities (one fault record per CAP.NFR).
void reset(uint64_t cap = qemu_cap, uint64_t ecap = qemu_ecap);
// Puts a fault in record `index`: F set, the reason, the type, the source.
void record_fault(uint32_t index, uint64_t address, uint8_t reason, bool read, uint16_t source);
// The offsets written, in order.
std::vector<uint32_t> written_offsets();

}  // namespace fake_vtd_unit
