// The DMAR parser (vmm/vtd/dmar.h): QEMU q35's table with intel-iommu as
// captured (tests/data/acpi/qemu-q35-iommu), tables built here with every
// kind of structure, and each length and field the parser must refuse.
#include <gtest/gtest.h>

#include <stdint.h>

#include <cstring>
#include <initializer_list>
#include <vector>

#include "acpi_capture.h"
#include "common/acpi.h"
#include "vtd/dmar.h"

namespace {

using acpi_capture::Capture;

// A DMAR built structure by structure (the ACPI header's checksum is not
// the parser's business: acpi::find_table checks it).
struct Dmar {
  std::vector<uint8_t> bytes = std::vector<uint8_t>(48);
  Dmar() {
    std::memcpy(bytes.data(), "DMAR", 4);
    bytes[36] = 38;  // host address width 39
    bytes[37] = 1;   // INTR_REMAP
  }
  void add(std::initializer_list<uint8_t> b) { bytes.insert(bytes.end(), b); }
  void add16(uint16_t v) { add({uint8_t(v), uint8_t(v >> 8)}); }
  void add64(uint64_t v) {
    for (int i = 0; i < 8; ++i) bytes.push_back(uint8_t(v >> (8 * i)));
  }
  // A DRHD with `scopes` (each a whole device scope's bytes).
  void drhd(uint8_t flags, uint8_t size, uint16_t segment, uint64_t base,
            const std::vector<std::vector<uint8_t>>& scopes = {}) {
    size_t length = 16;
    for (const auto& s : scopes) length += s.size();
    add16(0);
    add16(static_cast<uint16_t>(length));
    add({flags, size});
    add16(segment);
    add64(base);
    for (const auto& s : scopes) bytes.insert(bytes.end(), s.begin(), s.end());
  }
  void rmrr(uint64_t base, uint64_t limit, const std::vector<std::vector<uint8_t>>& scopes = {}) {
    size_t length = 24;
    for (const auto& s : scopes) length += s.size();
    add16(1);
    add16(static_cast<uint16_t>(length));
    add({0, 0});
    add16(0);
    add64(base);
    add64(limit);
    for (const auto& s : scopes) bytes.insert(bytes.end(), s.begin(), s.end());
  }
  const char* parse(vtd::Dmar& out) {
    const uint32_t length = static_cast<uint32_t>(bytes.size());
    std::memcpy(&bytes[4], &length, 4);
    return vtd::parse_dmar(bytes.data(), length, out);
  }
};

// A device scope: type, the start bus, the path's (device, function) pairs.
std::vector<uint8_t> scope(uint8_t type, uint8_t bus, std::initializer_list<uint8_t> path) {
  std::vector<uint8_t> s = {type, uint8_t(6 + path.size()), 0, 0, 0, bus};
  s.insert(s.end(), path);
  return s;
}

TEST(VtdDmar, QemuQ35WithIntelIommu) {
  Capture capture("qemu-q35-iommu");
  const acpi::TableSearch found = acpi::find_table(capture.view(), "DMAR");
  ASSERT_TRUE(found.found);
  vtd::Dmar dmar;
  ASSERT_EQ(vtd::parse_dmar(found.table.bytes, found.table.length, dmar), nullptr);
  EXPECT_EQ(dmar.host_address_width, 39);
  EXPECT_EQ(dmar.flags, 1);  // INTR_REMAP: intremap=auto is on under TCG (the VMM leaves it off)
  ASSERT_EQ(dmar.unit_count, 1u);
  const vtd::Drhd& unit = dmar.units[0];
  EXPECT_EQ(unit.register_base, 0xFED90000u);
  EXPECT_EQ(unit.register_pages, 1u);
  EXPECT_EQ(unit.segment, 0);
  // QEMU 7.2 lists its devices one by one instead of INCLUDE_PCI_ALL: the
  // I/O APIC and the PCI functions of bus 0 at the capture (host bridge,
  // VGA, e1000e, edu, LPC, SATA, SMBus).
  EXPECT_FALSE(unit.include_pci_all);
  EXPECT_EQ(unit.scopes[vtd::scope_ioapic], 1);
  EXPECT_EQ(unit.scopes[vtd::scope_pci_endpoint], 7);
  EXPECT_EQ(dmar.rmrr_count, 0u);
  EXPECT_EQ(dmar.other_structures, 0u);
}

TEST(VtdDmar, UnitsRmrrsAndStructuresItSkips) {
  Dmar d;
  d.drhd(0, 1, 0, 0xFED90000, {scope(1, 0, {2, 0}), scope(2, 0, {0x1C, 0, 0, 0}),
                               scope(4, 0, {0x1F, 0}), scope(9, 0, {})});
  d.add16(2);  // an ATSR, 8 bytes
  d.add16(8);
  d.add({1, 0, 0, 0});
  d.drhd(1, 0, 0, 0xFED91000, {scope(3, 0xF0, {0x1F, 0})});
  d.rmrr(0x7D000000, 0x7D0FFFFF, {scope(1, 0, {0x14, 0}), scope(1, 0, {0x1A, 0})});
  vtd::Dmar out;
  ASSERT_EQ(d.parse(out), nullptr);
  EXPECT_EQ(out.flags, 1);
  ASSERT_EQ(out.unit_count, 2u);
  EXPECT_FALSE(out.units[0].include_pci_all);
  EXPECT_EQ(out.units[0].register_pages, 2u);
  EXPECT_EQ(out.units[0].scopes[vtd::scope_pci_endpoint], 1);
  EXPECT_EQ(out.units[0].scopes[vtd::scope_pci_subhierarchy], 1);
  EXPECT_EQ(out.units[0].scopes[vtd::scope_hpet], 1);
  EXPECT_EQ(out.units[0].scopes[0], 1);  // type 9: none the VMM knows
  EXPECT_TRUE(out.units[1].include_pci_all);
  EXPECT_EQ(out.units[1].register_base, 0xFED91000u);
  EXPECT_EQ(out.units[1].scopes[vtd::scope_ioapic], 1);
  ASSERT_EQ(out.rmrr_count, 1u);
  EXPECT_EQ(out.rmrrs[0].base, 0x7D000000u);
  EXPECT_EQ(out.rmrrs[0].end, 0x7D100000u);
  EXPECT_EQ(out.rmrrs[0].scope_count, 2);
  EXPECT_EQ(out.other_structures, 1u);
}

TEST(VtdDmar, LengthsThatDoNotFit) {
  vtd::Dmar out;
  Dmar empty;
  EXPECT_STREQ(empty.parse(out), "no DRHD");
  EXPECT_STREQ(vtd::parse_dmar(empty.bytes.data(), 47, out), "DMAR length");

  Dmar zero;  // a structure of length 0 would never end the walk
  zero.add16(0);
  zero.add16(0);
  EXPECT_STREQ(zero.parse(out), "remapping structure length");

  Dmar beyond;
  beyond.drhd(1, 0, 0, 0xFED90000);
  beyond.bytes[48 + 2] = 17;  // one byte past the table
  EXPECT_STREQ(beyond.parse(out), "remapping structure beyond the table");

  Dmar stub;
  stub.add({0, 0});
  EXPECT_STREQ(stub.parse(out), "remapping structure truncated");

  Dmar short_drhd;
  short_drhd.add16(0);
  short_drhd.add16(8);
  short_drhd.add({0, 0, 0, 0});
  EXPECT_STREQ(short_drhd.parse(out), "DRHD length");

  Dmar short_rmrr;
  short_rmrr.drhd(1, 0, 0, 0xFED90000);
  short_rmrr.add16(1);
  short_rmrr.add16(16);
  short_rmrr.add({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
  EXPECT_STREQ(short_rmrr.parse(out), "RMRR length");
}

TEST(VtdDmar, DeviceScopesThatDoNotFit) {
  vtd::Dmar out;
  Dmar odd;
  odd.drhd(0, 0, 0, 0xFED90000, {{1, 7, 0, 0, 0, 0, 2}});
  EXPECT_STREQ(odd.parse(out), "device scope length");
  Dmar tiny;
  tiny.drhd(0, 0, 0, 0xFED90000, {{1, 4, 0, 0, 0, 0}});
  EXPECT_STREQ(tiny.parse(out), "device scope length");
  Dmar past;
  past.drhd(0, 0, 0, 0xFED90000, {{1, 10, 0, 0, 0, 0, 2, 0}});
  EXPECT_STREQ(past.parse(out), "device scope beyond its structure");
  Dmar cut;
  cut.drhd(0, 0, 0, 0xFED90000, {{1, 8, 0, 0}});
  EXPECT_STREQ(cut.parse(out), "device scope truncated");
  Dmar in_rmrr;
  in_rmrr.drhd(1, 0, 0, 0xFED90000);
  in_rmrr.rmrr(0x1000, 0x1FFF, {{1, 9, 0, 0, 0, 0, 2, 0, 0}});
  EXPECT_STREQ(in_rmrr.parse(out), "device scope length");
}

TEST(VtdDmar, FieldsTheVmmCannotUse) {
  vtd::Dmar out;
  struct Unit {
    uint8_t size;
    uint64_t base;
    const char* error;
  };
  for (const Unit& u : {Unit{0, 0, "DRHD register base"}, Unit{0, 0xFED90800, "DRHD register base"},
                        Unit{0, 0x1FED90000, "DRHD registers above 4 GiB"},
                        Unit{1, 0xFFFFF000, "DRHD registers above 4 GiB"},
                        Unit{5, 0xFED90000, "DRHD register set size"},
                        Unit{0, 0xFFFFF000, nullptr}, Unit{4, 0xFED80000, nullptr}}) {
    Dmar d;
    d.drhd(1, u.size, 0, u.base);
    const char* error = d.parse(out);
    if (u.error == nullptr) {
      EXPECT_EQ(error, nullptr) << std::hex << u.base;
    } else {
      EXPECT_STREQ(error, u.error) << std::hex << u.base;
    }
  }
  struct Region {
    uint64_t base, limit;
    bool ok;
  };
  for (const Region& r : {Region{0x1000, 0x1FFF, true}, Region{0x1000, 0x1000, false},
                          Region{0x1800, 0x1FFF, false}, Region{0x2000, 0x0FFF, false},
                          Region{0, ~0ull, false}, Region{0xFFFFFFFFFFFFF000ull, ~0ull, false},
                          Region{1ull << 40, (1ull << 40) + 0xFFFFF, true}}) {
    Dmar d;
    d.drhd(1, 0, 0, 0xFED90000);
    d.rmrr(r.base, r.limit);
    const char* error = d.parse(out);
    if (r.ok) {
      EXPECT_EQ(error, nullptr) << std::hex << r.base << "-" << r.limit;
    } else {
      EXPECT_STREQ(error, "RMRR range") << std::hex << r.base << "-" << r.limit;
    }
  }
}

TEST(VtdDmar, MoreUnitsOrRegionsThanItKeeps) {
  vtd::Dmar out;
  Dmar units;
  for (uint32_t i = 0; i <= vtd::max_units; ++i) units.drhd(0, 0, 0, 0xFED00000 + 0x1000 * i);
  EXPECT_STREQ(units.parse(out), "more DRHDs than the VMM takes (8)");
  Dmar regions;
  regions.drhd(1, 0, 0, 0xFED90000);
  for (uint32_t i = 0; i <= vtd::max_rmrrs; ++i) regions.rmrr(0x1000 * i, 0x1000 * i + 0xFFF);
  EXPECT_STREQ(regions.parse(out), "more RMRRs than the VMM takes (16)");
}

}  // namespace
