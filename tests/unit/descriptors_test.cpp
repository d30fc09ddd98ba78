// Descriptor encoders against encodings known from the SDM and from GDTs
// every x86-64 kernel uses.
#include <gtest/gtest.h>

#include <stdint.h>

#include "common/descriptors.h"

namespace {

using namespace descriptors;

TEST(Descriptors, WellKnownFlatSegments) {
  EXPECT_EQ(code64_descriptor(), 0x00AF9A000000FFFFull);
  EXPECT_EQ(data_flat_descriptor(), 0x00CF92000000FFFFull);
  // User-mode (DPL 3) variants as in Linux's GDT.
  EXPECT_EQ(code64_descriptor(3), 0x00AFFA000000FFFFull);
  EXPECT_EQ(data_flat_descriptor(3), 0x00CFF2000000FFFFull);
}

// Through the general encoder: flat 32-bit code (the value stage2/modes.asm's GDT
// spells out), and 16-bit code and data with a 64 KiB limit.
TEST(Descriptors, ThirtyTwoAndSixteenBitSegments) {
  constexpr uint8_t code = access_present | access_code_or_data | access_executable | access_readable;
  constexpr uint8_t data = access_present | access_code_or_data | access_writable;
  EXPECT_EQ(segment_descriptor(0, 0xFFFFF, code, flag_granularity_4k | flag_size_32),
            0x00CF9A000000FFFFull);
  EXPECT_EQ(segment_descriptor(0, 0xFFFF, code, 0), 0x00009A000000FFFFull);
  EXPECT_EQ(segment_descriptor(0, 0xFFFF, data, 0), 0x000092000000FFFFull);
  EXPECT_EQ(segment_descriptor(0x8000, 0xFFFF, code, 0), 0x00009A008000FFFFull);
}

TEST(Descriptors, BaseAndLimitAreSplitAcrossTheDescriptor) {
  uint64_t d = segment_descriptor(0x12345678, 0xABCDE, 0x92, flag_granularity_4k);
  EXPECT_EQ(d & 0xFFFF, 0xBCDEu);                   // limit 15:0
  EXPECT_EQ((d >> 16) & 0xFFFFFF, 0x345678u);       // base 23:0
  EXPECT_EQ((d >> 40) & 0xFF, 0x92u);               // access
  EXPECT_EQ((d >> 48) & 0xF, 0xAu);                 // limit 19:16
  EXPECT_EQ((d >> 52) & 0xF, 0x8u);                 // flags
  EXPECT_EQ(d >> 56, 0x12u);                        // base 31:24
  EXPECT_EQ(d, 0x128A92345678BCDEull);
}

TEST(Descriptors, AccessByteParts) {
  EXPECT_EQ(access_dpl(0), 0x00);
  EXPECT_EQ(access_dpl(3), 0x60);
  EXPECT_EQ(access_present | access_code_or_data | access_executable | access_readable, 0x9A);
}

TEST(Descriptors, Tss64Descriptor) {
  // TSS at 0xFFFFFFFF81234567 with limit 0x67: type 9, present.
  Descriptor128 d = tss64_descriptor(0xFFFFFFFF81234567ull, 0x67);
  EXPECT_EQ(d.low, 0x8100892345670067ull);
  EXPECT_EQ(d.high, 0x00000000FFFFFFFFull);
  Descriptor128 low = tss64_descriptor(0x5000, 0x2067);
  EXPECT_EQ(low.low, 0x0000890050002067ull);
  EXPECT_EQ(low.high, 0u);
  EXPECT_EQ((tss64_descriptor(0x5000, 0x67, type_tss64_busy).low >> 40) & 0xFF, 0x8Bu);
}

TEST(Descriptors, Idt64InterruptGate) {
  Descriptor128 g = idt_gate64(0x08, 0x0000000000401234ull);
  EXPECT_EQ(g.low, 0x00408E0000081234ull);
  EXPECT_EQ(g.high, 0u);
  // Handler in the high half, IST 1, trap gate, DPL 3.
  Descriptor128 t = idt_gate64(0x10, 0xFFFFFFFF80ABCDEFull, 1, 3, type_trap_gate);
  EXPECT_EQ(t.low, 0x80ABEF010010CDEFull);
  EXPECT_EQ(t.high, 0x00000000FFFFFFFFull);
}

TEST(Descriptors, Idt64GateFieldPositions) {
  Descriptor128 g = idt_gate64(0x28, 0x1122334455667788ull, 7, 0);
  EXPECT_EQ(g.low & 0xFFFF, 0x7788u);           // offset 15:0
  EXPECT_EQ((g.low >> 16) & 0xFFFF, 0x28u);     // selector
  EXPECT_EQ((g.low >> 32) & 0x7, 7u);           // IST
  EXPECT_EQ((g.low >> 35) & 0x1F, 0u);          // reserved
  EXPECT_EQ((g.low >> 40) & 0xF, 0xEu);         // interrupt gate
  EXPECT_EQ((g.low >> 44) & 1, 0u);             // S = 0
  EXPECT_EQ((g.low >> 47) & 1, 1u);             // present
  EXPECT_EQ(g.low >> 48, 0x5566u);              // offset 31:16
  EXPECT_EQ(g.high, 0x11223344u);               // offset 63:32
}

TEST(Descriptors, TableRegisterLayouts) {
  TableRegister64 r64{0x27, 0x1000};
  const auto* bytes = reinterpret_cast<const uint8_t*>(&r64);
  EXPECT_EQ(bytes[0], 0x27);
  EXPECT_EQ(bytes[2], 0x00);
  EXPECT_EQ(bytes[3], 0x10);
  EXPECT_EQ(sizeof(TableRegister64), 10u);
}

// Usable in constant expressions, as GDTs built at compile time need.
constexpr uint64_t gdt[] = {0, code64_descriptor(), data_flat_descriptor()};
static_assert(gdt[1] == 0x00AF9A000000FFFFull);

}  // namespace
