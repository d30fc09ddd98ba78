// Finding a table by its signature (acpi::find_table) and taking one out
// of the RSDT and the XSDT (acpi::hide_tables, common/acpi_hide.h): over
// tables built here (an ACPI 2.0 RSDP with both root tables) and over
// QEMU q35's with intel-iommu, captured (tests/data/acpi/qemu-q35-iommu).
#include <gtest/gtest.h>

#include <stdint.h>

#include <cstring>
#include <string>
#include <vector>

#include "acpi_capture.h"
#include "common/acpi.h"
#include "common/acpi_hide.h"

namespace {

using acpi_capture::Capture;

// Firmware memory built by the test: the BIOS area 0xE0000-0xFFFFF (the
// RSDP) and 64 KiB of tables at 0x100000.
struct Built {
  static constexpr uint64_t bios = 0xE0000, tables = 0x100000;
  std::vector<uint8_t> bios_bytes = std::vector<uint8_t>(0x20000);
  std::vector<uint8_t> table_bytes = std::vector<uint8_t>(0x10000);
  acpi::Region regions[2];

  uint8_t* at(uint64_t phys) {
    if (phys >= tables) return &table_bytes.at(phys - tables);
    return &bios_bytes.at(phys - bios);
  }
  void put32(uint64_t phys, uint32_t v) { std::memcpy(at(phys), &v, 4); }
  void put64(uint64_t phys, uint64_t v) { std::memcpy(at(phys), &v, 8); }
  uint32_t get32(uint64_t phys) {
    uint32_t v;
    std::memcpy(&v, at(phys), 4);
    return v;
  }
  uint64_t get64(uint64_t phys) {
    uint64_t v;
    std::memcpy(&v, at(phys), 8);
    return v;
  }
  uint8_t sum(uint64_t phys, uint32_t n) {
    uint8_t s = 0;
    for (uint32_t i = 0; i < n; ++i) s = static_cast<uint8_t>(s + *at(phys + i));
    return s;
  }
  void checksum(uint64_t phys, uint32_t n, uint32_t offset) {
    *at(phys + offset) = 0;
    *at(phys + offset) = static_cast<uint8_t>(-sum(phys, n));
  }
  // A table with a header and `body` bytes of its own.
  void table(uint64_t phys, const char* signature, uint32_t body) {
    std::memcpy(at(phys), signature, 4);
    put32(phys + 4, 36 + body);
    for (uint32_t i = 0; i < body; ++i) *at(phys + 36 + i) = static_cast<uint8_t>(i * 13);
    checksum(phys, 36 + body, 9);
  }
  // A root table listing `entries` (4- or 8-byte entries).
  void root(uint64_t phys, const char* signature, const std::vector<uint64_t>& entries,
            uint32_t entry_bytes) {
    std::memcpy(at(phys), signature, 4);
    put32(phys + 4, 36 + entry_bytes * static_cast<uint32_t>(entries.size()));
    for (size_t i = 0; i < entries.size(); ++i) {
      if (entry_bytes == 8) {
        put64(phys + 36 + 8 * i, entries[i]);
      } else {
        put32(phys + 36 + 4 * i, static_cast<uint32_t>(entries[i]));
      }
    }
    checksum(phys, get32(phys + 4), 9);
  }

  static constexpr uint64_t rsdp = 0xF0000, rsdt = 0x100000, xsdt = 0x100100,
                            facp = 0x100200, dmar = 0x100300, apic = 0x100400, hpet = 0x100500;
  // RSDT and XSDT each list FACP, DMAR, APIC, HPET.
  Built() {
    std::memcpy(at(rsdp), "RSD PTR ", 8);
    std::memcpy(at(rsdp + 9), "VMXBT ", 6);
    *at(rsdp + 15) = 2;  // revision: ACPI 2.0, with the XSDT
    put32(rsdp + 16, rsdt);
    put32(rsdp + 20, 36);
    put64(rsdp + 24, xsdt);
    checksum(rsdp, 20, 8);
    checksum(rsdp, 36, 32);
    table(facp, "FACP", 80);
    table(dmar, "DMAR", 56);
    table(apic, "APIC", 40);
    table(hpet, "HPET", 20);
    root(rsdt, "RSDT", {facp, dmar, apic, hpet}, 4);
    root(xsdt, "XSDT", {facp, dmar, apic, hpet}, 8);
  }

