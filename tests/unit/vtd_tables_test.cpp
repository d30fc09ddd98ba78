// The tables every remapping unit translates with (vmm/vtd/tables.h): which
// addresses a device reaches, read back by a walk as the hardware makes it
// (root entry, context entry, as many levels as the context entry's
// address width says), for devices on any bus: below 4 GiB all but the
// holes, above 4 GiB the RAM of the E820 map (vmm/vtd/high_ram.h) in 1 GiB,
// 2 MiB and 4 KiB pages as far as the units' address width and the pool of
// tables reach.
#include <gtest/gtest.h>

#include <chrono>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "layout.h"
#include "vtd/high_ram.h"
#include "vtd/tables.h"

namespace {

// The tables where the VMM keeps them: inside its own memory (here, as in
// the VMM, in the Machine in .bss at some page of 0x400000-0x611FFF).
constexpr uint64_t tables_at = 0x421000;
// QEMU's unit: one page of registers.
constexpr uint64_t unit_registers = 0xFED90000;

const PhysRange vmm_holes[] = {{layout::VMM_ADDR, layout::VMM_MEMORY_END},
                               {unit_registers, unit_registers + 0x1000}};

constexpr unsigned long long GiB = 1ull << 30, MiB = 1ull << 20;  // as 1ull << n is

struct Built {
  std::unique_ptr<vtd::Tables> t = std::make_unique<vtd::Tables>();
  vtd::BuiltTables built;
  bool ok;
  explicit Built(uint32_t levels, const PhysRange* holes = vmm_holes, size_t count = 2) {
    built = vtd::build_tables(*t, tables_at, {levels, false, 64, holes, count, nullptr, 0});
    ok = built.ok;
  }
  // With RAM above 4 GiB, the VMM's holes.
  Built(uint32_t levels, bool pages_1g, const std::vector<PhysRange>& ram,
        uint32_t address_width = 64) {
    built = vtd::build_tables(*t, tables_at, {levels, pages_1g, address_width, vmm_holes, 2,
                                              ram.data(), ram.size()});
    ok = built.ok;
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

TEST_P(VtdTables, WithoutRamAbove4GiBNothingThereIsMapped) {
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
  // RAM above 4 GiB that is not as build_tables takes it.
  EXPECT_FALSE(Built(3, true, {{3 * GiB, 5 * GiB}}).ok);                  // below 4 GiB
  EXPECT_FALSE(Built(3, true, {{4 * GiB + 0x800, 5 * GiB}}).ok);          // unaligned
  EXPECT_FALSE(Built(3, true, {{5 * GiB, 5 * GiB}}).ok);                  // empty
  EXPECT_FALSE(Built(3, true, {{6 * GiB, 7 * GiB}, {4 * GiB, 5 * GiB}}).ok);  // unsorted
  EXPECT_FALSE(Built(3, true, {{4 * GiB, 6 * GiB}, {5 * GiB, 7 * GiB}}).ok);  // overlapping
  EXPECT_TRUE(Built(3, true, {{4 * GiB, 5 * GiB}, {5 * GiB, 7 * GiB}}).ok);   // touching
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

// ---------------------------------------------------------------- above 4 GiB

// A 16 GiB PC as its firmware reports it: RAM to 3 GiB (less the legacy
// holes and the firmware's own), ACPI tables and NVS, MMIO up to 4 GiB,
// then RAM 4-17 GiB.
const layout::E820Entry pc_16g[] = {
    {0x0, 0x9FC00, 1, 0},         {0x9FC00, 0x400, 2, 0},        {0xF0000, 0x10000, 2, 0},
    {0x100000, 0xBFE00000 - 0x100000, 1, 0},                     {0xBFE00000, 0x100000, 3, 0},
    {0xBFF00000, 0x100000, 4, 0}, {0xFEC00000, 0x1400000, 2, 0}, {4 * GiB, 13 * GiB, 1, 0},
};

std::vector<PhysRange> ranges_of(const vtd::HighRam& ram) {
  return std::vector<PhysRange>(ram.ranges, ram.ranges + ram.count);
}

std::vector<PhysRange> high_ram_of(const layout::E820Entry* map, uint32_t count) {
  vtd::HighRam ram{};
  vtd::find_high_ram(map, count, ram);
  return ranges_of(ram);
}

struct Walk {
  uint32_t levels;
  bool pages_1g;
};

std::string walk_name(const ::testing::TestParamInfo<Walk>& info) {
  return std::to_string(info.param.levels) + "Levels" + (info.param.pages_1g ? "With1GiB" : "With2MiB");
}

class VtdHighTables : public ::testing::TestWithParam<Walk> {};

TEST_P(VtdHighTables, A16GiBMachinesRamAbove4GiBIsIdentityMappedAndNothingPastIt) {
  const auto ram = high_ram_of(pc_16g, std::size(pc_16g));
  ASSERT_EQ(ram.size(), 1u);
  const Built b(GetParam().levels, GetParam().pages_1g, ram);
  ASSERT_TRUE(b.ok);
  EXPECT_EQ(b.built.shortfall, vtd::Shortfall::none);
  EXPECT_EQ(b.built.high_reach, 17 * GiB);
  // 13 page directories without 1 GiB pages, none with.
  EXPECT_EQ(b.built.pool_used, GetParam().pages_1g ? 0u : 13u);
  // Every 2 MiB from 4 GiB, its first and last byte: RAM to 17 GiB, then nothing.
  for (uint64_t a = 4 * GiB; a < 20 * GiB; a += 2 * MiB) {
    const bool ram_here = a < 17 * GiB;
    EXPECT_EQ(b.reaches(a), ram_here) << std::hex << a;
    EXPECT_EQ(b.reaches(a + 2 * MiB - 1), ram_here) << std::hex << a;
    if (!ram_here) {
      EXPECT_TRUE(b.blocked(a)) << std::hex << a;
    }
  }
  for (uint64_t a : {17 * GiB, 64 * GiB, (1ull << 39) - 1, 1ull << 39, 1ull << 47, 1ull << 56}) {
    EXPECT_TRUE(b.blocked(a)) << std::hex << a;
  }
  // Below 4 GiB as without: the holes blocked, the rest mapped, MMIO too.
  EXPECT_TRUE(b.blocked(layout::VMM_ADDR));
  EXPECT_TRUE(b.blocked(tables_at));
  EXPECT_TRUE(b.blocked(unit_registers));
  EXPECT_TRUE(b.reaches(layout::VMM_MEMORY_END));
  EXPECT_TRUE(b.reaches(0xFEC00000));
  EXPECT_TRUE(b.reaches(0xFFFFFFFF));
  // Every requester the same.
  for (uint16_t id : {0x0000, 0x0010, 0x1F02, 0xFFFF}) {
    EXPECT_TRUE(b.reaches(16 * GiB + 0x1234, id)) << id;
    EXPECT_TRUE(b.blocked(17 * GiB, id)) << id;
  }
}

TEST_P(VtdHighTables, PagesAsLargeAsTheUnitsOffer) {
  const Built b(GetParam().levels, GetParam().pages_1g, {{4 * GiB, 6 * GiB}});
  ASSERT_TRUE(b.ok);
  constexpr uint64_t large = 1ull << 7;
  const uint64_t pdpe = b.t->pdpt[4];
  if (GetParam().pages_1g) {
    EXPECT_EQ(pdpe, 4 * GiB | large | 3);
    EXPECT_EQ(b.t->pdpt[5], 5 * GiB | large | 3);
  } else {
    // A page directory from the pool, of 2 MiB pages.
    EXPECT_EQ(pdpe & large, 0u);
    EXPECT_EQ(pdpe & ~0xFFFull, tables_at + offsetof(vtd::Tables, pool));
    EXPECT_EQ(b.t->pool[0][0], 4 * GiB | large | 3);
    EXPECT_EQ(b.t->pool[0][511], (4 * GiB + 511 * 2 * MiB) | large | 3);
  }
  EXPECT_EQ(b.t->pdpt[6], 0u);
}

TEST_P(VtdHighTables, EndsOffA2MiBBoundaryTakeAPageTableOf4KiBPages) {
  // RAM from 4 GiB + 4 KiB to 6 GiB + 2 MiB + 12 KiB: 4 KiB pages at both
  // ends, 2 MiB pages up to the GiB boundaries, 1 GiB pages (or 2 MiB)
  // between.
  const auto first = 4 * GiB + 0x1000, end = 6 * GiB + 2 * MiB + 0x3000;
  const Built b(GetParam().levels, GetParam().pages_1g, {{first, end}});
  ASSERT_TRUE(b.ok);
  EXPECT_EQ(b.built.shortfall, vtd::Shortfall::none);
  EXPECT_EQ(b.built.high_reach, end);
  EXPECT_TRUE(b.blocked(4 * GiB));
  EXPECT_TRUE(b.blocked(first - 1));
  for (uint64_t a : {first, first + 0xFFF, first + 0x1000, 4 * GiB + 2 * MiB, 5 * GiB - 1, 5 * GiB,
                     6 * GiB - 1, 6 * GiB, 6 * GiB + 2 * MiB, end - 0x1000, end - 1}) {
    EXPECT_TRUE(b.reaches(a)) << std::hex << a;
  }
  EXPECT_TRUE(b.blocked(end));
  EXPECT_TRUE(b.blocked(6 * GiB + 4 * MiB));
  // Two page directories (GiBs 4 and 6) and two page tables, and GiB 5's
  // page directory where there are no 1 GiB pages.
  EXPECT_EQ(b.built.pool_used, GetParam().pages_1g ? 4u : 5u);
}

TEST_P(VtdHighTables, RangesThatShareA2MiBRegionShareItsPageTable) {
  const auto base = 8 * GiB;
  const Built b(GetParam().levels, GetParam().pages_1g,
                {{base + 0x1000, base + 0x3000}, {base + 0x5000, base + 0x8000},
                 {base + 2 * MiB - 0x1000, base + 4 * MiB}});
  ASSERT_TRUE(b.ok);
  EXPECT_EQ(b.built.pool_used, 2u);  // a page directory, a page table
  for (uint64_t page = 0; page < 0x10000; page += 0x1000) {
    const bool ram = (page >= 0x1000 && page < 0x3000) || (page >= 0x5000 && page < 0x8000);
    EXPECT_EQ(b.reaches(base + page), ram) << std::hex << page;
    EXPECT_EQ(b.blocked(base + page), !ram) << std::hex << page;
  }
  EXPECT_TRUE(b.blocked(base + 2 * MiB - 0x2000));
  EXPECT_TRUE(b.reaches(base + 2 * MiB - 0x1000));
  EXPECT_TRUE(b.reaches(base + 2 * MiB));
  EXPECT_TRUE(b.reaches(base + 4 * MiB - 1));
  EXPECT_TRUE(b.blocked(base + 4 * MiB));
}

TEST_P(VtdHighTables, WrappingAndHugeE820EntriesEndAtTheAddressWidthOrThePool) {
  // One entry from 4 GiB whose length passes 2^64, one of all ones.
  const layout::E820Entry wraps[] = {{4 * GiB, ~0ull - GiB, 1, 0}, {64 * GiB, ~0ull, 1, 0}};
  const auto ram = high_ram_of(wraps, 2);
  ASSERT_EQ(ram.size(), 1u);
  EXPECT_EQ(ram[0].end, vtd::high_ram_ceiling);
  const auto start = std::chrono::steady_clock::now();
  const Built b(GetParam().levels, GetParam().pages_1g, ram);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  ASSERT_TRUE(b.ok);
  const uint32_t levels = GetParam().levels;
  uint64_t reach;
  if (!GetParam().pages_1g) {
    // A page directory a GiB: the pool ends first, at any walk.
    reach = 4 * GiB + vtd::pool_tables * GiB;
    EXPECT_EQ(b.built.shortfall, vtd::Shortfall::pool);
  } else if (levels == 3) {
    reach = 1ull << 39;  // the walk's width
    EXPECT_EQ(b.built.shortfall, vtd::Shortfall::address_width);
  } else {
    // A page-directory-pointer table each 512 GiB past the first.
    reach = (vtd::pool_tables + 1ull) << 39;
    EXPECT_EQ(b.built.shortfall, vtd::Shortfall::pool);
  }
  EXPECT_EQ(b.built.high_reach, reach);
  EXPECT_EQ(b.built.pool_used, levels == 3 && GetParam().pages_1g ? 0u : vtd::pool_tables);
  EXPECT_TRUE(b.reaches(4 * GiB));
  EXPECT_TRUE(b.reaches(reach - 1));
  EXPECT_TRUE(b.blocked(reach));
  EXPECT_TRUE(b.blocked(reach + 2 * MiB));
  EXPECT_TRUE(b.blocked(1ull << 56));
  EXPECT_TRUE(b.blocked(~0ull));
}

INSTANTIATE_TEST_SUITE_P(Walks, VtdHighTables,
                         ::testing::Values(Walk{3, false}, Walk{3, true}, Walk{4, false},
                                           Walk{4, true}, Walk{5, false}, Walk{5, true}),
                         walk_name);

TEST(VtdHighTablesPool, TooSmallAPoolMapsInAddressOrderAndSaysWhereItStopped) {
  // 196 GiB above 4 GiB in 2 MiB pages: a page directory a GiB, 128 of them.
  const Built b(4, false, {{4 * GiB, 200 * GiB}});
  ASSERT_TRUE(b.ok);
  const uint64_t reach = (4 + vtd::pool_tables) * GiB;
  EXPECT_EQ(b.built.shortfall, vtd::Shortfall::pool);
  EXPECT_EQ(b.built.high_reach, reach);
  EXPECT_EQ(b.built.pool_used, vtd::pool_tables);
  for (uint64_t a = 4 * GiB; a < 200 * GiB; a += GiB / 4) {
    EXPECT_EQ(b.reaches(a), a < reach) << std::hex << a;
    EXPECT_EQ(b.blocked(a), a >= reach) << std::hex << a;
  }
  EXPECT_TRUE(b.reaches(reach - 1));
  // With 1 GiB pages the same RAM takes no table.
  const Built big(4, true, {{4 * GiB, 200 * GiB}});
  EXPECT_EQ(big.built.shortfall, vtd::Shortfall::none);
  EXPECT_EQ(big.built.pool_used, 0u);
  EXPECT_TRUE(big.reaches(200 * GiB - 1));
}

TEST(VtdHighTablesPool, EndsOffBoundariesCanUseUpThePoolToo) {
  // 130 ranges of a page, each in its own 2 MiB region of GiB 4: a page
  // directory, then a page table each; the 128th table is the last.
  std::vector<PhysRange> ram;
  for (uint64_t i = 0; i < 130; ++i) {
    ram.push_back({4 * GiB + i * 4 * MiB + 0x1000, 4 * GiB + i * 4 * MiB + 0x2000});
  }
  const Built b(3, true, ram);
  ASSERT_TRUE(b.ok);
  EXPECT_EQ(b.built.shortfall, vtd::Shortfall::pool);
  EXPECT_EQ(b.built.pool_used, vtd::pool_tables);
  EXPECT_EQ(b.built.high_reach, ram[vtd::pool_tables - 1].first);
  for (size_t i = 0; i < ram.size(); ++i) {
    EXPECT_EQ(b.reaches(ram[i].first), i + 1 < vtd::pool_tables) << i;
  }
  // Nothing after where it stopped, not even RAM that would need no table
  // (a 1 GiB page in the page-directory-pointer table there is).
  ram.push_back({6 * GiB, 7 * GiB});
  const Built later(3, true, ram);
  EXPECT_EQ(later.built.high_reach, ram[vtd::pool_tables - 1].first);
  EXPECT_TRUE(later.blocked(6 * GiB));
  EXPECT_EQ(later.t->pdpt[6], 0u);
  // Without the small ranges it is a 1 GiB page.
  const Built alone(3, true, {{6 * GiB, 7 * GiB}});
  EXPECT_TRUE(alone.reaches(6 * GiB));
  EXPECT_EQ(alone.built.pool_used, 0u);
}

TEST(VtdHighTablesWidth, AUnitsMgawBelowTheWalksWidthEndsTheRamThere) {
  // 4 levels (48 bits) but a unit that translates 36: RAM to 64 GiB.
  const Built b(4, true, {{4 * GiB, 128 * GiB}}, 36);
  ASSERT_TRUE(b.ok);
  EXPECT_EQ(b.built.shortfall, vtd::Shortfall::address_width);
  EXPECT_EQ(b.built.high_reach, 64 * GiB);
  EXPECT_TRUE(b.reaches(64 * GiB - 1));
  EXPECT_TRUE(b.blocked(64 * GiB));
  // A range wholly past it: the RAM before it is all mapped, the reach is
  // where the range begins.
  const Built past(4, true, {{4 * GiB, 8 * GiB}, {100 * GiB, 101 * GiB}}, 36);
  EXPECT_EQ(past.built.shortfall, vtd::Shortfall::address_width);
  EXPECT_EQ(past.built.high_reach, 100 * GiB);
  EXPECT_TRUE(past.reaches(8 * GiB - 1));
  EXPECT_TRUE(past.blocked(100 * GiB));
  // A width at or below 4 GiB: no RAM above it mapped, below as ever.
  const Built narrow(3, true, {{4 * GiB, 8 * GiB}}, 32);
  EXPECT_TRUE(narrow.ok);
  EXPECT_EQ(narrow.built.high_reach, 4 * GiB);
  EXPECT_EQ(narrow.built.shortfall, vtd::Shortfall::address_width);
  EXPECT_TRUE(narrow.blocked(4 * GiB));
  EXPECT_TRUE(narrow.reaches(0x100000));
}

TEST(VtdHighTablesWidth, PastTheFirst512GiBAndTheFirst256TiB) {
  // 4 levels: RAM at 1 TiB takes a page-directory-pointer table.
  const Built four(4, true, {{1ull << 40, (1ull << 40) + 2 * GiB}});
  EXPECT_EQ(four.built.pool_used, 1u);
  EXPECT_TRUE(four.reaches(1ull << 40));
  EXPECT_TRUE(four.reaches((1ull << 40) + 2 * GiB - 1));
  EXPECT_TRUE(four.blocked((1ull << 40) + 2 * GiB));
  // 3 levels cannot reach it.
  const Built three(3, true, {{1ull << 40, (1ull << 40) + 2 * GiB}});
  EXPECT_EQ(three.built.shortfall, vtd::Shortfall::address_width);
  EXPECT_EQ(three.built.high_reach, 1ull << 40);
  EXPECT_TRUE(three.blocked(1ull << 40));
  // 5 levels: RAM at 300 TiB takes a PML4 and a page-directory-pointer
  // table, 2 MiB pages a page directory more.
  const uint64_t far = 300ull << 40;
  const Built five(5, false, {{far, far + 4 * MiB}});
  EXPECT_EQ(five.built.shortfall, vtd::Shortfall::none);
  EXPECT_EQ(five.built.pool_used, 3u);
  EXPECT_TRUE(five.reaches(far));
  EXPECT_TRUE(five.reaches(far + 4 * MiB - 1));
  EXPECT_TRUE(five.blocked(far + 4 * MiB));
  EXPECT_TRUE(five.blocked(far - 1));
}

}  // namespace
