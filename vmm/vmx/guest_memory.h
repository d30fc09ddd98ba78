// The VMM's accesses to guest memory on the guest's behalf: the operands of
// the INS and OUTS it carries out, and the guest's page tables that lead to
// them. Through the guest's 32-bit paging as the guest at CPL 3 sees it, and
// only where the guest has memory: what EPT maps, or without EPT its one
// 4 MiB page. Without the second check a guest could point its own page
// tables at the VMM and have the VMM read or write there for it
// (the fault case guest-read-vmm). The walk honours the PSE-36 bits of a
// 4 MiB page as the CPU does (vmx/guest_paging.h, the fault case
// guest-pse36-outs). A guest whose memory the VMM does not walk (GuestMemory
// kind none) has no such access at all. 64-bit VMM only (vmx/io_emulation.h
// and vmx/guest_paging.h have the pure parts).
#pragma once

#include <stdint.h>

#include "vmx/io_emulation.h"

namespace vmx {

struct EptTables;

// What the VMM may touch for the guest: a Vcpu's.
struct GuestMemory {
  enum class Kind : uint8_t {
    none,         // nothing: string I/O on a kept port is not carried out
    ept,          // what `ept` maps
    first_4mib,   // without EPT: the guest's one 4 MiB page
  };
  Kind kind;
  const EptTables* ept;
  unsigned physical_address_bits;  // MAXPHYADDR: how far the guest's 4 MiB pages reach
  bool refused_valid;              // an access refused as not the guest's memory,
  uint64_t refused;                // at this guest-physical address
};

// The guest's CR3 and CR4.PSE.
struct GuestPaging {
  uint64_t cr3;
  bool pse;
};

// Before the guest runs: what it owns (MAXPHYADDR read from CPUID).
GuestMemory guest_memory(GuestMemory::Kind kind, const EptTables* ept);

GuestAccess read_guest_linear(GuestMemory& memory, const GuestPaging& paging, uint64_t linear,
                              unsigned bytes, uint32_t* value);
// All bytes are checked before any is written.
GuestAccess write_guest_linear(GuestMemory& memory, const GuestPaging& paging, uint64_t linear,
                               unsigned bytes, uint32_t value);

}  // namespace vmx
