// The header at the start of the guest binary (guest/guest.asm, loaded at
// layout::GUEST_ADDR): everything the VMM needs to build the guest's VMCS
// state without knowing the guest's internals. The guest assembles it field
// by field against the offsets that abi/gen_layout_inc.cpp prints from
// this definition (GuestHeader_<field>, SIZEOF_GuestHeader), so a field
// added or moved here and not in the assembly fails the NASM build.
//
// Offsets are bytes from GUEST_ADDR, which is also the base of the guest's
// code and data segments; segment values are real-mode paragraphs
// (base = segment * 16).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "layout.h"

namespace layout {

inline constexpr uint32_t GUEST_MAGIC = 0x54534756;  // "VGST"

// GuestHeader::kind. The V86 demo (guest/guest.asm) is run in a V86 task
// under the VMM's own paging; a chain guest (guest/chain/loader.asm) is a
// real-mode loader that boots another BIOS disk, run as an unrestricted
// guest with EPT (docs/chain-mode.md). Only entry_cs/ip/ss/sp/ds,
// image_bytes, memory_bytes and limit_seconds mean anything for it.
inline constexpr uint16_t GUEST_KIND_V86 = 0;
inline constexpr uint16_t GUEST_KIND_CHAIN = 1;

// What the guest's #GP handler leaves in EAX for its final VMCALL.
inline constexpr uint32_t GUEST_VMCALL_HALTED = 0x544C4148;  // "HALT": #GP was the HLT
inline constexpr uint32_t GUEST_VMCALL_FAULT = 0x21504723;   // "#GP!": any other #GP
// What the chain loader leaves in EAX for its VMCALL when it found no boot
// sector to jump to (EBX: 1 the read failed, 2 no 0x55AA; ECX: the detail).
inline constexpr uint32_t GUEST_VMCALL_CHAIN_FAILED = 0x464E4843;  // "CHNF"
// What the chain loader's INT 15h stub leaves in EAX for its VMCALL: the
// caller's EAX is in ESI, its EBX, ECX, EDX and ES:DI as it called; the VMM
// answers in those registers and in CF (guests/bios_chain/memory_map.h).
inline constexpr uint32_t GUEST_VMCALL_INT15 = 0x35317449;  // "It15"

struct GuestHeader {
  uint32_t magic;               // GUEST_MAGIC
  uint16_t header_bytes;        // sizeof(GuestHeader)
  uint16_t vga_row;             // text row the guest writes its line to; the VMM may
                                // set it before entry (the row its console is on)
  uint32_t image_bytes;         // bytes in the file (what stage2 loads)
  uint32_t memory_bytes;        // image + tail the VMM zeroes (stacks, page-directory rest)
  // Virtual-8086 entry state.
  uint16_t entry_cs;
  uint16_t entry_ip;
  uint16_t entry_ss;
  uint16_t entry_sp;
  uint16_t entry_ds;            // also ES, FS and GS
  uint16_t gdt_limit;
  uint32_t gdt_offset;
  uint16_t tss_selector;        // in the GDT, a busy 32-bit TSS
  uint16_t ldt_selector;        // in the GDT
  uint32_t tss_offset;
  uint32_t tss_limit;
  uint32_t ldt_offset;
  uint32_t ldt_limit;
  uint32_t idt_offset;
  uint32_t idt_limit;
  uint32_t page_directory_offset;  // 4 KiB aligned; guest CR3 = GUEST_ADDR + this
  uint32_t gp_handler_offset;   // guest_isrGPF (32-bit, ring 0, LDT code segment)
  uint32_t ring0_stack_top;     // ESP0 in the TSS
  uint32_t pde0;                // page-directory entry 0: the VMM writes it into the
                                // zeroed tail (the other 1023 stay not-present)
  uint32_t bench_ticks;         // written by the guest: TSC ticks of its OUT loop
  uint16_t bench_outs;          // how many single-byte OUTs the loop makes
  uint16_t reserved0;           // (the loop's port is the VMM's: layout::BENCH_PORT)
  uint16_t inject;              // layout::INJECT_*: the guest_* case this guest was
                                // built for (guest/inject_cases.asm), else 0;
                                // mkimage --inject checks it, nothing reads it at run time
  uint16_t kind;                // GUEST_KIND_*: what the VMM runs (one source of truth:
                                // the guest binary says which guest it is)
  uint32_t bad_port_ins;        // written by the guest in the guest-bad-port and
                                // guest-port-policy cases: what its INS from a
                                // denied port read
  uint32_t limit_seconds;       // chain guests: the run's time bound (GUEST_LIMIT=),
                                // 0 = none; the V86 demo keeps its own bound
};
static_assert(sizeof(GuestHeader) % 8 == 0);

// Fault-injection cases that damage the guest header on the disk (image/
// layout.h VMXBOOT_INJECT_CASES): mkimage writes `value` over the 32-bit
// field at `offset` of the guest payload before it takes the payload's CRC,
// so stage2 loads the header as it loads any intact one, and the VMM alone
// must refuse it (result guest-invalid field=<field>). Each value passed the
// VMM's checks before they were done in 64 bits or looked at every address
// bit of PDE 0.
struct GuestHeaderInjection {
  uint16_t inject;
  const char* field;
  uint32_t offset;
  uint32_t value;
};
inline constexpr GuestHeaderInjection GUEST_HEADER_INJECTIONS[] = {
    // + 4096 wraps to 0 in 32 bits; the VMM wrote PDE 0 at 0x1_0000_F000.
    {INJECT_HEADER_PD_WRAP, "page_directory_offset", offsetof(GuestHeader, page_directory_offset),
     0xFFFFF000u},
    // + 0x68 and + tss_limit wrap below the image's end; TR's base lands
    // above 4 GiB.
    {INJECT_HEADER_TSS_WRAP, "tss_offset", offsetof(GuestHeader, tss_offset), 0xFFFFFFF0u},
    // PSE-36 bit 13 (physical bit 32): a 4 MiB page at 4 GiB, not at 0.
    {INJECT_HEADER_PSE36, "pde0", offsetof(GuestHeader, pde0), 0x00002087u},
};

constexpr const GuestHeaderInjection* find_guest_header_injection(uint16_t inject) {
  for (const GuestHeaderInjection& injection : GUEST_HEADER_INJECTIONS) {
    if (injection.inject == inject) return &injection;
  }
  return nullptr;
}

#define VMXBOOT_GUEST_HEADER_FIELDS(X)                                         \
  X(magic) X(header_bytes) X(vga_row) X(image_bytes) X(memory_bytes)           \
  X(entry_cs) X(entry_ip) X(entry_ss) X(entry_sp) X(entry_ds) X(gdt_limit)     \
  X(gdt_offset) X(tss_selector) X(ldt_selector) X(tss_offset) X(tss_limit)     \
  X(ldt_offset) X(ldt_limit) X(idt_offset) X(idt_limit)                        \
  X(page_directory_offset) X(gp_handler_offset) X(ring0_stack_top) X(pde0)       \
  X(bench_ticks) X(bench_outs) X(inject) X(kind) X(bad_port_ins) X(limit_seconds)

}  // namespace layout
