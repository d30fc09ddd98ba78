#include "guests/guest_header_check.h"

#include "layout.h"

namespace guests {

namespace {

constexpr GuestHeaderProblem usable{nullptr, nullptr};

// A table [offset, offset + limit] (limit: its last byte, as in a
// descriptor-table register) inside the first `bytes` bytes. 64-bit sums:
// neither field can wrap the test.
GuestHeaderProblem table_inside(uint32_t offset, uint64_t limit, uint64_t bytes,
                                const char* offset_field, const char* limit_field,
                                const char* problem) {
  if (offset >= bytes) return {offset_field, problem};
  if (uint64_t{offset} + limit >= bytes) return {limit_field, problem};
  return usable;
}

// The minimum size of a 32-bit TSS (SDM Vol. 3, 8.2.1): the CPU reads all of
// it on a switch to ring 0 (ESP0, SS0) and the I/O map base at 0x66.
constexpr uint64_t tss_min_bytes = 0x68;

// Without EPT the guest's paging is its isolation: PDE 0 must be its one
// 4 MiB page at physical 0 (below the VMM): present, user, PS (bits 0, 2,
// 7), and every address bit zero: bits 31:22, the PSE-36 bits 20:13 (which
// hold physical-address bits 39:32 of a 4 MiB page, SDM Vol. 3, 4.3, table
// 4-4) and bit 21 (reserved). So no frame above 4 GiB, none beyond
// MAXPHYADDR, whatever MAXPHYADDR is.
constexpr uint32_t pde_present_user_4mib = 0x85;
constexpr uint32_t pde_4mib_address_bits = 0xFFFFE000u;

}  // namespace

GuestHeaderProblem check_guest_header(const layout::GuestHeader& h, uint32_t loaded_bytes) {
  if (h.magic != layout::GUEST_MAGIC) return {"magic", "bad magic"};
  if (h.header_bytes != sizeof(layout::GuestHeader)) return {"header_bytes", "header size differs"};
  if (h.image_bytes != loaded_bytes) {
    return {"image_bytes", "image size differs from the loaded size"};
  }
  if (h.image_bytes < sizeof(layout::GuestHeader)) {
    return {"image_bytes", "image smaller than its header"};
  }
  if (h.memory_bytes < h.image_bytes || h.memory_bytes > layout::GUEST_MAX_BYTES) {
    return {"memory_bytes", "memory size out of range"};
  }
  const uint64_t image = h.image_bytes, memory = h.memory_bytes;
  if (h.kind != layout::GUEST_KIND_V86 && h.kind != layout::GUEST_KIND_CHAIN) {
    return {"kind", "unknown guest kind"};
  }
  // V86 (and real-mode) addresses are segment * 16 + a 16-bit offset.
  if (uint32_t{h.entry_cs} * 16 != layout::GUEST_ADDR) {
    return {"entry_cs", "entry segments do not match the load address"};
  }
  if (h.entry_ss != h.entry_cs) return {"entry_ss", "entry segments do not match the load address"};
  if (h.entry_ds != h.entry_cs) return {"entry_ds", "entry segments do not match the load address"};
  if (h.kind == layout::GUEST_KIND_CHAIN) {
    // A real-mode loader: no tables of its own, the machine's IVT. What is
    // left to check is that it starts inside itself.
    if (h.entry_ip >= image) return {"entry_ip", "entry point outside the image"};
    if (h.entry_sp > memory) return {"entry_sp", "stack outside the guest's memory"};
    return usable;
  }
  if (h.page_directory_offset % 4096 != 0) {
    return {"page_directory_offset", "page directory not 4 KiB aligned"};
  }
  if (uint64_t{h.page_directory_offset} + 4096 > memory) {
    return {"page_directory_offset", "page directory outside the guest's memory"};
  }
  if (auto p = table_inside(h.gdt_offset, h.gdt_limit, image, "gdt_offset", "gdt_limit",
                            "descriptor table outside the image");
      !p.ok()) {
    return p;
  }
  if (auto p = table_inside(h.ldt_offset, h.ldt_limit, image, "ldt_offset", "ldt_limit",
                            "descriptor table outside the image");
      !p.ok()) {
    return p;
  }
  if (auto p = table_inside(h.idt_offset, h.idt_limit, image, "idt_offset", "idt_limit",
                            "descriptor table outside the image");
      !p.ok()) {
    return p;
  }
  // The TSS's fixed part lies in the image; its I/O permission bitmap may
  // run on into the zeroed tail.
  if (uint64_t{h.tss_offset} + tss_min_bytes > image) {
    return {"tss_offset", "TSS outside the image"};
  }
  if (h.tss_limit < tss_min_bytes - 1) return {"tss_limit", "TSS limit below its 0x68 bytes"};
  if (uint64_t{h.tss_offset} + h.tss_limit >= memory) {
    return {"tss_limit", "TSS outside the guest's memory"};
  }
  if ((h.tss_selector & 7) != 0) {
    return {"tss_selector", "TSS/LDT selector not a GDT selector with RPL 0"};
  }
  if ((h.ldt_selector & 7) != 0) {
    return {"ldt_selector", "TSS/LDT selector not a GDT selector with RPL 0"};
  }
  if (h.tss_selector == 0 || uint32_t{h.tss_selector} + 7 > h.gdt_limit) {
    return {"tss_selector", "TSS/LDT selector beyond the GDT"};
  }
  if (h.ldt_selector == 0 || uint32_t{h.ldt_selector} + 7 > h.gdt_limit) {
    return {"ldt_selector", "TSS/LDT selector beyond the GDT"};
  }
  if (h.entry_ip >= image) return {"entry_ip", "entry point outside the image"};
  if (h.gp_handler_offset >= image) return {"gp_handler_offset", "entry point outside the image"};
  if (h.entry_sp > memory) return {"entry_sp", "stack outside the guest's memory"};
  if (h.ring0_stack_top > memory) return {"ring0_stack_top", "stack outside the guest's memory"};
  if (h.vga_row >= guest_vga_rows) return {"vga_row", "VGA row beyond the screen"};
  if ((h.pde0 & pde_present_user_4mib) != pde_present_user_4mib ||
      (h.pde0 & pde_4mib_address_bits) != 0) {
    return {"pde0", "PDE 0 is not a present user 4 MiB page at physical 0"};
  }
  return usable;
}

GuestHeaderProblem copy_guest_header(const volatile uint8_t* image, uint32_t loaded_bytes,
                                     layout::GuestHeader& copy) {
  if (loaded_bytes < sizeof(layout::GuestHeader)) {
    return {"image_bytes", "image smaller than its header"};
  }
  // Byte by byte through a volatile pointer: one read of each byte, which
  // the compiler may not repeat or defer past the check.
  auto* out = reinterpret_cast<uint8_t*>(&copy);
  for (size_t i = 0; i < sizeof(layout::GuestHeader); ++i) out[i] = image[i];
  return check_guest_header(copy, loaded_bytes);
}

}  // namespace guests
