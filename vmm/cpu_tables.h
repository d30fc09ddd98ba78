// A CPU's own GDT, TSS and IDT for the VMM, in its Vcpu above 4 MiB with
// the rest of the VMM (the ones stage2 used lie in low memory, within the
// guest's reach). VMX needs a usable TR for the host state, hence the TSS.
#pragma once

#include <stdint.h>

#include "ia32/exceptions.h"
#include "common/descriptors.h"

namespace cpu_tables {

inline constexpr uint16_t selector_code64 = 0x08;
inline constexpr uint16_t selector_data = 0x10;
inline constexpr uint16_t selector_tss = 0x18;

// A 64-bit TSS (SDM Vol. 3A 7.7): no I/O bitmap (its offset points past the
// limit), no stack switches: exceptions run on the VMM's stack.
struct [[gnu::packed]] Tss64 {
  uint32_t reserved0;
  uint64_t rsp[3];
  uint64_t reserved1;
  uint64_t ist[7];
  uint64_t reserved2;
  uint16_t reserved3;
  uint16_t io_map_base;
};
static_assert(sizeof(Tss64) == 104);

struct HostTables {
  alignas(16) uint64_t gdt[5];
  alignas(16) descriptors::Descriptor128 idt[exception_vectors];
  alignas(16) Tss64 tss;
};

// Fills `tables`, loads the GDT, reloads every segment register, loads TR
// and the IDT whose 32 exception gates lead to exceptions.cpp.
void install(HostTables& tables);

}  // namespace cpu_tables
