// stage2's memory check (common/usable_ram.h): does the E820 map cover the
// VMM's range with usable RAM, and where does that RAM end if not.
#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "common/usable_ram.h"
#include "layout.h"

namespace {

using layout::E820Entry;

constexpr uint64_t kNeedFirst = layout::VMM_ADDR, kNeedEnd = layout::VMM_MEMORY_END;
constexpr uint32_t kRam = 1, kReserved = 2, kAcpi = 3;

uint64_t end_of(const std::vector<E820Entry>& map, uint64_t first = kNeedFirst,
                uint64_t end = kNeedEnd) {
  return usable_ram::end_of_usable(map.data(), uint32_t(map.size()), first, end);
}

// What the Bochs BIOS reports with `megs: 64` and `megs: 6` (its ACPI tables
// in the last 64 KiB of RAM).
const std::vector<E820Entry> kBochs64Mib = {
    {0x0, 0x9F000, kRam, 1},         {0x9F000, 0x1000, kReserved, 1},
    {0xE8000, 0x18000, kReserved, 1}, {0x100000, 0x3EF0000, kRam, 1},
    {0x3FF0000, 0x10000, kAcpi, 1},   {0xFFFC0000, 0x40000, kReserved, 1}};
const std::vector<E820Entry> kBochs6Mib = {
    {0x0, 0x9F000, kRam, 1},         {0x9F000, 0x1000, kReserved, 1},
    {0xE8000, 0x18000, kReserved, 1}, {0x100000, 0x4F0000, kRam, 1},
    {0x5F0000, 0x10000, kAcpi, 1},    {0xFFFC0000, 0x40000, kReserved, 1}};

TEST(UsableRam, TheBochsMapsWith64And6Mib) {
  EXPECT_EQ(end_of(kBochs64Mib), kNeedEnd);
  EXPECT_EQ(end_of(kBochs6Mib), 0x5F0000u);
}

TEST(UsableRam, AnEmptyMapOffersNothing) {
  EXPECT_EQ(end_of({}), kNeedFirst);
}

TEST(UsableRam, ExactlyTheRangeIsEnoughAndOneByteLessIsNot) {
  EXPECT_EQ(end_of({{kNeedFirst, kNeedEnd - kNeedFirst, kRam, 1}}), kNeedEnd);
  EXPECT_EQ(end_of({{kNeedFirst, kNeedEnd - kNeedFirst - 1, kRam, 1}}), kNeedEnd - 1);
  EXPECT_EQ(end_of({{kNeedFirst + 1, kNeedEnd, kRam, 1}}), kNeedFirst);
}

TEST(UsableRam, AdjacentEntriesInAnyOrderJoin) {
  std::vector<E820Entry> map = {{0x100000, 0x300000, kRam, 1},
                                {0x400000, 0x100000, kRam, 1},
                                {0x500000, 0x80000, kRam, 1},
                                {0x580000, 0x1000000, kRam, 1}};
  std::sort(map.begin(), map.end(), [](auto& a, auto& b) { return a.base < b.base; });
  do {
    EXPECT_EQ(end_of(map), kNeedEnd);
  } while (std::next_permutation(map.begin(), map.end(),
                                 [](auto& a, auto& b) { return a.base < b.base; }));
}

TEST(UsableRam, ManyPiecesInReverseOrderJoin) {
  // 128 pieces of 16 KiB from 4 MiB down: every pass but the last joins one.
  std::vector<E820Entry> map;
  for (uint64_t i = 0; i < layout::E820_MAX_ENTRIES; ++i) {
    map.push_back({kNeedFirst + (127 - i) * 0x4000, 0x4000, kRam, 1});
  }
  EXPECT_EQ(end_of(map, kNeedFirst, kNeedFirst + 128 * 0x4000), kNeedFirst + 128 * 0x4000);
  EXPECT_EQ(end_of(map, kNeedFirst, kNeedFirst + 128 * 0x4000 + 1), kNeedFirst + 128 * 0x4000);
}

TEST(UsableRam, OverlappingUsableEntriesJoin) {
  EXPECT_EQ(end_of({{0x100000, 0x380000, kRam, 1}, {0x300000, 0x400000, kRam, 1}}), kNeedEnd);
  // One inside the other adds nothing.
  EXPECT_EQ(end_of({{0x100000, 0x480000, kRam, 1}, {0x400000, 0x10000, kRam, 1}}), 0x580000u);
}

TEST(UsableRam, AGapEndsTheUsableRam) {
  EXPECT_EQ(end_of({{0x100000, 0x400000, kRam, 1}, {0x501000, 0x1000000, kRam, 1}}), 0x500000u);
}

TEST(UsableRam, RamReportedAsReservedTooIsNotUsable) {
  // A reserved range inside the usable one, before the need, inside it,
  // straddling its start, and one that only touches it.
  const E820Entry ram = {0x100000, 0x1000000, kRam, 1};
  EXPECT_EQ(end_of({ram, {0x200000, 0x1000, kReserved, 1}}), kNeedEnd);
  EXPECT_EQ(end_of({{0x500000, 0x1000, kReserved, 1}, ram}), 0x500000u);
  EXPECT_EQ(end_of({ram, {0x3FF000, 0x2000, kReserved, 1}}), kNeedFirst);
  EXPECT_EQ(end_of({ram, {kNeedEnd, 0x1000, kReserved, 1}}), kNeedEnd);
  EXPECT_EQ(end_of({ram, {0x3FF000, 0x1000, kReserved, 1}}), kNeedEnd);
  // The lowest of several cuts, whatever their order.
  EXPECT_EQ(end_of({ram, {0x580000, 0x1000, kReserved, 1}, {0x480000, 0x1000, kAcpi, 1}}),
                   0x480000u);
  EXPECT_EQ(end_of({{0x480000, 0x1000, kAcpi, 1}, ram, {0x580000, 0x1000, kReserved, 1}}),
                   0x480000u);
}

TEST(UsableRam, OnlyType1IsUsable) {
  for (uint32_t type : {0u, 2u, 3u, 4u, 5u, 12u, 0xFFFFFFFFu}) {
    EXPECT_EQ(end_of({{0x100000, 0x1000000, type, 1}}), kNeedFirst) << "type " << type;
  }
}

TEST(UsableRam, EmptyEntriesCoverNothingAndCutNothing) {
  const E820Entry ram = {0x100000, 0x1000000, kRam, 1};
  EXPECT_EQ(end_of({{kNeedFirst, 0, kRam, 1}}), kNeedFirst);
  EXPECT_EQ(end_of({ram, {0x500000, 0, kReserved, 1}}), kNeedEnd);
  EXPECT_EQ(end_of({ram, {kNeedFirst, 0, kReserved, 1}}), kNeedEnd);
}

TEST(UsableRam, EntriesThatRunPast2To64DoNotWrap) {
  constexpr uint64_t top = ~uint64_t{0};
  // Covers everything from 4 MiB up (its end would wrap to 0x3FFFFF).
  EXPECT_EQ(end_of({{kNeedFirst, top, kRam, 1}}), kNeedEnd);
  EXPECT_EQ(end_of({{0x100000, top, kRam, 1}}, kNeedFirst, top), top);
  // Starts high and wraps past 2^64 to low addresses: holds none of them.
  EXPECT_EQ(end_of({{0xFFFFFFFFFFFFF000, 0x1000000, kRam, 1}}), kNeedFirst);
  EXPECT_EQ(end_of({{0x100000, 0x1000000, kRam, 1}, {0xFFFFFFFFFFFFF000, top, kReserved, 1}}),
            kNeedEnd);
  // A reserved entry with the largest length from below the need cuts at its start.
  EXPECT_EQ(end_of({{0x100000, 0x1000000, kRam, 1}, {0x200000, top, kReserved, 1}}), kNeedFirst);
}

TEST(UsableRam, AnEmptyRangeIsCovered) {
  EXPECT_EQ(end_of({}, kNeedFirst, kNeedFirst), kNeedFirst);
}

}  // namespace