  acpi::MemoryView view() {
    regions[0] = {bios, bios_bytes.size(), bios_bytes.data()};
    regions[1] = {tables, table_bytes.size(), table_bytes.data()};
    return {regions, 2};
  }
  acpi::WritableMemoryView writable() { return {view()}; }
};

TEST(AcpiFindTable, ByItsSignatureFromTheXsdt) {
  Built b;
  const acpi::TableSearch dmar = acpi::find_table(b.view(), "DMAR");
  ASSERT_TRUE(dmar.found);
  EXPECT_EQ(dmar.table.phys, Built::dmar);
  EXPECT_EQ(dmar.table.length, 36u + 56);
  EXPECT_EQ(dmar.table.bytes, b.at(Built::dmar));
  EXPECT_EQ(dmar.error, nullptr);
  // The XSDT is the one an OS reads: with DMAR gone from it, it is gone.
  b.root(Built::xsdt, "XSDT", {Built::facp, Built::apic}, 8);
  EXPECT_FALSE(acpi::find_table(b.view(), "DMAR").found);
}

TEST(AcpiFindTable, AbsentOrRefused) {
  Built b;
  const acpi::TableSearch none = acpi::find_table(b.view(), "MCFG");
  EXPECT_FALSE(none.found);
  EXPECT_EQ(none.error, nullptr);
  ++*b.at(Built::dmar + 40);  // its checksum no longer holds
  const acpi::TableSearch bad = acpi::find_table(b.view(), "DMAR");
  EXPECT_FALSE(bad.found);
  EXPECT_STREQ(bad.error, "table checksum");
  b.put32(Built::dmar + 4, 20);
  EXPECT_STREQ(acpi::find_table(b.view(), "DMAR").error, "table length");
  std::memset(b.at(Built::rsdp), 0, 8);
  EXPECT_STREQ(acpi::find_table(b.view(), "DMAR").error, "no RSDP");
}

TEST(AcpiFindTable, RootPointers) {
  Built b;
  acpi::RootPointers roots;
  ASSERT_EQ(acpi::find_root_pointers(b.view(), &roots), nullptr);
  EXPECT_EQ(roots.rsdt, Built::rsdt);
  EXPECT_EQ(roots.xsdt, Built::xsdt);
}

class AcpiHide : public ::testing::Test {
 protected:
  Built b;
  // A root table's entries as it lists them now.
  std::vector<uint64_t> entries(uint64_t root, uint32_t entry_bytes) {
    std::vector<uint64_t> out;
    for (uint32_t at = 36; at < b.get32(root + 4); at += entry_bytes) {
      out.push_back(entry_bytes == 8 ? b.get64(root + at) : b.get32(root + at));
    }
    return out;
  }
};

TEST_F(AcpiHide, TheEntryLeavesBothRootTablesTheirChecksumsStillHold) {
  const acpi::HideResult r = acpi::hide_tables(b.writable(), "DMAR");
  EXPECT_EQ(r.error, nullptr);
  EXPECT_EQ(r.rsdt_removed, 1u);
  EXPECT_EQ(r.xsdt_removed, 1u);
  const std::vector<uint64_t> left = {Built::facp, Built::apic, Built::hpet};
  EXPECT_EQ(entries(Built::rsdt, 4), left);
  EXPECT_EQ(entries(Built::xsdt, 8), left);
  EXPECT_EQ(b.get32(Built::rsdt + 4), 36u + 12);
  EXPECT_EQ(b.get32(Built::xsdt + 4), 36u + 24);
  EXPECT_EQ(b.sum(Built::rsdt, 36 + 12), 0);
  EXPECT_EQ(b.sum(Built::xsdt, 36 + 24), 0);
  // The freed entry's bytes are zero; the DMAR itself is untouched.
  EXPECT_EQ(b.get32(Built::rsdt + 36 + 12), 0u);
  EXPECT_EQ(b.get64(Built::xsdt + 36 + 24), 0u);
  EXPECT_EQ(b.sum(Built::dmar, 36 + 56), 0);
  // What an OS then finds: no DMAR, every other table as before.
  EXPECT_FALSE(acpi::find_table(b.view(), "DMAR").found);
  EXPECT_EQ(acpi::find_table(b.view(), "HPET").table.phys, Built::hpet);
  EXPECT_EQ(acpi::find_table(b.view(), "FACP").table.phys, Built::facp);
  // A second time there is nothing left to take out.
  const acpi::HideResult again = acpi::hide_tables(b.writable(), "DMAR");
  EXPECT_EQ(again.rsdt_removed + again.xsdt_removed, 0u);
  EXPECT_EQ(entries(Built::rsdt, 4), left);
}

TEST_F(AcpiHide, EveryEntryOfItFirstAndLast) {
  b.table(0x100600, "DMAR", 8);
  b.root(Built::rsdt, "RSDT", {Built::dmar, Built::facp, 0x100600}, 4);
  b.root(Built::xsdt, "XSDT", {Built::dmar, Built::dmar}, 8);
  const acpi::HideResult r = acpi::hide_tables(b.writable(), "DMAR");
  EXPECT_EQ(r.rsdt_removed, 2u);
  EXPECT_EQ(r.xsdt_removed, 2u);
  EXPECT_EQ(entries(Built::rsdt, 4), std::vector<uint64_t>{Built::facp});
  EXPECT_TRUE(entries(Built::xsdt, 8).empty());
  EXPECT_EQ(b.get32(Built::xsdt + 4), 36u);
  EXPECT_EQ(b.sum(Built::rsdt, 40), 0);
  EXPECT_EQ(b.sum(Built::xsdt, 36), 0);
}

TEST_F(AcpiHide, ATableWhoseChecksumWasWrongStaysAsWrong) {
  ++*b.at(Built::rsdt + 9);
  const uint8_t before = b.sum(Built::rsdt, b.get32(Built::rsdt + 4));
  EXPECT_EQ(acpi::hide_tables(b.writable(), "DMAR").rsdt_removed, 1u);
  EXPECT_EQ(b.sum(Built::rsdt, b.get32(Built::rsdt + 4)), before);
}

TEST_F(AcpiHide, AnEntryItCannotReadIsKept) {
  b.root(Built::rsdt, "RSDT", {Built::facp, 0x7000000, Built::dmar}, 4);
  EXPECT_EQ(acpi::hide_tables(b.writable(), "DMAR").rsdt_removed, 1u);
  EXPECT_EQ(entries(Built::rsdt, 4), (std::vector<uint64_t>{Built::facp, 0x7000000}));
}

TEST_F(AcpiHide, WithoutAnXsdt) {
  *b.at(Built::rsdp + 15) = 0;  // ACPI 1.0: the first 20 bytes only
  b.checksum(Built::rsdp, 20, 8);
  const acpi::HideResult r = acpi::hide_tables(b.writable(), "DMAR");
  EXPECT_EQ(r.error, nullptr);
  EXPECT_EQ(r.rsdt_removed, 1u);
  EXPECT_EQ(r.xsdt_removed, 0u);
  // The XSDT the RSDP no longer names is left as it was.
  EXPECT_EQ(entries(Built::xsdt, 8).size(), 4u);
}

TEST_F(AcpiHide, RootTablesItCannotEditAreNamed) {
  b.put32(Built::xsdt + 4, 36 + 7);  // not a whole number of entries
  acpi::HideResult r = acpi::hide_tables(b.writable(), "DMAR");
  EXPECT_STREQ(r.error, "XSDT length");
  EXPECT_EQ(r.rsdt_removed, 1u);  // the RSDT still was
  b.put64(Built::rsdp + 24, 0x7000000);  // out of the memory there is
  b.checksum(Built::rsdp, 36, 32);
  EXPECT_STREQ(acpi::hide_tables(b.writable(), "DMAR").error, "XSDT unreadable");
  std::memcpy(b.at(Built::rsdt), "RSDX", 4);
  EXPECT_STREQ(acpi::hide_tables(b.writable(), "DMAR").error, "RSDT signature");
  b.put32(Built::rsdt + 4, 0x10000000);
  std::memcpy(b.at(Built::rsdt), "RSDT", 4);
  EXPECT_STREQ(acpi::hide_tables(b.writable(), "DMAR").error, "RSDT length");
  std::memset(b.at(Built::rsdp), 0, 8);
  EXPECT_STREQ(acpi::hide_tables(b.writable(), "DMAR").error, "no RSDP");
}

// QEMU 7.2, q35 with intel-iommu: an ACPI 1.0 RSDP, the RSDT lists FACP,
// APIC, HPET, MCFG, DMAR, WAET.
TEST(AcpiQemuQ35, TheDmarIsFoundThenHidden) {
  Capture capture("qemu-q35-iommu");
  const acpi::TableSearch dmar = acpi::find_table(capture.view(), "DMAR");
  ASSERT_TRUE(dmar.found);
  EXPECT_EQ(dmar.table.phys, capture.table("DMAR"));
  EXPECT_EQ(dmar.table.length, 128u);
  const uint64_t rsdt = capture.table("RSDT");
  const uint32_t length = capture.length_of(rsdt);
  EXPECT_EQ(length, 36u + 6 * 4);

  const acpi::HideResult r = acpi::hide_tables({capture.view()}, "DMAR");
  EXPECT_EQ(r.error, nullptr);
  EXPECT_EQ(r.rsdt_removed, 1u);
  EXPECT_EQ(r.xsdt_removed, 0u);
  EXPECT_EQ(capture.length_of(rsdt), length - 4);
  EXPECT_EQ(capture.tables("RSDT").size(), 1u);  // its checksum holds
  EXPECT_FALSE(acpi::find_table(capture.view(), "DMAR").found);
  for (const char* kept : {"FACP", "APIC", "HPET", "MCFG", "WAET"}) {
    EXPECT_TRUE(acpi::find_table(capture.view(), kept).found) << kept;
  }
  // The power-off the VMM keeps reads the same tables.
  EXPECT_TRUE(acpi::find_power_off(capture.view()).found);
}

}  // namespace
