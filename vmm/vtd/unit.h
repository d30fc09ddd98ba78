// One DMA-remapping unit (VT-d specification chapters 6, 10 and 11): what
// the VMM reads of it, whether it can use it, and the sequence that turns
// translation on with the VMM's tables (vtd/tables.h), each step confirmed
// by the unit's status within a bounded number of reads:
//   fault interrupts masked, old fault records cleared;
//   RTADDR = the root table (legacy mode), GCMD.SRTP, until GSTS.RTPS;
//   where CAP.RWBF says so, GCMD.WBF until GSTS.WBFS clears;
//   a global context-cache invalidation (CCMD), until ICC clears;
//   a global IOTLB invalidation (draining reads and writes where the unit
//   can), until IVT clears;
//   GCMD.TE, until GSTS.TES;
//   where the firmware left a protected memory region on, PMEN off.
// Register-based invalidation only: a unit the firmware left with queued
// invalidation or interrupt remapping on is refused (then the invalidation
// registers may not be used). Pure over vtd/mmio.h: the unit tests run it
// on a fake unit.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace vtd {

// Reads of a status register before a step counts as failed: about a
// second on a PC (a read of a chipset register takes a microsecond or
// less); a unit answers within a few.
inline constexpr uint32_t poll_limit = 1000000;

struct UnitCaps {
  uint32_t version;            // VER: major in bits 7:4, minor in 3:0
  uint64_t cap, ecap;
  uint32_t walks;              // bit L set: walks of L levels (3, 4, 5), from SAGAW
  uint32_t address_width;      // MGAW, in bits
  bool pages_2m;               // second-level 2 MiB pages (SLLPS bit 0)
  bool pages_1g;               // second-level 1 GiB pages (SLLPS bit 1)
  bool write_buffer_flush;     // RWBF: table writes need GCMD.WBF
  bool caching_mode;           // CM: not-present entries may be cached
  bool coherent;               // ECAP.C: page walks see the CPU's caches
  bool drain_reads, drain_writes;
  bool protected_regions;      // PLMR or PHMR: PMEN exists
  uint32_t iotlb;              // the IOTLB register's offset (ECAP.IRO * 16 + 8)
  uint32_t fault_records_at;   // the first fault recording register's offset
  uint32_t fault_records;
};

UnitCaps decode_caps(uint32_t version, uint64_t cap, uint64_t ecap);
// VER, CAP and ECAP of the unit at `base`.
UnitCaps read_caps(uint64_t base);

// The bytes of the unit's registers from its base, in whole pages: its
// DRHD's pages, or more where its IOTLB or fault registers lie past them.
uint64_t register_window(const UnitCaps& caps, uint32_t drhd_pages);

// The fewest levels every unit walks (3, 4 or 5) whose width (39, 48 or
// 57 bits) reaches `ram_end`, the end of the RAM devices are to reach
// (vtd/high_ram.h); where none does, the most every unit walks; 0 when
// they walk none in common.
uint32_t common_levels(const UnitCaps* units, size_t count, uint64_t ram_end = 0);
// The fewest address bits a unit translates (CAP.MGAW), 64 for none.
uint32_t common_address_width(const UnitCaps* units, size_t count);
// Whether every unit offers second-level 1 GiB pages (CAP.SLLPS bit 1).
bool common_pages_1g(const UnitCaps* units, size_t count);

enum class Step : uint8_t {
  none,
  registers,         // the registers reach past 4 GiB
  state,             // queued invalidation or interrupt remapping left on
  large_pages,       // no second-level 2 MiB pages
  root_pointer,      // GSTS.RTPS did not come
  write_buffer,      // GSTS.WBFS did not clear
  context_cache,     // CCMD.ICC did not clear, or nothing was invalidated
  iotlb,             // IOTLB.IVT likewise
  translation,       // GSTS.TES did not come
  protected_memory,  // PMEN.PRS did not clear
};
const char* step_name(Step step);  // "root-pointer", ...: for the result line

// Whether the VMM can use the unit at `base` with these capabilities and
// its window, as its status `gsts` shows it now.
Step check_unit(uint64_t base, const UnitCaps& caps, uint64_t window, uint32_t gsts);

struct Outcome {
  Step failed;                 // Step::none: translation is on
  uint32_t status;             // GSTS when it ended
  uint32_t faults_cleared;     // fault records the firmware left
  bool was_enabled;            // the firmware had translation on
};

// The sequence above, on the unit at `base`, with the tables whose root
// table is at `root_table`. The tables must be in memory the unit sees:
// where the unit is not coherent, written back from the CPU's caches
// first (the caller's part).
Outcome enable_translation(uint64_t base, const UnitCaps& caps, uint64_t root_table);

// A fault record, read and cleared (record `index` < caps.fault_records).
struct Fault {
  bool recorded;
  bool read;            // T: 1 a read, 0 a write
  uint8_t reason;       // FR
  uint16_t source_id;   // bus 15:8, device 7:3, function 2:0
  uint64_t address;     // FI: the page the request was for
};
Fault take_fault(uint64_t base, const UnitCaps& caps, uint32_t index);
const char* fault_reason_name(uint8_t reason);

}  // namespace vtd
