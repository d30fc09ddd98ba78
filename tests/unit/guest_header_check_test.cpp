// The VMM's check of the guest header (vmm/guests/guest_header_check.h): every
// field at its limits, values that wrap a 32-bit sum, the copy, and the
// damaged headers the fault-injection cases put on the disk.
#include <gtest/gtest.h>

#include "tests/unit/sample_guest_header.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "guest_header.h"
#include "image_builder.h"
#include "layout.h"
#include "guests/guest_header_check.h"

namespace {

using layout::GuestHeader;

GuestHeader sample() { return sample_guest_header(); }

struct FieldCase {
  const char* what;
  void (*change)(GuestHeader&);
  const char* field;  // nullptr: still accepted
};

// Each field at the last value accepted and the first refused; and the
// values that wrapped the 32-bit sums of the old check.
const FieldCase cases[] = {
    {"magic off by one", [](GuestHeader& h) { h.magic ^= 1; }, "magic"},
    {"header_bytes + 8", [](GuestHeader& h) { h.header_bytes += 8; }, "header_bytes"},
    {"header_bytes - 8", [](GuestHeader& h) { h.header_bytes -= 8; }, "header_bytes"},
    {"image smaller than the header",
     [](GuestHeader& h) { h.image_bytes = sizeof(GuestHeader) - 1; }, "image_bytes"},
    {"memory = image (page directory then outside)",
     [](GuestHeader& h) { h.memory_bytes = h.image_bytes; }, "page_directory_offset"},
    {"memory below the image", [](GuestHeader& h) { h.memory_bytes = h.image_bytes - 1; },
     "memory_bytes"},
    {"memory at the maximum", [](GuestHeader& h) { h.memory_bytes = layout::GUEST_MAX_BYTES; },
     nullptr},
    {"memory beyond the maximum",
     [](GuestHeader& h) { h.memory_bytes = layout::GUEST_MAX_BYTES + 1; }, "memory_bytes"},
    {"memory all ones", [](GuestHeader& h) { h.memory_bytes = 0xFFFFFFFF; }, "memory_bytes"},
    {"entry_cs elsewhere", [](GuestHeader& h) { h.entry_cs += 1; }, "entry_cs"},
    {"entry_ss elsewhere", [](GuestHeader& h) { h.entry_ss += 1; }, "entry_ss"},
    {"entry_ds elsewhere", [](GuestHeader& h) { h.entry_ds -= 1; }, "entry_ds"},
    {"page directory last page",
     [](GuestHeader& h) { h.memory_bytes = h.entry_sp = h.ring0_stack_top = 0x2000; }, nullptr},
    {"page directory one byte short",
     [](GuestHeader& h) { h.memory_bytes = h.entry_sp = h.ring0_stack_top = 0x1FFF; },
     "page_directory_offset"},
    {"page directory misaligned", [](GuestHeader& h) { h.page_directory_offset = 0x1800; },
     "page_directory_offset"},
    {"page directory 0xFFFFF000 (+ 4096 wraps to 0)",
     [](GuestHeader& h) { h.page_directory_offset = 0xFFFFF000u; }, "page_directory_offset"},
    {"page directory 0xFFFFE000", [](GuestHeader& h) { h.page_directory_offset = 0xFFFFE000u; },
     "page_directory_offset"},
    {"GDT ends at the image's last byte",
     [](GuestHeader& h) { h.gdt_offset = h.image_bytes - 1 - h.gdt_limit; }, nullptr},
    {"GDT one byte beyond", [](GuestHeader& h) { h.gdt_offset = h.image_bytes - h.gdt_limit; },
     "gdt_limit"},
    {"GDT offset beyond", [](GuestHeader& h) { h.gdt_offset = h.image_bytes; }, "gdt_offset"},
    {"GDT offset wraps", [](GuestHeader& h) { h.gdt_offset = 0xFFFFFFF0u; }, "gdt_offset"},
    {"LDT limit all ones (wraps to offset - 1)",
     [](GuestHeader& h) { h.ldt_limit = 0xFFFFFFFFu; }, "ldt_limit"},
    {"LDT offset wraps", [](GuestHeader& h) { h.ldt_offset = 0xFFFFFFF0u; }, "ldt_offset"},
    {"IDT 0xFFFFFF00 + 0x1FF wraps to 0xFF",
     [](GuestHeader& h) { h.idt_offset = 0xFFFFFF00u; h.idt_limit = 0x1FF; }, "idt_offset"},
    {"IDT limit all ones", [](GuestHeader& h) { h.idt_limit = 0xFFFFFFFFu; }, "idt_limit"},
    {"IDT ends at the image's last byte",
     [](GuestHeader& h) { h.idt_limit = h.image_bytes - 1 - h.idt_offset; }, nullptr},
    {"TSS fixed part ends at the image's end",
     [](GuestHeader& h) { h.tss_offset = h.image_bytes - 0x68; }, nullptr},
    {"TSS fixed part one byte beyond",
     [](GuestHeader& h) { h.tss_offset = h.image_bytes - 0x67; }, "tss_offset"},
    {"TSS offset 0xFFFFFFF0 (+ 0x68 wraps)", [](GuestHeader& h) { h.tss_offset = 0xFFFFFFF0u; },
     "tss_offset"},
    {"TSS limit to the last byte of memory",
     [](GuestHeader& h) { h.tss_limit = h.memory_bytes - 1 - h.tss_offset; }, nullptr},
    {"TSS limit one beyond", [](GuestHeader& h) { h.tss_limit = h.memory_bytes - h.tss_offset; },
     "tss_limit"},
    {"TSS limit all ones (wraps to offset - 1)",
     [](GuestHeader& h) { h.tss_limit = 0xFFFFFFFFu; }, "tss_limit"},
    {"TSS limit below 0x67", [](GuestHeader& h) { h.tss_limit = 0x66; }, "tss_limit"},
    {"TSS selector with TI", [](GuestHeader& h) { h.tss_selector = 0x0C; }, "tss_selector"},
    {"TSS selector with RPL", [](GuestHeader& h) { h.tss_selector = 0x09; }, "tss_selector"},
    {"TSS selector null", [](GuestHeader& h) { h.tss_selector = 0; }, "tss_selector"},
    {"TSS selector beyond the GDT", [](GuestHeader& h) { h.tss_selector = 0x18; },
     "tss_selector"},
    {"TSS selector all ones", [](GuestHeader& h) { h.tss_selector = 0xFFF8; }, "tss_selector"},
    {"LDT selector the GDT's last", [](GuestHeader& h) { h.ldt_selector = 0x10; }, nullptr},
    {"LDT selector beyond the GDT", [](GuestHeader& h) { h.ldt_selector = 0x18; },
     "ldt_selector"},
    {"LDT selector with RPL", [](GuestHeader& h) { h.ldt_selector = 0x13; }, "ldt_selector"},
    {"entry IP the image's last byte", [](GuestHeader& h) { h.entry_ip = 0x1003; }, nullptr},
    {"entry IP at the image's end", [](GuestHeader& h) { h.entry_ip = 0x1004; }, "entry_ip"},
    {"#GP handler at the image's end", [](GuestHeader& h) { h.gp_handler_offset = 0x1004; },
     "gp_handler_offset"},
    {"#GP handler all ones", [](GuestHeader& h) { h.gp_handler_offset = 0xFFFFFFFFu; },
     "gp_handler_offset"},
    {"stack at the memory's end", [](GuestHeader& h) { h.entry_sp = 0x2400; }, nullptr},
    {"stack beyond", [](GuestHeader& h) { h.entry_sp = 0x2401; }, "entry_sp"},
    {"ring-0 stack beyond", [](GuestHeader& h) { h.ring0_stack_top = 0x2401; },
     "ring0_stack_top"},
    {"ring-0 stack all ones", [](GuestHeader& h) { h.ring0_stack_top = 0xFFFFFFFFu; },
     "ring0_stack_top"},
    {"VGA row 0", [](GuestHeader& h) { h.vga_row = 0; }, nullptr},
    {"VGA row 25", [](GuestHeader& h) { h.vga_row = 25; }, "vga_row"},
    {"VGA row all ones", [](GuestHeader& h) { h.vga_row = 0xFFFF; }, "vga_row"},
    {"VGA row in the VMM's image",
     [](GuestHeader& h) { h.vga_row = layout::GUEST_REWRITTEN_VGA_ROW; }, "vga_row"},
    {"PDE 0 read-only (the guest's business)", [](GuestHeader& h) { h.pde0 = 0x85; }, nullptr},
    {"PDE 0 with the accessed and dirty bits", [](GuestHeader& h) { h.pde0 = 0xE7; }, nullptr},
    {"PDE 0 at 4 MiB", [](GuestHeader& h) { h.pde0 = 0x00400087; }, "pde0"},
    {"PDE 0 a page table", [](GuestHeader& h) { h.pde0 = 0x00012007; }, "pde0"},
    {"PDE 0 supervisor", [](GuestHeader& h) { h.pde0 = 0x83; }, "pde0"},
    {"PDE 0 not present", [](GuestHeader& h) { h.pde0 = 0x86; }, "pde0"},
    {"PDE 0 PSE-36 bit 13 (4 GiB)", [](GuestHeader& h) { h.pde0 = 0x2087; }, "pde0"},
    {"PDE 0 PSE-36 bits 20:13 (255 x 4 GiB)", [](GuestHeader& h) { h.pde0 = 0x1FE087; },
     "pde0"},
    {"PDE 0 reserved bit 21", [](GuestHeader& h) { h.pde0 = 0x200087; }, "pde0"},
    {"PDE 0 PAT bit 12 (no address bit)", [](GuestHeader& h) { h.pde0 = 0x1087; }, nullptr},
    {"a guest kind the VMM does not know", [](GuestHeader& h) { h.kind = 2; }, "kind"},
    {"the chain kind without the V86 tables is fine",
     [](GuestHeader& h) {
       h.kind = layout::GUEST_KIND_CHAIN;
       h.tss_offset = h.gdt_offset = 0xFFFFFFF0u;
       h.pde0 = 0;
     },
     nullptr},
    {"a chain entry point outside the image",
     [](GuestHeader& h) {
       h.kind = layout::GUEST_KIND_CHAIN;
       h.entry_ip = 0xFFFF;
     },
     "entry_ip"},
    {"benchmark and injection fields are the VMM's and the guest's",
     [](GuestHeader& h) {
       h.bench_ticks = h.bad_port_ins = 0xFFFFFFFFu;
       h.bench_outs = h.inject = 0xFFFF;
       h.limit_seconds = 0xFFFFFFFFu;
     },
     nullptr},
};

TEST(GuestHeaderCheck, TheSampleIsAccepted) {
  const GuestHeader h = sample();
  EXPECT_TRUE(guests::check_guest_header(h, h.image_bytes).ok());
}

TEST(GuestHeaderCheck, EveryFieldAtItsLimitsAndWrappingValues) {
  for (const FieldCase& c : cases) {
    GuestHeader h = sample();
    c.change(h);
    const guests::GuestHeaderProblem p = guests::check_guest_header(h, h.image_bytes);
    if (c.field == nullptr) {
      EXPECT_TRUE(p.ok()) << c.what << ": refused as " << p.field << ": " << p.problem;
    } else {
      ASSERT_FALSE(p.ok()) << c.what << ": accepted";
      EXPECT_STREQ(p.field, c.field) << c.what << ": " << p.problem;
      EXPECT_NE(p.problem, nullptr);
    }
  }
}

TEST(GuestHeaderCheck, TheLoadedSizeMustBeTheImageSize) {
  const GuestHeader h = sample();
  EXPECT_STREQ(guests::check_guest_header(h, h.image_bytes + 1).field, "image_bytes");
  EXPECT_STREQ(guests::check_guest_header(h, h.image_bytes - 1).field, "image_bytes");
  EXPECT_STREQ(guests::check_guest_header(h, 0).field, "image_bytes");
}

TEST(GuestHeaderCheck, ProblemsAreNamedInWords) {
  GuestHeader h = sample();
  h.page_directory_offset = 0xFFFFF000u;
  EXPECT_STREQ(guests::check_guest_header(h, h.image_bytes).problem,
               "page directory outside the guest's memory");
  h = sample();
  h.vga_row = 25;
  EXPECT_STREQ(guests::check_guest_header(h, h.image_bytes).problem, "VGA row beyond the screen");
}

// What the VMM checks is what it keeps: later writes to the source (the
// guest rewriting its header) do not reach the copy.
TEST(GuestHeaderCopy, CopiesOnceThenChecksTheCopy) {
  GuestHeader source = sample();
  std::vector<uint8_t> image(source.image_bytes, 0xCC);
  std::memcpy(image.data(), &source, sizeof source);
  GuestHeader copy{};
  ASSERT_TRUE(guests::copy_guest_header(image.data(), source.image_bytes, copy).ok());
  EXPECT_EQ(std::memcmp(&copy, &source, sizeof copy), 0);
  image[offsetof(GuestHeader, vga_row)] = 0xFF;
  image[offsetof(GuestHeader, vga_row) + 1] = 0xFF;
  EXPECT_EQ(copy.vga_row, 24);
  EXPECT_TRUE(guests::check_guest_header(copy, source.image_bytes).ok());
}

TEST(GuestHeaderCopy, AnImageShorterThanAHeaderIsNotRead) {
  // Only `loaded` bytes exist; the copy must not read past them (the fuzz
  // target runs this under AddressSanitizer).
  for (uint32_t loaded : {0u, 1u, static_cast<uint32_t>(sizeof(GuestHeader) - 1)}) {
    std::vector<uint8_t> image(loaded, 0);
    GuestHeader copy{};
    const guests::GuestHeaderProblem p = guests::copy_guest_header(image.data(), loaded, copy);
    EXPECT_STREQ(p.field, "image_bytes") << loaded;
  }
}

TEST(GuestHeaderCopy, TheCopyIsCheckedAgainstTheLoadedSize) {
  GuestHeader source = sample();
  source.page_directory_offset = 0xFFFFF000u;
  std::vector<uint8_t> image(source.image_bytes, 0);
  std::memcpy(image.data(), &source, sizeof source);
  GuestHeader copy{};
  EXPECT_STREQ(guests::copy_guest_header(image.data(), source.image_bytes, copy).field,
               "page_directory_offset");
}

// The injection cases that damage the header on the disk (image/
// guest_header.h): mkimage writes the value before it takes the CRC, and
// the VMM names the field.
TEST(GuestHeaderInjections, MkimageDamagesTheFieldAndTheVmmRefusesIt) {
  ASSERT_EQ(std::size(layout::GUEST_HEADER_INJECTIONS), 3u);
  for (const layout::GuestHeaderInjection& damage : layout::GUEST_HEADER_INJECTIONS) {
    ASSERT_NE(layout::inject_name(damage.inject), nullptr);
    EXPECT_STREQ(layout::inject_result(damage.inject), "guest-invalid");
    const GuestHeader intact = sample();
    std::vector<uint8_t> guest(intact.image_bytes, 0x90);
    std::memcpy(guest.data(), &intact, sizeof intact);
    image::ImageInputs inputs;
    std::vector<uint8_t> stage1(layout::SECTOR_SIZE, 0x90);
    std::memset(stage1.data() + layout::MBR_LOAD_SECTORS_OFFSET, 0,
                510 - layout::MBR_LOAD_SECTORS_OFFSET);
    stage1[510] = 0x55;
    stage1[511] = 0xAA;
    std::vector<uint8_t> stage2(3 * layout::SECTOR_SIZE, 0x90);
    std::memcpy(stage2.data() + 4, "VMS2", 4);
    inputs.stage1 = {"stage1", stage1};
    inputs.payloads[layout::PAYLOAD_STAGE2] = {"stage2", stage2};
    // The injection build's VMM: it carries the marker mkimage looks for.
    std::vector<uint8_t> vmm(4096, 0x90);
    const std::string marker = VMXBOOT_INJECTION_VMM_MARKER;
    std::copy(marker.begin(), marker.end(), vmm.begin());
    inputs.payloads[layout::PAYLOAD_VMM] = {"vmm", vmm};
    inputs.payloads[layout::PAYLOAD_GUEST] = {"guest", guest};
    inputs.inject = damage.inject;
    const image::BuildResult built = image::build_image(inputs);
    ASSERT_TRUE(built.ok()) << built.error;
    const layout::PayloadEntry& entry = built.image.header.payloads[layout::PAYLOAD_GUEST];
    const uint8_t* on_disk = built.image.bytes.data() + size_t{entry.first_lba} * 512;
    GuestHeader damaged{};
    std::memcpy(&damaged, on_disk, sizeof damaged);
    uint32_t value;
    std::memcpy(&value, on_disk + damage.offset, 4);
    EXPECT_EQ(value, damage.value) << damage.field;
    // Only that field differs.
    GuestHeader expected = intact;
    std::memcpy(reinterpret_cast<uint8_t*>(&expected) + damage.offset, &damage.value, 4);
    EXPECT_EQ(std::memcmp(&damaged, &expected, sizeof damaged), 0) << damage.field;
    EXPECT_STREQ(guests::check_guest_header(damaged, entry.size).field, damage.field);
  }
}

}  // namespace
