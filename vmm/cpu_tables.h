// The VMM's own GDT, TSS and IDT, above 4 MiB with the rest of the VMM (the
// ones stage2 used lie in low memory, within the guest's reach). VMX needs a
// usable TR for the host state, hence the TSS.
#pragma once

#include <stdint.h>

namespace cpu_tables {

inline constexpr uint16_t selector_code64 = 0x08;
inline constexpr uint16_t selector_data = 0x10;
inline constexpr uint16_t selector_tss = 0x18;

// Loads the GDT, reloads every segment register, loads TR and the IDT whose
// 32 exception gates lead to exceptions.cpp.
void install();

uint64_t gdt_base();
uint64_t idt_base();
uint64_t tss_base();

}  // namespace cpu_tables
