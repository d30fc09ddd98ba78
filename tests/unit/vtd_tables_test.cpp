// The tables every remapping unit translates with (vmm/vtd/tables.h): which
// addresses a device reaches, read back by a walk as the hardware makes it
// (root entry, context entry, as many levels as the context entry's
// address width says), for devices on any bus.
#include <gtest/gtest.h>

#include <memory>

#include "layout.h"
#include "vtd/tables.h"

namespace {

// The tables where the VMM keeps them: inside its own memory (here, as in
// the VMM, in the Machine in .bss at some page of 0x400000-0x60FFFF).
constexpr uint64_t tables_at = 0x421000;
// QEMU's unit: one page of registers.
constexpr uint64_t unit_registers = 0xFED90000;

const PhysRange vmm_holes[] = {{layout::VMM_ADDR, layout::VMM_MEMORY_END},
                               {unit_registers, unit_registers + 0x1000}};

struct Built {
  std::unique_ptr<vtd::Tables> t = std::make_unique<vtd::Tables>();
  bool ok;
  explicit Built(uint32_t levels, const PhysRange* holes = vmm_holes, size_t count = 2) {
    ok = vtd::build_tables(*t, tables_at, levels, holes, count);
  }
  vtd::Translation at(uint64_t address, uint16_t source = 0x0010) const {
    return vtd::translate(*t, tables_at, source, address);
  }
  bool reaches(uint64_t address, uint16_t source = 0x0010) const {
    const vtd::Translation x = at(address, source);
    return x.read && x.write && x.address == address;
  }
  bool blocked(uint64_t address, uint16_t source = 0x0010) const {
    const vtd::Translation x = at(address, source);
    return !x.read && !x.write;
  }
};

class VtdTables : public ::testing::TestWithParam<uint32_t> {};

TEST_P(VtdTables, EverythingBelow4GiBButTheHolesIsIdentityMapped) {
  const Built b(GetParam());
  ASSERT_TRUE(b.ok);
  for (uint64_t a : {0x0ull, 0x7C00ull, 0x9FFFFull, 0xB8000ull, 0x100000ull, 0x1FFFFFull,
                     0x3FFFFFull, 0x20000ull, 0x7FE0000ull, 0x80000000ull, 0xFEC00000ull,
                     0xFED8F000ull, 0xFED91000ull, 0xFEE00000ull, 0xFFFFF000ull, 0xFFFFFFFFull}) {
    EXPECT_TRUE(b.reaches(a)) << std::hex << a;
  }
  // Right up to the VMM's memory, from its end on, around the registers.
  EXPECT_TRUE(b.reaches(layout::VMM_ADDR - 1));
  EXPECT_TRUE(b.reaches(layout::VMM_MEMORY_END));
  EXPECT_TRUE(b.reaches(unit_registers - 1));
  EXPECT_TRUE(b.reaches(unit_registers + 0x1000));
}

TEST_P(VtdTables, TheVmmsMemoryTheTablesAndTheUnitsRegistersAreNotPresent) {
  const Built b(GetParam());
  ASSERT_TRUE(b.ok);
  for (uint64_t a = layout::VMM_ADDR; a < layout::VMM_MEMORY_END; a += 0x1000) {
    EXPECT_TRUE(b.blocked(a)) << std::hex << a;
    EXPECT_TRUE(b.blocked(a + 0xFFF)) << std::hex << a;
  }
  for (uint64_t a = tables_at; a < tables_at + sizeof(vtd::Tables); a += 0x1000) {
    EXPECT_TRUE(b.blocked(a)) << std::hex << a;
  }
  EXPECT_TRUE(b.blocked(unit_registers));
  EXPECT_TRUE(b.blocked(unit_registers + 0xFFF));
}

TEST_P(VtdTables, NothingAtOrAbove4GiB) {
  const Built b(GetParam());
  ASSERT_TRUE(b.ok);
  for (uint64_t a : {1ull << 32, (1ull << 32) + 0x400000, 1ull << 38, (1ull << 39) - 1,
                     1ull << 39, 1ull << 47, 1ull << 56, ~0ull}) {
    EXPECT_TRUE(b.blocked(a)) << std::hex << a;
  }
}

TEST_P(VtdTables, EveryRequesterTheSame) {
  const Built b(GetParam());
  ASSERT_TRUE(b.ok);
  for (uint32_t source : {0x0000u, 0x0008u, 0x00FFu, 0x0100u, 0x1F02u, 0xFF00u, 0xFFFFu}) {
    const uint16_t id = static_cast<uint16_t>(source);
    EXPECT_TRUE(b.reaches(0x100000, id)) << std::hex << source;
    EXPECT_TRUE(b.blocked(layout::VMM_ADDR, id)) << std::hex << source;
  }
}

TEST_P(VtdTables, TheContextEntriesPutEveryRequesterInOneDomainWithTheWalksWidth) {
  const Built b(GetParam());
  ASSERT_TRUE(b.ok);
  for (size_t devfn = 0; devfn < 256; ++devfn) {
    EXPECT_EQ(b.t->context[2 * devfn + 1], (GetParam() - 2) | uint64_t{vtd::domain_id} << 8);
  }
  // Domain 0 is the caching-mode unit's own.
  EXPECT_NE(vtd::domain_id, 0);
}

INSTANTIATE_TEST_SUITE_P(Levels, VtdTables, ::testing::Values(3u, 4u, 5u));

TEST(VtdTablesBuild, LargePagesWhereNoHoleIsAndNoneWhereAHoleCoversAll) {
  const Built b(3);
  ASSERT_TRUE(b.ok);
  constexpr uint64_t large = 1ull << 7;
  // 0x200000: a 2 MiB page; 0x400000-0x5FFFFF: the VMM's, not present;
  // 0x600000: split (the VMM's memory ends inside it).
  EXPECT_EQ(b.t->pd[0][1], 0x200000ull | large | 3);
  EXPECT_EQ(b.t->pd[0][2], 0u);
  EXPECT_EQ(b.t->pd[0][3] & large, 0u);
  EXPECT_NE(b.t->pd[0][3] & 3, 0u);
}

TEST(VtdTablesBuild, RefusesWhatItCannotBuild) {
  const PhysRange unaligned[] = {{0x400800, 0x500000}};
  const PhysRange empty[] = {{0x400000, 0x400000}};
  const PhysRange past_4g[] = {{0xFFFFF000, 0x100001000}};
  // One hole partly in each of five 2 MiB regions: a page table each.
  const PhysRange five[] = {{0x001000, 0x002000}, {0x201000, 0x202000}, {0x401000, 0x402000},
                            {0x601000, 0x602000}, {0x801000, 0x802000}};
  EXPECT_FALSE(Built(2).ok);
  EXPECT_FALSE(Built(6).ok);
  EXPECT_FALSE(Built(3, unaligned, 1).ok);
  EXPECT_FALSE(Built(3, empty, 1).ok);
  EXPECT_FALSE(Built(3, past_4g, 1).ok);
  EXPECT_FALSE(Built(3, five, 5).ok);
  EXPECT_TRUE(Built(3, five, 4).ok);
  EXPECT_TRUE(Built(3, nullptr, 0).ok);
}

TEST(VtdTablesBuild, AHoleThatEndsAt4GiB) {
  const PhysRange top[] = {{0xFFE00000, 0x100000000}};
  const Built b(3, top, 1);
  ASSERT_TRUE(b.ok);
  EXPECT_TRUE(b.blocked(0xFFE00000));
  EXPECT_TRUE(b.blocked(0xFFFFFFFF));
  EXPECT_TRUE(b.reaches(0xFFDFFFFF));
}

TEST(VtdTablesWalk, APointerOutsideTheTablesMapsNothing) {
  Built b(3);
  ASSERT_TRUE(b.ok);
  b.t->pdpt[0] = 0x12345000 | 3;  // not one of the tables
  EXPECT_TRUE(b.blocked(0x100000));
  EXPECT_TRUE(b.reaches(0x40000000));  // the next GiB's entry is intact
  b.t->context[0] &= ~1ull;             // device 00:00.0 not present
  EXPECT_TRUE(b.blocked(0x40000000, 0x0000));
  EXPECT_TRUE(b.reaches(0x40000000, 0x0001));
}

}  // namespace
