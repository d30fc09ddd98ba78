// Fuzz target guest_header: any bytes as the guest image stage2 loaded,
// through the VMM's own copy_guest_header (vmm/guests/guest_header_check.h).
// A header it accepts must keep every promise the VMM relies on after the
// check, each re-derived here in 64-bit arithmetic: what the VMM writes (the
// zeroed tail, PDE 0) and what the guest state points at lie inside the
// guest's memory. abort() where one is broken. A chain loader's header
// (kind chain) keeps the fewer promises of real mode.
#include <stdlib.h>
#include <string.h>

#include <vector>

#include "guest_header.h"
#include "layout.h"
#include "tests/fuzz/fuzz_targets.h"
#include "guests/guest_header_check.h"
#include "guests/bios_chain/guest_state.h"
#include "guests/v86_demo/guest_state.h"

namespace {

void require(bool promise) {
  if (!promise) abort();
}

// [base, base + bytes) inside the guest's memory at GUEST_ADDR.
bool in_guest(uint64_t base, uint64_t bytes, uint64_t memory) {
  return base >= layout::GUEST_ADDR && base + bytes <= layout::GUEST_ADDR + memory;
}

}  // namespace

int fuzz_guest_header(const uint8_t* data, size_t size) {
  if (size > layout::GUEST_MAX_BYTES) return 0;  // stage2 loads no more
  // The loaded size as stage2 reports it: the header's image_bytes when the
  // input holds that many bytes (so the check gets past that field), else
  // all of it. The bytes go to a buffer of exactly that size, so that
  // AddressSanitizer sees any read past them.
  uint32_t loaded = static_cast<uint32_t>(size);
  if (size >= offsetof(layout::GuestHeader, image_bytes) + 4) {
    uint32_t image_bytes;
    memcpy(&image_bytes, data + offsetof(layout::GuestHeader, image_bytes), 4);
    if (image_bytes <= size) loaded = image_bytes;
  }
  std::vector<uint8_t> image(data, data + loaded);
  layout::GuestHeader copy;
  const guests::GuestHeaderProblem problem = guests::copy_guest_header(image.data(), loaded, copy);
  if (!problem.ok()) {
    require(problem.field != nullptr && problem.problem != nullptr);
    return 0;
  }
  const layout::GuestHeader& h = copy;
  require(memcmp(&h, image.data(), sizeof h) == 0);
  const uint64_t memory = h.memory_bytes, bytes = h.image_bytes;
  require(bytes == loaded && bytes >= sizeof h && bytes <= memory);
  require(memory <= layout::GUEST_MAX_BYTES);
  require(h.kind == layout::GUEST_KIND_V86 || h.kind == layout::GUEST_KIND_CHAIN);
  if (h.kind == layout::GUEST_KIND_CHAIN) {
    // A chain loader: the VMM writes only the zeroed tail, and starts it in
    // real mode at entry_cs:entry_ip inside its image, its stack inside its
    // memory (guests/bios_chain/guest_state.h build_guest_state).
    vmx::GuestState g;
    guests::bios_chain::build_guest_state(h, 0x30, 0x2000, g);
    require(g.cs.base == layout::GUEST_ADDR && g.ss.base == layout::GUEST_ADDR);
    require(g.rip < bytes && g.rsp <= memory);
    require(g.idtr_base == 0 && g.idtr_limit == 0x3FF);
    return 0;
  }
  // What prepare_guest writes: the tail and PDE 0 in the page directory.
  require(h.page_directory_offset % 4096 == 0);
  require(uint64_t{h.page_directory_offset} + 4096 <= memory);
  // The tables, the TSS, the entry points and stacks.
  require(uint64_t{h.gdt_offset} + h.gdt_limit < bytes);
  require(uint64_t{h.ldt_offset} + h.ldt_limit < bytes);
  require(uint64_t{h.idt_offset} + h.idt_limit < bytes);
  require(uint64_t{h.tss_offset} + 0x68 <= bytes);
  require(uint64_t{h.tss_offset} + h.tss_limit < memory);
  require(h.tss_selector != 0 && (h.tss_selector & 7) == 0 && h.tss_selector + 7u <= h.gdt_limit);
  require(h.ldt_selector != 0 && (h.ldt_selector & 7) == 0 && h.ldt_selector + 7u <= h.gdt_limit);
  require(h.entry_ip < bytes && h.gp_handler_offset < bytes);
  require(h.entry_sp <= memory && h.ring0_stack_top <= memory);
  require(h.vga_row < guests::guest_vga_rows);
  require((h.pde0 & 0x85) == 0x85 && (h.pde0 & 0xFFFFE000u) == 0);
  // The guest state built from it: every base and CR3 in the guest's memory.
  vmx::GuestState g;
  guests::v86_demo::build_guest_state(h, layout::GUEST_ADDR, 0x80000031, 0x10, g);
  require(in_guest(g.gdtr_base, g.gdtr_limit + 1ull, memory));
  require(in_guest(g.idtr_base, g.idtr_limit + 1ull, memory));
  require(in_guest(g.ldtr.base, g.ldtr.limit + 1ull, memory));
  require(in_guest(g.tr.base, g.tr.limit + 1ull, memory));
  require(in_guest(g.cr3, 4096, memory));
  require(g.cs.base == layout::GUEST_ADDR && g.rip < bytes && g.rsp <= memory);
  return 0;
}
