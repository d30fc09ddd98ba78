// The memory the VMM touches while a chain guest runs, which the guest's
// local APIC page may not be moved onto (devices/apic_base.h): an enabled
// xAPIC takes every access of its CPU to its page, the VMM's included.
//   - the first 0x110000 bytes: the BDA, which the VMM reads and writes
//     for the screen it shares with the guest, and every E820 buffer it
//     stores into (below real mode's highest address, memory_map.h);
//   - the VGA text pages the VMM prints to (inside the above, named for
//     the report);
//   - the VMM's own memory (code, data, stacks, VMCS, page tables, EPT);
//   - everything from 4 GiB up: there the VMM's identity map does not reach
//     (it could not write the APIC for the guest) and the EPT has no 4 KiB
//     pages (vmx/identity_ept_high.h) to keep the page's stores in view:
//     the guest would write its ICR unseen.
// Pure.
#pragma once

#include "devices/apic_base.h"
#include "guests/bios_chain/memory_map.h"
#include "layout.h"

namespace guests::bios_chain {

// Up to the page real mode's ES:DI reaches last, where int15_buffer()
// lets the VMM store an E820 entry.
inline constexpr uint64_t real_mode_pages_end = (real_mode_end + 0xFFF) & ~0xFFFull;
static_assert(real_mode_pages_end == 0x110000);

inline constexpr devices::apic::KeptRange kept_memory[] = {
    {layout::VGA_TEXT_ADDR, 0xC0000, "the VGA text pages the VMM prints to"},
    {0, real_mode_pages_end, "low memory the VMM writes for the guest (BDA, E820 buffers)"},
    {layout::VMM_ADDR, layout::VMM_MEMORY_END, "the VMM's memory"},
    {4ull << 30, 1ull << 52, "above 4 GiB, where the VMM cannot keep the page in view"},
};

}  // namespace guests::bios_chain
