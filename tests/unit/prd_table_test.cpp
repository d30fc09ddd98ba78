// The VMM's copy and check of a guest's PRD table (vmm/devices/prd_table.h):
// each entry's place checked before it is read and read once, each region
// inside the guest's RAM, out of the VMM, within its 64 KiB, in sums that
// cannot wrap; zero counts as 64 KiB; a table without its end refused.
#include <gtest/gtest.h>

#include <vector>

#include "devices/prd_table.h"
#include "dma_test_memory.h"
#include "fake_guest_physical.h"

namespace {

using devices::PrdCheck;
using devices::PrdEntry;
using devices::PrdProblem;
using fake_guest_physical::Read;

constexpr uint32_t table = 0x7E00;
constexpr uint16_t eot = devices::prd_end_of_table;

struct PrdTable : testing::Test {
  std::unique_ptr<devices::DmaRam> ram = dma_test::bochs_ram();
  std::vector<PrdEntry> copy = std::vector<PrdEntry>(devices::prd_max_entries);
  void SetUp() override { fake_guest_physical::reset(); }
  void guest_table(uint32_t at, const std::vector<PrdEntry>& entries) {
    for (size_t i = 0; i < entries.size(); ++i) fake_guest_physical::write(at + 8 * i, entries[i]);
  }
  PrdCheck copy_at(uint32_t at) {
    return devices::copy_prd_table(*ram, dma_test::vmm_first, dma_test::vmm_end, at, copy.data());
  }
  PrdProblem one(uint32_t address, uint16_t count) {
    guest_table(table, {{address, count, eot}});
    return copy_at(table).problem;
  }
};

TEST_F(PrdTable, ATableInTheGuestsRamIsCopiedUpToItsEndEachEntryReadOnce) {
  guest_table(table, {{0x8000, 512, 0}, {0x10000, 0, eot}, {0x400000, 512, eot}});
  const PrdCheck check = copy_at(table);
  EXPECT_EQ(check.problem, PrdProblem::none);
  EXPECT_EQ(check.entry, 2u) << "entries copied";
  EXPECT_EQ(copy[0].address, 0x8000u);
  EXPECT_EQ(copy[1].count, 0) << "64 KiB";
  EXPECT_EQ(copy[1].flags, eot);
  EXPECT_EQ(fake_guest_physical::reads, (std::vector<Read>{{table, 8}, {table + 8, 8}}))
      << "nothing past the end of the table is read";
}

TEST_F(PrdTable, TheCopyHoldsWhatWasCheckedNotWhatTheGuestWritesLater) {
  guest_table(table, {{0x8000, 512, eot}});
  ASSERT_EQ(copy_at(table).problem, PrdProblem::none);
  guest_table(table, {{0x400000, 512, eot}});
  EXPECT_EQ(copy[0].address, 0x8000u);
}

TEST_F(PrdTable, ARegionInTheVmmIsRefused) {
  guest_table(table, {{0x8000, 512, 0}, {layout::VMM_ADDR, 512, eot}});
  const PrdCheck check = copy_at(table);
  EXPECT_EQ(check.problem, PrdProblem::region_in_vmm);
  EXPECT_EQ(check.entry, 1u);
  EXPECT_EQ(check.address, layout::VMM_ADDR);
  EXPECT_EQ(one(layout::VMM_MEMORY_END - 2, 2), PrdProblem::region_in_vmm);
  EXPECT_EQ(one(0x500000, 0x1000), PrdProblem::region_in_vmm);
}

TEST_F(PrdTable, ARegionUpToTheVmmButNotIntoIt) {
  EXPECT_EQ(one(0x3FFE00, 0x200), PrdProblem::none);
  EXPECT_EQ(one(0x3FFE00, 0x202), PrdProblem::region_in_vmm);
  EXPECT_EQ(one(layout::VMM_MEMORY_END, 0x200), PrdProblem::none);
}

TEST_F(PrdTable, ACountOfZeroIs64KibAndBit0OfTheCountIsIgnored) {
  EXPECT_EQ(one(0x3F0000, 0), PrdProblem::none) << "64 KiB, ending at the VMM";
  EXPECT_EQ(one(0x3F0002, 0), PrdProblem::region_in_vmm) << "64 KiB from 2 bytes on";
  EXPECT_EQ(one(0x3F0002, 1), PrdProblem::region_in_vmm) << "1 & 0xFFFE = 0: 64 KiB";
  EXPECT_EQ(one(0x3FFFFC, 3), PrdProblem::none) << "3 is 2";
  guest_table(table, {{0x8000, 0x201, 0xFFFF}});
  ASSERT_EQ(copy_at(table).problem, PrdProblem::none);
  EXPECT_EQ(copy[0].count, 0x200) << "written to the controller as checked";
  EXPECT_EQ(copy[0].flags, eot);
}

TEST_F(PrdTable, AnOddAddressIsCheckedFromTheByteBelowAndToItsOwnEnd) {
  // A PIIX ignores bit 0 of the address, Bochs does not.
  EXPECT_EQ(one(0x3FFE01, 0x200), PrdProblem::region_in_vmm);
  EXPECT_EQ(one(0x8001, 0x200), PrdProblem::none);
  EXPECT_EQ(one(0x9EE00, 0x200), PrdProblem::none) << "0x9EE00-0x9EFFF";
  EXPECT_EQ(one(0x9EE01, 0x200), PrdProblem::region_not_ram) << "to 0x9F000: Bochs' end";
}

TEST_F(PrdTable, ARegionAcross64KibOrWrapping32BitsIsRefused) {
  EXPECT_EQ(one(0x8FF00, 0x200), PrdProblem::region_crosses_64k);
  EXPECT_EQ(one(0x80000, 0), PrdProblem::none);
  // 0xFFFFFF00 + 0x200 wraps to 0x100 in 32 bits, below the VMM and in RAM.
  EXPECT_NE(one(0xFFFFFF00, 0x200), PrdProblem::none);
  EXPECT_NE(one(0xFFFFFFFE, 0), PrdProblem::none);
}

TEST_F(PrdTable, AWrappingRegionIsRefusedWhereBothItsEndsAreRam) {
  // RAM at the top of 4 GiB and from 0: a region from 0xFFFFFF00 that a
  // 32-bit sum would end at 0x100.
  const layout::E820Entry map[] = {{0, 0x9F000, 1, 0}, {0xFFFF0000, 0x10000, 1, 0}};
  devices::build_dma_ram(map, 2, dma_test::vmm_first, dma_test::vmm_end, *ram);
  EXPECT_EQ(one(0xFFFFFE00, 0x200), PrdProblem::none) << "up to 4 GiB";
  EXPECT_NE(one(0xFFFFFF00, 0x200), PrdProblem::none);
  EXPECT_NE(one(0xFFFFFFFE, 0), PrdProblem::none);
}

TEST_F(PrdTable, ARegionOutsideTheGuestsRamIsRefused) {
  EXPECT_EQ(one(0x9F000, 0x200), PrdProblem::region_not_ram) << "the EBDA, reserved";
  EXPECT_EQ(one(0xB8000, 0x200), PrdProblem::region_not_ram) << "VGA";
  EXPECT_EQ(one(0x3FF0000, 0x200), PrdProblem::region_not_ram) << "ACPI data";
  EXPECT_EQ(one(0x8000000, 0x200), PrdProblem::region_not_ram) << "past the RAM";
  EXPECT_EQ(one(0xFEE00000, 0x200), PrdProblem::region_not_ram) << "the local APIC";
}

TEST_F(PrdTable, ATableWithoutItsEndWithin256EntriesIsRefused) {
  std::vector<PrdEntry> entries(devices::prd_max_entries, PrdEntry{0x8000, 512, 0});
  guest_table(0x10000, entries);
  PrdCheck check = copy_at(0x10000);
  EXPECT_EQ(check.problem, PrdProblem::no_end_of_table);
  EXPECT_EQ(fake_guest_physical::reads.size(), devices::prd_max_entries) << "and read no further";
  entries.back().flags = eot;
  guest_table(0x10000, entries);
  check = copy_at(0x10000);
  EXPECT_EQ(check.problem, PrdProblem::none) << "256 entries, the last with the end";
  EXPECT_EQ(check.entry, devices::prd_max_entries);
}

TEST_F(PrdTable, ATableInTheVmmOrReservedMemoryIsNotRead) {
  PrdCheck check = copy_at(layout::VMM_ADDR);
  EXPECT_EQ(check.problem, PrdProblem::table_not_ram);
  EXPECT_EQ(check.entry, 0u);
  EXPECT_TRUE(fake_guest_physical::reads.empty()) << "the VMM's memory is never read for a guest";
  // A table running into the VMM: its first entry read, its second not.
  guest_table(0x3FFFF8, {{0x8000, 512, 0}});
  check = copy_at(0x3FFFF8);
  EXPECT_EQ(check.problem, PrdProblem::table_not_ram);
  EXPECT_EQ(check.entry, 1u);
  EXPECT_EQ(check.address, layout::VMM_ADDR);
  EXPECT_EQ(fake_guest_physical::reads, (std::vector<Read>{{0x3FFFF8, 8}}));
  EXPECT_EQ(copy_at(0x9F000).problem, PrdProblem::table_not_ram);
  EXPECT_EQ(copy_at(0xFFFFFFF8).problem, PrdProblem::table_not_ram);
}

TEST_F(PrdTable, BitsOneAndZeroOfTheTablesAddressAreIgnored) {
  guest_table(table, {{0x8000, 512, eot}});
  EXPECT_EQ(copy_at(table + 3).problem, PrdProblem::none);
  EXPECT_EQ(fake_guest_physical::reads, (std::vector<Read>{{table, 8}}));
}

TEST(PrdTableNames, EachProblemHasItsName) {
  EXPECT_STREQ(devices::prd_problem_name(PrdProblem::region_in_vmm), "region-in-vmm");
  EXPECT_STREQ(devices::prd_problem_name(PrdProblem::no_end_of_table), "no-end-of-table");
}

}  // namespace
