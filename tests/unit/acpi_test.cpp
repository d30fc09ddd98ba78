// find_power_off over memory captured from real firmware (see
// tests/data/acpi/README.md), then over copies corrupted one step at a time.
#include <gtest/gtest.h>

#include <stdint.h>

#include <cstring>
#include <string>
#include <vector>

#include "acpi_capture.h"
#include "common/acpi.h"

namespace {

using acpi_capture::Capture;

// Captured values. Cross-checked outside these tests: a boot sector writing
// SLP_TYP 0 | SLP_EN to 0xB004 (Bochs) / 0x604 (QEMU) powers each one off.
struct Expected {
  const char* platform;
  uint16_t pm1a_cnt;
  uint8_t slp_typ;
  const char* s5_table;
};
constexpr Expected platforms[] = {
    {"bochs-rombios", 0xB004, 0, "DSDT"},  // Bochs 2.7, BIOS-bochs-latest
    {"bochs-seabios", 0xB004, 0, "SSDT"},  // Bochs 2.7, SeaBIOS: _S5_ in an SSDT
    {"qemu-seabios", 0x604, 0, "DSDT"},    // QEMU 7.2 pc machine, its SeaBIOS
};

class CapturedPlatform : public ::testing::TestWithParam<Expected> {};

TEST_P(CapturedPlatform, FindsPowerOff) {
  const Expected& expected = GetParam();
  Capture capture(expected.platform);
  acpi::PowerOff p = capture.find();
  ASSERT_TRUE(p.found) << p.error;
  EXPECT_EQ(p.error, nullptr);
  EXPECT_EQ(p.pm1a_cnt, expected.pm1a_cnt);
  EXPECT_EQ(p.pm1b_cnt, 0);
  EXPECT_EQ(p.slp_typ_a, expected.slp_typ);
  EXPECT_EQ(p.slp_typ_b, expected.slp_typ);
  EXPECT_STREQ(p.s5_table, expected.s5_table);
  // SMI_CMD/ACPI_ENABLE as all three FADTs give them (PIIX4 style).
  EXPECT_EQ(p.smi_cmd, 0xB2);
  EXPECT_EQ(p.acpi_enable, 0xF1);
}

TEST_P(CapturedPlatform, BadRsdpChecksum) {
  Capture capture(GetParam().platform);
  *capture.byte(capture.rsdp() + 10) ^= 0x20;  // an OEM ID letter
  acpi::PowerOff p = capture.find();
  EXPECT_FALSE(p.found);
  EXPECT_STREQ(p.error, "RSDP checksum");
}

TEST_P(CapturedPlatform, NoRsdp) {
  Capture capture(GetParam().platform);
  *capture.byte(capture.rsdp()) = 'X';
  acpi::PowerOff p = capture.find();
  EXPECT_FALSE(p.found);
  EXPECT_STREQ(p.error, "no RSDP");
}

TEST_P(CapturedPlatform, RsdpInEbdaIsFoundFirst) {
  Capture capture(GetParam().platform);
  uint64_t original = capture.rsdp();
  // The EBDA segment pointer at 0x40E says where the EBDA is.
  uint64_t ebda = static_cast<uint64_t>(*capture.byte(0x40E) | (*capture.byte(0x40F) << 8)) << 4;
  ASSERT_EQ(ebda, 0x9FC00u);
  for (int i = 0; i < 20; ++i) *capture.byte(ebda + 0x30 + i) = *capture.byte(original + i);
  *capture.byte(original) = 'X';  // only the EBDA copy remains
  acpi::PowerOff p = capture.find();
  ASSERT_TRUE(p.found) << p.error;
  EXPECT_EQ(p.pm1a_cnt, GetParam().pm1a_cnt);
}

TEST_P(CapturedPlatform, MisalignedRsdpIsIgnored) {
  Capture capture(GetParam().platform);
  uint64_t original = capture.rsdp();
  uint64_t ebda = 0x9FC00;
  for (int i = 0; i < 20; ++i) *capture.byte(ebda + 0x38 + i) = *capture.byte(original + i);
  *capture.byte(original) = 'X';
  EXPECT_STREQ(capture.find().error, "no RSDP");
}

TEST_P(CapturedPlatform, BadRsdtChecksum) {
  Capture capture(GetParam().platform);
  *capture.byte(capture.table("RSDT") + 12) ^= 1;
  EXPECT_STREQ(capture.find().error, "RSDT checksum");
}

TEST_P(CapturedPlatform, BadFadtChecksum) {
  Capture capture(GetParam().platform);
  *capture.byte(capture.table("FACP") + 64) ^= 0x10;  // PM1a_CNT_BLK itself
  acpi::PowerOff p = capture.find();
  EXPECT_FALSE(p.found);
  EXPECT_STREQ(p.error, "FADT checksum");
}

TEST_P(CapturedPlatform, NoFadt) {
  Capture capture(GetParam().platform);
  uint64_t fadt = capture.table("FACP");
  *capture.byte(fadt + 3) = 'Q';
  capture.fix_checksum(fadt);
  EXPECT_STREQ(capture.find().error, "no FADT");
}

TEST_P(CapturedPlatform, ShortFadt) {
  Capture capture(GetParam().platform);
  uint64_t fadt = capture.table("FACP");
  *capture.byte(fadt + 4) = 100;  // length below ACPI 1.0's 116
  capture.fix_checksum(fadt);
  EXPECT_STREQ(capture.find().error, "FADT length");
}

TEST_P(CapturedPlatform, NoPm1aControlBlock) {
  Capture capture(GetParam().platform);
  uint64_t fadt = capture.table("FACP");
  for (int i = 0; i < 4; ++i) *capture.byte(fadt + 64 + i) = 0;
  capture.fix_checksum(fadt);
  EXPECT_STREQ(capture.find().error, "no PM1a_CNT");
}

TEST_P(CapturedPlatform, BadDsdtChecksum) {
  Capture capture(GetParam().platform);
  *capture.byte(capture.table("DSDT") + 100) ^= 0xFF;
  acpi::PowerOff p = capture.find();
  EXPECT_FALSE(p.found);
  EXPECT_STREQ(p.error, "DSDT checksum");
}

TEST_P(CapturedPlatform, TruncatedDsdt) {
  Capture capture(GetParam().platform);
  uint64_t dsdt = capture.table("DSDT");
  // Split the table area in the middle of the DSDT: the first half ends
  // where memory "ends", so the DSDT no longer lies inside one region.
  Capture::Piece& area = capture.piece("tables");
  size_t cut = dsdt + capture.length_of(dsdt) / 2 - area.base;
  Capture::Piece tail{"tail", area.base + cut,
                      std::vector<uint8_t>(area.bytes.begin() + cut, area.bytes.end())};
  area.bytes.resize(cut);
  capture.pieces.push_back(tail);
  acpi::PowerOff p = capture.find();
  EXPECT_FALSE(p.found);
  EXPECT_STREQ(p.error, "DSDT truncated");
}

TEST_P(CapturedPlatform, DsdtLengthPastEndOfMemory) {
  Capture capture(GetParam().platform);
  uint64_t dsdt = capture.table("DSDT");
  uint32_t huge = 0x00100000;  // 1 MiB: runs off the captured table area
  std::memcpy(capture.byte(dsdt + 4), &huge, 4);
  EXPECT_STREQ(capture.find().error, "DSDT truncated");
}

TEST_P(CapturedPlatform, MissingS5) {
  Capture capture(GetParam().platform);
  auto names = capture.s5_names();
  ASSERT_FALSE(names.empty());
  for (auto name : names) {
    *capture.byte(name.at + 2) = '6';  // "_S6_"
    capture.fix_checksum(name.table);
  }
  acpi::PowerOff p = capture.find();
  EXPECT_FALSE(p.found);
  EXPECT_STREQ(p.error, "no _S5_ in DSDT or SSDT");
}

TEST_P(CapturedPlatform, S5NotAPackage) {
  Capture capture(GetParam().platform);
  auto names = capture.s5_names();
  ASSERT_FALSE(names.empty());
  for (auto name : names) {
    ASSERT_EQ(*capture.byte(name.at + 4), 0x12);  // PackageOp
    *capture.byte(name.at + 4) = 0x0A;            // now Name(_S5_, ByteConst)
    capture.fix_checksum(name.table);
  }
  EXPECT_STREQ(capture.find().error, "_S5_ package malformed");
}

TEST_P(CapturedPlatform, ChangedSleepTypeIsRead) {
  Capture capture(GetParam().platform);
  auto names = capture.s5_names();
  ASSERT_EQ(names.size(), 1u);
  uint64_t name = names[0].at;
  // Package(4){Zero, Zero, Zero, Zero}: make the first element OneOp
  // -> SLP_TYPa 1, SLP_TYPb 0.
  ASSERT_EQ(*capture.byte(name + 6), 4);     // NumElements
  ASSERT_EQ(*capture.byte(name + 7), 0x00);  // ZeroOp
  *capture.byte(name + 7) = 0x01;
  capture.fix_checksum(names[0].table);
  acpi::PowerOff p = capture.find();
  ASSERT_TRUE(p.found) << p.error;
  EXPECT_EQ(p.slp_typ_a, 1);
  EXPECT_EQ(p.slp_typ_b, 0);
}

INSTANTIATE_TEST_SUITE_P(Acpi, CapturedPlatform, ::testing::ValuesIn(platforms),
                         [](const auto& info) {
                           std::string name = info.param.platform;
                           for (char& c : name) {
                             if (c == '-') c = '_';
                           }
                           return name;
                         });

// --- ACPI 2.0+ paths, built on top of a capture -----------------------------

// Appends a region holding new tables at `base` and returns its address.
struct Builder {
  Capture& capture;
  uint64_t base;
  std::vector<uint8_t> bytes;

