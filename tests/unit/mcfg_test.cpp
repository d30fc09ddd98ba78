// The MCFG table (common/mcfg.h) from QEMU q35's firmware as captured
// (tests/data/acpi/qemu-q35-iommu), from the Bochs captures (which have
// none), and constructed: every check on a window, and the ECAM address
// decoding over the windows it gives (devices/pci_address.h).
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "acpi_capture.h"
#include "common/mcfg.h"
#include "devices/pci_address.h"

namespace {

using acpi_capture::Capture;

TEST(Mcfg, Q35sOneWindowIsFound) {
  Capture q35("qemu-q35-iommu");
  const acpi::Mcfg m = acpi::find_mcfg(q35.view());
  ASSERT_EQ(m.error, nullptr) << m.error;
  ASSERT_EQ(m.count, 1u);
  EXPECT_EQ(m.windows[0].base, 0xB0000000u);
  EXPECT_EQ(m.windows[0].segment, 0);
  EXPECT_EQ(m.windows[0].first_bus, 0);
  EXPECT_EQ(m.windows[0].last_bus, 255);
}

TEST(Mcfg, TheI440fxPlatformsHaveNone) {
  for (const char* platform : {"bochs-rombios", "bochs-seabios", "qemu-seabios"}) {
    Capture c(platform);
    const acpi::Mcfg m = acpi::find_mcfg(c.view());
    EXPECT_STREQ(m.error, "no MCFG") << platform;
    EXPECT_EQ(m.count, 0u) << platform;
  }
}

TEST(Mcfg, ACorruptedTableIsNotRead) {
  Capture q35("qemu-q35-iommu");
  const uint64_t mcfg = q35.table("MCFG");
  ++*q35.byte(mcfg + 44);  // the first window's base, checksum not fixed
  EXPECT_STREQ(acpi::find_mcfg(q35.view()).error, "table checksum");
}

// A table of `windows` (base, segment, first bus, last bus), with room for
// a trailing `extra` bytes.
std::vector<uint8_t> table(const std::vector<acpi::McfgWindow>& windows, unsigned extra = 0) {
  std::vector<uint8_t> t(44 + 16 * windows.size() + extra, 0);
  for (size_t i = 0; i < windows.size(); ++i) {
    uint8_t* e = &t[44 + 16 * i];
    for (unsigned b = 0; b < 8; ++b) e[b] = static_cast<uint8_t>(windows[i].base >> (8 * b));
    e[8] = static_cast<uint8_t>(windows[i].segment);
    e[9] = static_cast<uint8_t>(windows[i].segment >> 8);
    e[10] = windows[i].first_bus;
    e[11] = windows[i].last_bus;
  }
  return t;
}

acpi::Mcfg parse(const std::vector<uint8_t>& t) {
  return acpi::parse_mcfg(t.data(), static_cast<uint32_t>(t.size()));
}

TEST(Mcfg, EveryWindowIsKept) {
  const auto t = table({{0xE0000000, 0, 0, 63}, {0x3F0000000ull, 1, 16, 31}});
  const acpi::Mcfg m = parse(t);
  ASSERT_EQ(m.error, nullptr);
  ASSERT_EQ(m.count, 2u);
  EXPECT_EQ(m.windows[1].base, 0x3F0000000ull);
  EXPECT_EQ(m.windows[1].segment, 1);
  EXPECT_EQ(m.windows[1].first_bus, 16);
  EXPECT_EQ(m.windows[1].last_bus, 31);
  EXPECT_EQ(parse(table({})).count, 0u) << "a table without windows";
}

TEST(Mcfg, ATableTheVmmCannotDescribeWholeIsAnError) {
  EXPECT_STREQ(parse(table({{0xE0000000, 0, 0, 0}}, 8)).error, "MCFG length");
  EXPECT_STREQ(parse(std::vector<uint8_t>(43)).error, "MCFG length");
  std::vector<acpi::McfgWindow> nine(9, {0xE0000000, 0, 0, 0});
  EXPECT_STREQ(parse(table(nine)).error, "MCFG lists more windows than the VMM keeps");
  nine.pop_back();
  EXPECT_EQ(parse(table(nine)).error, nullptr);
  EXPECT_STREQ(parse(table({{0xE0000000, 0, 0, 0}, {0xF0000000, 0, 9, 8}})).error,
               "MCFG window: last bus below the first");
  EXPECT_STREQ(parse(table({{0xE0080000, 0, 0, 0}})).error, "MCFG window: base not 1 MiB aligned");
  EXPECT_EQ(parse(table({{0xE0000000, 0, 0, 0}, {0xF0000000, 0, 9, 8}})).count, 0u)
      << "no window of a bad table";
}

TEST(Mcfg, AWindowEndsWithin64Bits) {
  // 256 buses are 256 MiB: a base 256 MiB below 2^64 would end at 2^64
  // exactly, which no 64-bit end address holds.
  const uint64_t top = ~uint64_t{0} - (256ull << 20) + 1;
  EXPECT_STREQ(parse(table({{top, 0, 0, 255}})).error, "MCFG window: ends past 64 bits");
  EXPECT_EQ(parse(table({{top - (1u << 20), 0, 0, 255}})).error, nullptr);
  EXPECT_EQ(parse(table({{top, 0, 0, 254}})).error, nullptr) << "one bus less fits";
}

TEST(Mcfg, EcamAddressesDecodeWithinTheirWindow) {
  using devices::pci::ecam_target;
  const acpi::McfgWindow w{0xB0000000, 2, 1, 3};  // buses 1-3; the base is bus 0's
  const uint64_t bus1 = 0xB0000000 + (1u << 20);
  const auto t = ecam_target(w, bus1 + (2u << 15) + (3u << 12) + 0x32, 2);
  ASSERT_TRUE(t.valid);
  EXPECT_EQ(t.segment, 2);
  EXPECT_EQ(t.function, (devices::pci::Function{1, 2, 3}));
  EXPECT_EQ(t.offset, 0x32);
  EXPECT_EQ(t.bytes, 2);
  EXPECT_EQ(devices::pci::ecam_address(w, t.function, t.offset),
            bus1 + (2u << 15) + (3u << 12) + 0x32) << "and back";
  EXPECT_EQ(devices::pci::ecam_first(w), bus1);
  EXPECT_EQ(devices::pci::ecam_end(w), 0xB0000000 + (4u << 20));
  EXPECT_TRUE(ecam_target(w, bus1 + 0x104, 4).valid) << "the extended space";
  EXPECT_EQ(ecam_target(w, bus1 + 0x104, 4).offset, 0x104);
  EXPECT_FALSE(ecam_target(w, 0xB0000000, 4).valid) << "bus 0 is below the window";
  EXPECT_FALSE(ecam_target(w, 0xB0000000 + (4u << 20), 4).valid) << "bus 4 past it";
  EXPECT_TRUE(ecam_target(w, 0xB0000000 + (4u << 20) - 4, 4).valid) << "its last dword";
  EXPECT_FALSE(ecam_target(w, bus1 + 0x33, 2).valid) << "a word across a dword";
  EXPECT_FALSE(ecam_target(w, bus1 + 0x31, 4).valid);
  EXPECT_FALSE(ecam_target(w, bus1 + 0x30, 3).valid) << "no 3-byte access";
}

}  // namespace
