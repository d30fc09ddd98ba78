// What a chain guest is told about memory (docs/chain-mode.md): the
// firmware's E820 map with the VMM's memory, and the KiB below 640 KiB that
// the loader's INT 15h stub takes, reported reserved. The loader hooks
// INT 15h; its stub asks the VMM by VMCALL (GUEST_VMCALL_INT15) for E820,
// E801 and AH=88h, and answer_int15() below is the VMM's answer, computed
// from the map the VMM built once before VMLAUNCH (the guest cannot change
// it). Pure: the exit handler does the VMCS reads and the one write of an
// E820 entry into the guest's buffer.
#pragma once

#include <stdint.h>

#include "layout.h"

namespace guests::bios_chain {

// Each reserved range splits at most the two firmware entries its ends fall
// in, so two ranges add at most four entries.
inline constexpr uint32_t guest_map_max_entries = layout::E820_MAX_ENTRIES + 4;

struct GuestMemoryMap {
  layout::E820Entry entries[guest_map_max_entries];
  uint32_t count;
  uint32_t kib_from_1m;       // usable KiB that join on at 1 MiB (AH=88h; E801 up to 15 MiB)
  uint32_t blocks_from_16m;   // 64 KiB blocks that join on at 16 MiB, when the above reach it
  uint64_t mapped_end;        // where the EPT ends: RAM past it is reported reserved
};

// The map from the firmware's `count` entries: every usable (type 1) entry
// cut around [stub_first, 1 MiB), [vmm_first, vmm_end) and from
// `mapped_end` on (where the EPT ends: RAM the guest cannot reach), whose
// parts inside them become reserved (type 2); every other entry as it is.
// An entry whose base + length would pass 2^64 ends at 2^64 - 1. False
// when the ranges are not in order (stub_first < 1 MiB <= vmm_first <
// vmm_end <= mapped_end).
bool build_guest_memory_map(const layout::E820Entry* firmware, uint32_t count,
                            uint64_t stub_first, uint64_t vmm_first, uint64_t vmm_end,
                            uint64_t mapped_end, GuestMemoryMap& out);

// One INT 15h call as the stub hands it over: `function` is the caller's
// EAX (the stub moves it to ESI, since EAX carries the VMCALL's number).
struct Int15Call {
  uint32_t function, ebx, ecx, edx;
};

// The answer: the registers the caller gets back (EAX is the caller's with
// AH = 0x86 on failure), CF, and for E820 the entry to store at ES:DI.
struct Int15Answer {
  bool carry;
  uint32_t eax, ebx, ecx, edx;
  bool store_entry;
  uint8_t entry[20];  // base, length, type: the 20-byte form
};

Int15Answer answer_int15(const GuestMemoryMap& map, const Int15Call& call);
// The failure: CF, AH = 0x86, every other register as the caller set it.
Int15Answer refuse_int15(const Int15Call& call);

// The end of what real mode addresses (0xFFFF:0xFFFF + 1) with paging off.
inline constexpr uint64_t real_mode_end = 0xFFFF0 + 0x10000;

// Where the caller's E820 buffer lies, as the CPU would address ES:DI in
// real mode with paging off (es_base from the VMCS, DI the low 16 bits of
// RDI): true, with the physical address, only when all 20 bytes lie below
// the highest address real mode reaches (0x10FFEF), which is below the
// VMM's memory. With paging on, ES:DI is not a physical address, and code
// at CPL > 0 (the VMCALL exits at any CPL) does not get the VMM to store
// for it: false.
bool int15_buffer(uint64_t es_base, uint64_t rdi, bool paging, unsigned cpl,
                  uint64_t& physical);

}  // namespace guests::bios_chain
