// The assembled guest (build/guest.bin from guest/guest.asm): its header,
// descriptors, TSS, IDT and page directory, checked byte by byte against the
// architecture's rules for a V86 task. The path comes from VMXBOOT_GUEST_BIN
// (set by the Makefile), default build/guest.bin.
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "guest_header.h"
#include "layout.h"
#include "guests/guest_header_check.h"
#include "guests/v86_demo/guest_state.h"

namespace {

std::string guest_path() {
  const char* path = std::getenv("VMXBOOT_GUEST_BIN");
  return path != nullptr ? path : "build/guest.bin";
}

class GuestBinary : public ::testing::Test {
 protected:
  void SetUp() override {
    std::ifstream file(guest_path(), std::ios::binary);
    ASSERT_TRUE(file.good()) << guest_path()
                             << " is missing: run `make` (it assembles guest/guest.asm) first";
    image.assign(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
    ASSERT_GE(image.size(), sizeof(layout::GuestHeader));
    std::memcpy(&header, image.data(), sizeof(header));
  }

  uint8_t u8(uint32_t offset) const { return image.at(offset); }
  uint16_t u16(uint32_t offset) const { return u8(offset) | u8(offset + 1) << 8; }
  uint32_t u32(uint32_t offset) const {
    return u16(offset) | static_cast<uint32_t>(u16(offset + 2)) << 16;
  }

  struct Descriptor {
    uint32_t base;
    uint32_t limit;  // in bytes, granularity applied
    uint8_t access;  // P, DPL, S, type
    uint8_t flags;   // G, D/B, L, AVL in bits 7..4
    bool present() const { return access & 0x80; }
    unsigned dpl() const { return (access >> 5) & 3; }
  };

  Descriptor descriptor(uint32_t offset) const {
    Descriptor d{};
    d.limit = u16(offset) | (u8(offset + 6) & 0x0F) << 16;
    d.base = u16(offset + 2) | u8(offset + 4) << 16 | static_cast<uint32_t>(u8(offset + 7)) << 24;
    d.access = u8(offset + 5);
    d.flags = u8(offset + 6) & 0xF0;
    if (d.flags & 0x80) d.limit = (d.limit << 12) | 0xFFF;
    return d;
  }

  Descriptor gdt_entry(uint16_t selector) const {
    EXPECT_EQ(selector & 4, 0) << "not a GDT selector";
    EXPECT_LE(selector + 7u, header.gdt_limit);
    return descriptor(header.gdt_offset + (selector & ~7u));
  }

  Descriptor ldt_entry(uint16_t selector) const {
    EXPECT_EQ(selector & 4, 4) << "not an LDT selector";
    EXPECT_LE((selector & ~7u) + 7u, header.ldt_limit);
    return descriptor(header.ldt_offset + (selector & ~7u));
  }

  uint32_t io_map_base() const { return u16(header.tss_offset + 0x66); }

  // Whether the TSS's I/O permission bitmap lets CPL 3 / V86 code use
  // `port` (one byte wide): the CPU reads two bytes at map + port / 8 and
  // treats anything beyond the TSS limit as denied.
  bool port_allowed(uint16_t port) const {
    uint32_t byte = io_map_base() + port / 8;
    if (byte + 1 > header.tss_limit) return false;
    return ((u8(header.tss_offset + byte) >> (port % 8)) & 1) == 0;
  }

  std::vector<uint8_t> image;
  layout::GuestHeader header{};
};

TEST_F(GuestBinary, HeaderDescribesTheImage) {
  EXPECT_EQ(header.magic, layout::GUEST_MAGIC);
  EXPECT_EQ(header.header_bytes, sizeof(layout::GuestHeader));
  EXPECT_EQ(header.image_bytes, image.size());
  EXPECT_LE(header.memory_bytes, layout::GUEST_MAX_BYTES);
  const guests::GuestHeaderProblem problem =
      guests::check_guest_header(header, static_cast<uint32_t>(image.size()));
  EXPECT_TRUE(problem.ok()) << problem.field << ": " << problem.problem;
  EXPECT_EQ(header.entry_cs, layout::GUEST_ADDR >> 4);
  EXPECT_LT(header.vga_row, 25);
}

TEST_F(GuestBinary, PageDirectoryMapsFourMegabytesForUserMode) {
  ASSERT_EQ(header.page_directory_offset % 4096, 0u);
  EXPECT_EQ((layout::GUEST_ADDR + header.page_directory_offset) % 4096, 0u);
  // Entry 0 comes from the header (the directory lies in the zeroed tail).
  const uint32_t pde0 = header.pde0;
  EXPECT_EQ(pde0 & 1, 1u) << "present";
  EXPECT_EQ(pde0 & 2, 2u) << "writable (VGA, COM1 string, stacks)";
  EXPECT_EQ(pde0 & 4, 4u) << "user: the V86 task runs at CPL 3";
  EXPECT_EQ(pde0 & 0x80, 0x80u) << "4 MiB page";
  EXPECT_EQ(pde0 & 0xFFC00000u, 0u) << "identity map from 0";
  // The whole directory lies in the zeroed tail, not in the file.
  EXPECT_GE(header.page_directory_offset, header.image_bytes);
  EXPECT_GE(header.memory_bytes, header.page_directory_offset + 4096);
  // The 4 MiB page covers the guest, VGA memory and both stacks.
  EXPECT_LT(layout::GUEST_ADDR + header.memory_bytes, 4u << 20);
}

TEST_F(GuestBinary, GdtHoldsABusy32BitTssAndTheLdt) {
  Descriptor null = descriptor(header.gdt_offset);
  EXPECT_EQ(null.access, 0);
  EXPECT_EQ(null.limit, 0u);
  Descriptor tss = gdt_entry(header.tss_selector);
  EXPECT_EQ(tss.access, 0x8B) << "present, DPL 0, busy 32-bit TSS";
  EXPECT_EQ(tss.base, layout::GUEST_ADDR + header.tss_offset);
  EXPECT_EQ(tss.limit, header.tss_limit);
  EXPECT_EQ(tss.flags & 0x80, 0) << "byte granularity";
  Descriptor ldt = gdt_entry(header.ldt_selector);
  EXPECT_EQ(ldt.access, 0x82) << "present LDT";
  EXPECT_EQ(ldt.base, layout::GUEST_ADDR + header.ldt_offset);
  EXPECT_EQ(ldt.limit, header.ldt_limit);
  EXPECT_EQ((header.gdt_limit + 1) % 8, 0u);
  EXPECT_EQ((header.ldt_limit + 1) % 8, 0u);
}

TEST_F(GuestBinary, LdtHasCodeDataVramAndFlat) {
  bool code = false, data = false, vram = false, flat = false;
  for (uint32_t off = 0; off + 7 <= header.ldt_limit; off += 8) {
    Descriptor d = descriptor(header.ldt_offset + off);
    ASSERT_TRUE(d.present());
    ASSERT_EQ(d.access & 0x10, 0x10) << "code or data";
    bool is_code = d.access & 0x08;
    if (is_code && d.base == layout::GUEST_ADDR && (d.flags & 0x40)) code = true;
    if (!is_code && d.base == layout::GUEST_ADDR && (d.access & 2)) data = true;
    if (!is_code && d.base == layout::VGA_TEXT_ADDR && d.limit >= 4000) vram = true;
    if (!is_code && d.base == 0 && d.limit == 0xFFFFFFFFu && (d.access & 2)) flat = true;
  }
  EXPECT_TRUE(code);
  EXPECT_TRUE(data);
  EXPECT_TRUE(vram);
  EXPECT_TRUE(flat);
}

TEST_F(GuestBinary, TssGivesARing0StackAndTheLdt) {
  uint32_t t = header.tss_offset;
  EXPECT_EQ(u32(t + 0x04), header.ring0_stack_top) << "ESP0";
  uint16_t ss0 = static_cast<uint16_t>(u32(t + 0x08));
  EXPECT_EQ(ss0 & 3, 0) << "SS0 RPL 0";
  Descriptor stack = ldt_entry(ss0);
  EXPECT_TRUE(stack.present());
  EXPECT_EQ(stack.dpl(), 0u);
  EXPECT_EQ(stack.access & 0x1A, 0x12) << "writable data";
  EXPECT_EQ(stack.flags & 0x40, 0x40) << "B: 32-bit stack pointer";
  EXPECT_EQ(stack.base, layout::GUEST_ADDR);
  EXPECT_LE(header.ring0_stack_top, stack.limit + 1);
  EXPECT_GT(header.ring0_stack_top, header.image_bytes) << "stack in the zeroed tail";
  EXPECT_EQ(u32(t + 0x1C), layout::GUEST_ADDR + header.page_directory_offset) << "CR3";
  EXPECT_EQ(u32(t + 0x60), header.ldt_selector);
}

TEST_F(GuestBinary, TssRedirectionMapAndIoBitmap) {
  uint32_t map = io_map_base();
  EXPECT_GE(map, 0x68u + 32) << "room for the redirection map after the 104-byte TSS";
  // Interrupt-redirection map: the 32 bytes right below the I/O map base.
  for (uint32_t i = 0; i < 32; ++i) {
    EXPECT_EQ(u8(header.tss_offset + map - 32 + i), 0xFF) << "redirection byte " << i;
  }
  // The I/O permission bitmap covers all 65536 ports and lies in the tail
  // the VMM zeroes: every port passes to the VMX I/O bitmaps (the VMM's
  // port policy decides), none raises #GP in the guest. The closing byte at
  // the TSS limit is in the tail too (guest_task sets it to 0xFF).
  EXPECT_EQ(header.tss_offset + map, header.image_bytes) << "the bitmap starts at the tail";
  EXPECT_EQ(header.tss_limit, map + 0x10000 / 8) << "65536 bits, then the closing byte";
  EXPECT_LT(header.tss_offset + header.tss_limit, header.memory_bytes);
  EXPECT_LE(header.tss_offset + header.tss_limit, header.page_directory_offset)
      << "bitmap and page directory do not overlap";
}

TEST_F(GuestBinary, IdtSendsGeneralProtectionToTheRing0Handler) {
  EXPECT_EQ(header.idt_limit, 32u * 8 - 1);
  for (uint32_t vector = 0; vector < 32; ++vector) {
    uint32_t gate = header.idt_offset + vector * 8;
    if (vector != 13) {
      EXPECT_EQ(u8(gate + 5) & 0x80, 0) << "vector " << vector << " present";
      continue;
    }
    EXPECT_EQ(u8(gate + 5), 0x8E) << "present, DPL 0, 32-bit interrupt gate";
    uint32_t offset = u16(gate) | static_cast<uint32_t>(u16(gate + 6)) << 16;
    EXPECT_EQ(offset, header.gp_handler_offset);
    uint16_t selector = u16(gate + 2);
    EXPECT_EQ(selector & 3, 0);
    Descriptor code = ldt_entry(selector);
    EXPECT_TRUE(code.present());
    EXPECT_EQ(code.access & 0x18, 0x18) << "code segment";
    EXPECT_EQ(code.access & 0x04, 0) << "non-conforming (V86 interrupts need DPL 0 code)";
    EXPECT_EQ(code.dpl(), 0u);
    EXPECT_EQ(code.flags & 0x40, 0x40) << "32-bit";
    EXPECT_EQ(code.base, layout::GUEST_ADDR);
  }
}

bool contains(const std::vector<uint8_t>& haystack, uint32_t from, uint32_t to,
              const std::vector<uint8_t>& needle) {
  for (uint32_t i = from; i + needle.size() <= to && i + needle.size() <= haystack.size(); ++i) {
    if (std::equal(needle.begin(), needle.end(), haystack.begin() + i)) return true;
  }
  return false;
}

TEST_F(GuestBinary, CodeDoesWhatTheDemoPromises) {
  const std::string hello = "Hello from Guest VM";
  EXPECT_TRUE(contains(image, 0, header.image_bytes, std::vector<uint8_t>(hello.begin(), hello.end())));
  // guest_task (up to the handler): rep outsb, out dx al, in al dx, hlt, smsw ax, pushf.
  uint32_t task = header.entry_ip, handler = header.gp_handler_offset;
  ASSERT_LT(task, handler);
  EXPECT_TRUE(contains(image, task, handler, {0xF3, 0x6E}));
  EXPECT_TRUE(contains(image, task, handler, {0xEE}));
  EXPECT_TRUE(contains(image, task, handler, {0xEC}));
  EXPECT_TRUE(contains(image, task, handler, {0xF4}));
  EXPECT_TRUE(contains(image, task, handler, {0x0F, 0x01, 0xE0}));
  EXPECT_TRUE(contains(image, task, handler, {0x9C}));
  // guest_isrGPF reports with VMCALL within its first 128 bytes.
  EXPECT_TRUE(contains(image, handler, handler + 128, {0x0F, 0x01, 0xC1}));
}

TEST_F(GuestBinary, StacksLieInTheZeroedTail) {
  EXPECT_GT(header.entry_sp, header.image_bytes);
  EXPECT_LE(header.entry_sp, header.memory_bytes);
  EXPECT_EQ(header.entry_sp % 2, 0);
  EXPECT_EQ(header.entry_ss, header.entry_cs);
  EXPECT_NE(header.entry_sp, header.ring0_stack_top) << "two stacks";
}

TEST_F(GuestBinary, GuestStateFromThisHeaderMatchesItsDescriptors) {
  vmx::GuestState g{};
  guests::v86_demo::build_guest_state(header, layout::GUEST_ADDR, 0x80000031, 0x2010, g);
  Descriptor tss = gdt_entry(header.tss_selector);
  Descriptor ldt = gdt_entry(header.ldt_selector);
  EXPECT_EQ(g.tr.base, tss.base);
  EXPECT_EQ(g.tr.limit, tss.limit);
  EXPECT_EQ(g.tr.access_rights, tss.access);
  EXPECT_EQ(g.ldtr.base, ldt.base);
  EXPECT_EQ(g.ldtr.limit, ldt.limit);
  EXPECT_EQ(g.ldtr.access_rights, ldt.access);
  EXPECT_EQ(g.cs.base + g.rip, layout::GUEST_ADDR + header.entry_ip);
  EXPECT_EQ(g.idtr_limit, header.idt_limit);
}

}  // namespace
