// A guest header like the assembled guest's, independent of the binary: an
// image of 0x1004 bytes, 0x2400 of memory. Shared by the tests of the
// guest-header check and of machine[].
#pragma once

#include "guest_header.h"
#include "layout.h"

inline layout::GuestHeader sample_guest_header() {
  layout::GuestHeader h{};
  h.magic = layout::GUEST_MAGIC;
  h.header_bytes = sizeof(h);
  h.vga_row = 24;
  h.image_bytes = 0x1004;
  h.memory_bytes = 0x2400;
  h.entry_cs = h.entry_ss = h.entry_ds = layout::GUEST_ADDR >> 4;
  h.entry_ip = 0x48;
  h.entry_sp = 0x2200;
  h.gdt_offset = 0x140;
  h.gdt_limit = 0x17;
  h.tss_selector = 0x08;
  h.ldt_selector = 0x10;
  h.tss_offset = 0x278;
  h.tss_limit = 0x108;
  h.ldt_offset = 0x158;
  h.ldt_limit = 0x1F;
  h.idt_offset = 0x178;
  h.idt_limit = 0xFF;
  h.page_directory_offset = 0x1000;
  h.gp_handler_offset = 0xBE;
  h.ring0_stack_top = 0x2400;
  h.pde0 = 0x87;  // present, writable, user, 4 MiB at 0
  return h;
}