  uint64_t add(const std::vector<uint8_t>& table) {
    while (bytes.size() % 16) bytes.push_back(0);
    uint64_t at = base + bytes.size();
    bytes.insert(bytes.end(), table.begin(), table.end());
    return at;
  }
  void install() { capture.pieces.push_back({"built", base, bytes}); }
};

void put32(std::vector<uint8_t>& t, size_t at, uint32_t v) { std::memcpy(&t[at], &v, 4); }
void put64(std::vector<uint8_t>& t, size_t at, uint64_t v) { std::memcpy(&t[at], &v, 8); }

void seal(std::vector<uint8_t>& t, size_t checksum_at, size_t length) {
  t[checksum_at] = 0;
  uint8_t sum = 0;
  for (size_t i = 0; i < length; ++i) sum = static_cast<uint8_t>(sum + t[i]);
  t[checksum_at] = static_cast<uint8_t>(-sum);
}

std::vector<uint8_t> header(const char* signature, uint32_t length, uint8_t revision) {
  std::vector<uint8_t> t(length, 0);
  std::memcpy(&t[0], signature, 4);
  put32(t, 4, length);
  t[8] = revision;
  std::memcpy(&t[10], "VMXBT ", 6);
  return t;
}

std::vector<uint8_t> xsdt(const std::vector<uint64_t>& entries) {
  auto t = header("XSDT", static_cast<uint32_t>(36 + 8 * entries.size()), 1);
  for (size_t i = 0; i < entries.size(); ++i) put64(t, 36 + 8 * i, entries[i]);
  seal(t, 9, t.size());
  return t;
}

// A revision-2 RSDP (36 bytes) written at the start of the EBDA, where it
// is searched first; the BIOS copy is hidden.
void install_rsdp_v2(Capture& capture, uint32_t rsdt, uint64_t xsdt_address) {
  std::vector<uint8_t> r(36, 0);
  std::memcpy(&r[0], "RSD PTR ", 8);
  std::memcpy(&r[9], "VMXBT ", 6);
  r[15] = 2;
  put32(r, 16, rsdt);
  put32(r, 20, 36);
  put64(r, 24, xsdt_address);
  seal(r, 8, 20);
  seal(r, 32, 36);
  for (size_t i = 0; i < r.size(); ++i) *capture.byte(0x9FC00 + i) = r[i];
  *capture.byte(capture.rsdp()) = 'X';
}

// The capture's FADT grown to ACPI 2.0+ size (244 bytes) with X_ fields.
std::vector<uint8_t> fadt_v3(Capture& capture, uint64_t x_dsdt, uint8_t pm1a_space,
                             uint64_t x_pm1a) {
  uint64_t old = capture.table("FACP");
  auto t = header("FACP", 244, 3);
  for (size_t i = 10; i < 116; ++i) t[i] = *capture.byte(old + i);
  put64(t, 140, x_dsdt);
  t[172] = pm1a_space;  // Generic Address Structure: space, width, offset, access
  t[173] = 16;
  t[175] = 2;
  put64(t, 176, x_pm1a);
  seal(t, 9, t.size());
  return t;
}

constexpr uint64_t built_base = 0x3000000;

TEST(AcpiV2, XsdtIsUsedWhenRevisionTwo) {
  Capture capture("qemu-seabios");
  Builder b{capture, built_base, {}};
  uint64_t x = b.add(xsdt({capture.table("FACP")}));
  b.install();
  install_rsdp_v2(capture, 0, x);  // no RSDT at all: only the XSDT can work
  acpi::PowerOff p = capture.find();
  ASSERT_TRUE(p.found) << p.error;
  EXPECT_EQ(p.pm1a_cnt, 0x604);
}

TEST(AcpiV2, SsdtsAreListedInTheXsdtToo) {
  Capture capture("bochs-seabios");
  Builder b{capture, built_base, {}};
  std::vector<uint64_t> entries = {capture.table("FACP")};
  for (uint64_t s : capture.tables("SSDT")) entries.push_back(s);
  uint64_t x = b.add(xsdt(entries));
  b.install();
  install_rsdp_v2(capture, 0, x);
  acpi::PowerOff p = capture.find();
  ASSERT_TRUE(p.found) << p.error;
  EXPECT_STREQ(p.s5_table, "SSDT");
}

TEST(AcpiV2, BadXsdtFallsBackToRsdt) {
  Capture capture("qemu-seabios");
  Builder b{capture, built_base, {}};
  auto bad = xsdt({0x12345678});
  bad[9] ^= 1;
  uint64_t x = b.add(bad);
  b.install();
  install_rsdp_v2(capture, static_cast<uint32_t>(capture.table("RSDT")), x);
  acpi::PowerOff p = capture.find();
  ASSERT_TRUE(p.found) << p.error;
  EXPECT_EQ(p.pm1a_cnt, 0x604);
}

TEST(AcpiV2, BadXsdtWithoutRsdtIsReported) {
  Capture capture("qemu-seabios");
  Builder b{capture, built_base, {}};
  auto bad = xsdt({capture.table("FACP")});
  bad[9] ^= 1;
  uint64_t x = b.add(bad);
  b.install();
  install_rsdp_v2(capture, 0, x);
  EXPECT_STREQ(capture.find().error, "XSDT checksum");
}

TEST(AcpiV2, XsdtAbove4GiBUsesRsdt) {
  Capture capture("qemu-seabios");
  install_rsdp_v2(capture, static_cast<uint32_t>(capture.table("RSDT")), 0x100000000ull);
  acpi::PowerOff p = capture.find();
  ASSERT_TRUE(p.found) << p.error;
  EXPECT_EQ(p.pm1a_cnt, 0x604);
}

TEST(AcpiV2, BadExtendedChecksum) {
  Capture capture("qemu-seabios");
  install_rsdp_v2(capture, static_cast<uint32_t>(capture.table("RSDT")), 0);
  *capture.byte(0x9FC00 + 33) ^= 1;  // reserved byte: only the extended sum sees it
  EXPECT_STREQ(capture.find().error, "RSDP extended checksum");
}

TEST(AcpiV2, XPm1aControlBlockInIoSpaceIsPreferred) {
  Capture capture("bochs-rombios");
  Builder b{capture, built_base, {}};
  uint64_t fadt = b.add(fadt_v3(capture, capture.table("DSDT"), 1, 0x1234));
  uint64_t x = b.add(xsdt({fadt}));
  b.install();
  install_rsdp_v2(capture, 0, x);
  acpi::PowerOff p = capture.find();
  ASSERT_TRUE(p.found) << p.error;
  EXPECT_EQ(p.pm1a_cnt, 0x1234);
}

TEST(AcpiV2, XPm1aControlBlockInMemorySpaceFallsBackToPort) {
  Capture capture("bochs-rombios");
  Builder b{capture, built_base, {}};
  uint64_t fadt = b.add(fadt_v3(capture, capture.table("DSDT"), 0, 0xFED00004));
  uint64_t x = b.add(xsdt({fadt}));
  b.install();
  install_rsdp_v2(capture, 0, x);
  acpi::PowerOff p = capture.find();
  ASSERT_TRUE(p.found) << p.error;
  EXPECT_EQ(p.pm1a_cnt, 0xB004);
}

TEST(AcpiV2, XDsdtIsPreferredAndAStaleOneFallsBack) {
  Capture capture("bochs-rombios");
  uint64_t dsdt = capture.table("DSDT");
  uint32_t length = capture.length_of(dsdt);

  // A copy of the DSDT whose _S5_ says Package{5, 5}: reachable only via X_DSDT.
  std::vector<uint8_t> copy(length);
  for (uint32_t i = 0; i < length; ++i) copy[i] = *capture.byte(dsdt + i);
  bool patched = false;
  for (uint32_t i = 36; i + 9 <= length; ++i) {
    if (std::memcmp(&copy[i], "_S5_", 4) == 0 && copy[i + 4] == 0x12 && copy[i + 7] == 0 &&
        copy[i + 8] == 0) {
      copy[i + 7] = 0x0A;  // ByteConst 0x05 replaces ZeroOp ZeroOp
      copy[i + 8] = 0x05;
      patched = true;
    }
  }
  ASSERT_TRUE(patched);
  seal(copy, 9, copy.size());

  Builder b{capture, built_base, {}};
  uint64_t x_dsdt = b.add(copy);
  uint64_t fadt = b.add(fadt_v3(capture, x_dsdt, 1, 0));
  uint64_t x = b.add(xsdt({fadt}));
  b.install();
  install_rsdp_v2(capture, 0, x);
  acpi::PowerOff p = capture.find();
  ASSERT_TRUE(p.found) << p.error;
  EXPECT_EQ(p.slp_typ_a, 5);   // from the X_DSDT copy
  EXPECT_EQ(p.slp_typ_b, 0);   // what was the third element

  // Corrupt the X_DSDT: the 32-bit DSDT (SLP_TYP 0) is used instead.
  capture.pieces.back().bytes[x_dsdt - built_base + 50] ^= 0xFF;
  p = capture.find();
  ASSERT_TRUE(p.found) << p.error;
  EXPECT_EQ(p.slp_typ_a, 0);
}

// --- the AML matcher on hand-written byte strings ---------------------------

struct AmlResult {
  bool found;
  bool malformed;
  uint8_t a;
  uint8_t b;
};

AmlResult parse(std::vector<uint8_t> aml) {
  AmlResult r{false, false, 0xEE, 0xEE};
  r.found = acpi::find_s5_in_aml(aml.data(), aml.size(), &r.a, &r.b, &r.malformed);
  return r;
}

TEST(AcpiAml, ByteConstElements) {
  // Name(_S5_, Package(2){0x07, 0x05}), preceded by unrelated bytes.
  auto r = parse({0x10, 0x20, 0x08, '_', 'S', '5', '_', 0x12, 0x06, 0x02, 0x0A, 0x07, 0x0A, 0x05});
  ASSERT_TRUE(r.found);
  EXPECT_EQ(r.a, 7);
  EXPECT_EQ(r.b, 5);
}

TEST(AcpiAml, RootPrefixAndOneOp) {
  // Name(\_S5_, Package(4){One, Zero, Zero, Zero})
  auto r = parse({0x08, '\\', '_', 'S', '5', '_', 0x12, 0x06, 0x04, 0x01, 0x00, 0x00, 0x00});
  ASSERT_TRUE(r.found);
  EXPECT_EQ(r.a, 1);
  EXPECT_EQ(r.b, 0);
}

TEST(AcpiAml, TwoBytePkgLength) {
  // Two-byte PkgLength 0x4D 0x00: 0xD | 0x00 << 4 = 13 bytes, counted from
  // the PkgLength itself: 2 + NumElements 1 + 2 + 3 + 5 NoopOps.
  std::vector<uint8_t> aml = {0x08, '_', 'S', '5', '_', 0x12, 0x4D, 0x00, 0x02,
                              0x0A, 0x03, 0x0B, 0x04, 0x00};
  aml.resize(aml.size() + 5, 0xA3);  // NoopOps inside the package
  auto r = parse(aml);
  ASSERT_TRUE(r.found);
  EXPECT_EQ(r.a, 3);
  EXPECT_EQ(r.b, 4);  // WordConst
}

TEST(AcpiAml, SingleElementPacksBothValues) {
  auto r = parse({0x08, '_', 'S', '5', '_', 0x12, 0x05, 0x01, 0x0B, 0x07, 0x06});
  ASSERT_TRUE(r.found);
  EXPECT_EQ(r.a, 7);
  EXPECT_EQ(r.b, 6);
}

TEST(AcpiAml, ReferencesAreNotDefinitions) {
  // CondRefOf(\_S5_, Local0) and a string holding "_S5_": neither defines it.
  auto r = parse({0x5B, 0x12, '\\', '_', 'S', '5', '_', 0x60, 0x0D, '_', 'S', '5', '_', 0x00});
  EXPECT_FALSE(r.found);
  EXPECT_FALSE(r.malformed);
}

TEST(AcpiAml, LaterDefinitionAfterMalformedOne) {
  auto r = parse({0x08, '_', 'S', '5', '_', 0x0A, 0x05,  // Name(_S5_, 5): not a package
                  0x08, '_', 'S', '5', '_', 0x12, 0x04, 0x02, 0x01, 0x01});
  ASSERT_TRUE(r.found);
  EXPECT_EQ(r.a, 1);
  EXPECT_EQ(r.b, 1);
}

TEST(AcpiAml, MalformedPackages) {
  // Package runs past the end of the table.
  EXPECT_TRUE(parse({0x08, '_', 'S', '5', '_', 0x12, 0x20, 0x02, 0x00, 0x00}).malformed);
  // Element cut off by the package's own length.
  EXPECT_TRUE(parse({0x08, '_', 'S', '5', '_', 0x12, 0x03, 0x02, 0x00, 0x0A, 0x01}).malformed);
  // SLP_TYP wider than its 3 bits.
  EXPECT_TRUE(parse({0x08, '_', 'S', '5', '_', 0x12, 0x05, 0x02, 0x0A, 0x08, 0x00}).malformed);
  // Zero elements.
  EXPECT_TRUE(parse({0x08, '_', 'S', '5', '_', 0x12, 0x02, 0x00}).malformed);
  // A method call or other term as an element.
  EXPECT_TRUE(parse({0x08, '_', 'S', '5', '_', 0x12, 0x06, 0x02, 'A', 'B', 'C', 'D'}).malformed);
  // Name at the very end of the stream.
  auto end = parse({0x08, '_', 'S', '5', '_'});
  EXPECT_FALSE(end.found);
  EXPECT_TRUE(end.malformed);
}

// --- MemoryView ---------------------------------------------------------------

TEST(AcpiMemoryView, AtNeedsTheWholeRangeInOneRegion) {
  uint8_t low[16] = {}, high[16] = {};
  acpi::Region regions[] = {{0x1000, 16, low}, {0x1010, 16, high}};
  acpi::MemoryView mem{regions, 2};
  EXPECT_EQ(mem.at(0x1000, 16), low);
  EXPECT_EQ(mem.at(0x100F, 1), low + 15);
  EXPECT_EQ(mem.at(0x1010, 1), high);
  EXPECT_EQ(mem.at(0x100F, 2), nullptr);  // straddles the two regions
  EXPECT_EQ(mem.at(0xFFF, 1), nullptr);
  EXPECT_EQ(mem.at(0x1020, 1), nullptr);
  EXPECT_EQ(mem.at(0x1001, SIZE_MAX), nullptr);             // no overflow
  EXPECT_EQ(mem.at(0xFFFFFFFFFFFFFFFFull, 2), nullptr);
}

TEST(AcpiMemoryView, IdentityMappingCoversBdaTo4GiBWithoutNull) {
  const acpi::IdentityMemory identity = acpi::identity_mapped_memory();
  acpi::MemoryView mem = identity.view();
  // Only addresses are compared; nothing here is dereferenced.
  EXPECT_EQ(reinterpret_cast<uintptr_t>(mem.at(0x40E, 2)), 0x40Eu);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(mem.at(0xE0000, 0x20000)), 0xE0000u);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(mem.at(0xFFFFFFFF, 1)), 0xFFFFFFFFu);
  EXPECT_EQ(mem.at(0x3FF, 1), nullptr);
  EXPECT_EQ(mem.at(0xFFFFFFFF, 2), nullptr);
  EXPECT_EQ(mem.at(0x100000000ull, 1), nullptr);
}

}  // namespace
