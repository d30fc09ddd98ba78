// The RAM above 4 GiB that the remapping tables map (vmm/vtd/high_ram.h),
// from E820 maps as firmware returns them: in any order, overlapping, of
// length 0, off page boundaries, wrapping 2^64, more entries than the boot
// info holds.
#include <gtest/gtest.h>

#include <vector>

#include "layout.h"
#include "vtd/high_ram.h"

namespace {

constexpr uint64_t GiB = 1ull << 30;

std::vector<std::pair<uint64_t, uint64_t>> found(const std::vector<layout::E820Entry>& map,
                                                 uint32_t count = ~0u) {
  vtd::HighRam ram{};
  vtd::find_high_ram(map.data(), count == ~0u ? static_cast<uint32_t>(map.size()) : count, ram);
  std::vector<std::pair<uint64_t, uint64_t>> out;
  for (uint32_t i = 0; i < ram.count; ++i) out.push_back({ram.ranges[i].first, ram.ranges[i].end});
  return out;
}

using Ranges = std::vector<std::pair<uint64_t, uint64_t>>;

TEST(VtdHighRam, AMachineWithRamAbove4GiB) {
  // QEMU's q35 with 6 GiB: 2 GiB below 4 GiB, 4 GiB above.
  const std::vector<layout::E820Entry> q35 = {
      {0, 0x9FC00, 1, 0},           {0x9FC00, 0x400, 2, 0},      {0xF0000, 0x10000, 2, 0},
      {0x100000, 0x7FEDF000, 1, 0}, {0x7FFDF000, 0x21000, 2, 0}, {0xB0000000, 0x10000000, 2, 0},
      {0xFED1C000, 0x4000, 2, 0},   {0xFEFFC000, 0x4000, 2, 0},  {0xFFFC0000, 0x40000, 2, 0},
      {4 * GiB, 4 * GiB, 1, 0}};
  EXPECT_EQ(found(q35), (Ranges{{4 * GiB, 8 * GiB}}));
  vtd::HighRam ram{};
  vtd::find_high_ram(q35.data(), static_cast<uint32_t>(q35.size()), ram);
  EXPECT_EQ(vtd::high_ram_bytes(ram), 4 * GiB);
}

TEST(VtdHighRam, NoneBelow4GiBAndNoneWithout) {
  EXPECT_EQ(found({{0, 0x9FC00, 1, 0}, {0x100000, 0xBFF00000, 1, 0}}), Ranges{});
  EXPECT_EQ(found({}), Ranges{});
  // An entry across 4 GiB: its part above.
  EXPECT_EQ(found({{3 * GiB, 2 * GiB, 1, 0}}), (Ranges{{4 * GiB, 5 * GiB}}));
  // One that ends right at 4 GiB: nothing.
  EXPECT_EQ(found({{3 * GiB, GiB, 1, 0}}), Ranges{});
}

TEST(VtdHighRam, UsableAcpiAndNvsButNoOtherType) {
  EXPECT_EQ(found({{4 * GiB, GiB, 1, 0},
                   {6 * GiB, GiB, 2, 0},     // reserved
                   {8 * GiB, GiB, 3, 0},     // ACPI reclaimable
                   {10 * GiB, GiB, 4, 0},    // ACPI NVS
                   {12 * GiB, GiB, 5, 0},    // unusable
                   {14 * GiB, GiB, 7, 0},    // persistent memory
                   {16 * GiB, GiB, 0, 0}}),  // no type
            (Ranges{{4 * GiB, 5 * GiB}, {8 * GiB, 9 * GiB}, {10 * GiB, 11 * GiB}}));
  // Another type over RAM takes nothing away.
  EXPECT_EQ(found({{4 * GiB, 4 * GiB, 1, 0}, {5 * GiB, GiB, 2, 0}}), (Ranges{{4 * GiB, 8 * GiB}}));
}

TEST(VtdHighRam, UnsortedOverlappingTouchingAndEmptyEntries) {
  EXPECT_EQ(found({{9 * GiB, GiB, 1, 0},
                   {4 * GiB, 2 * GiB, 1, 0},
                   {5 * GiB, 2 * GiB, 3, 0},    // overlaps the one before
                   {7 * GiB, GiB, 4, 0},        // touches it
                   {20 * GiB, 0, 1, 0},         // empty
                   {9 * GiB + 4096, 4096, 1, 0},  // inside another
                   {12 * GiB, GiB, 1, 0}}),
            (Ranges{{4 * GiB, 8 * GiB}, {9 * GiB, 10 * GiB}, {12 * GiB, 13 * GiB}}));
}

TEST(VtdHighRam, PagesTouchedAreTakenWhole) {
  EXPECT_EQ(found({{4 * GiB + 0x800, 0x1000, 1, 0}}), (Ranges{{4 * GiB, 4 * GiB + 0x2000}}));
  EXPECT_EQ(found({{4 * GiB + 0x1FFF, 1, 1, 0}}), (Ranges{{4 * GiB + 0x1000, 4 * GiB + 0x2000}}));
  // Two entries in one page become one range.
  EXPECT_EQ(found({{5 * GiB + 0x100, 0x10, 1, 0}, {5 * GiB + 0x900, 0x10, 1, 0}}),
            (Ranges{{5 * GiB, 5 * GiB + 0x1000}}));
}

TEST(VtdHighRam, EntriesThatWrapOrReachTheTopEndBelow2To64) {
  const uint64_t ceiling = vtd::high_ram_ceiling;
  EXPECT_EQ(ceiling, 0xFFFFFFFFFFFFF000ull);
  EXPECT_EQ(found({{5 * GiB, ~0ull, 1, 0}}), (Ranges{{5 * GiB, ceiling}}));
  EXPECT_EQ(found({{5 * GiB, ~0ull - 4 * GiB, 1, 0}}), (Ranges{{5 * GiB, ceiling}}));
  EXPECT_EQ(found({{5 * GiB, ceiling - 5 * GiB, 1, 0}}), (Ranges{{5 * GiB, ceiling}}));
  EXPECT_EQ(found({{0xFFFFFFFFFFFFE800ull, 0x1000, 1, 0}}),
            (Ranges{{0xFFFFFFFFFFFFE000ull, ceiling}}));
  // At or past the ceiling: nothing there to map.
  EXPECT_EQ(found({{ceiling, 0x10, 1, 0}, {~0ull, ~0ull, 1, 0}}), Ranges{});
  // A base below 4 GiB and a length that wraps: from 4 GiB to the ceiling.
  EXPECT_EQ(found({{0x100000, ~0ull, 1, 0}}), (Ranges{{4 * GiB, ceiling}}));
}

TEST(VtdHighRam, AtMostTheEntriesTheBootInfoHolds) {
  std::vector<layout::E820Entry> map;
  for (uint64_t i = 0; i < layout::E820_MAX_ENTRIES + 2; ++i) {
    map.push_back({4 * GiB + i * 2 * GiB, GiB, 1, 0});
  }
  const Ranges all = found(map);
  ASSERT_EQ(all.size(), layout::E820_MAX_ENTRIES);  // the count said more: 128 read
  EXPECT_EQ(all.front(), (std::pair<uint64_t, uint64_t>{4 * GiB, 5 * GiB}));
  const uint64_t last = 4 * GiB + (layout::E820_MAX_ENTRIES - 1) * 2 * GiB;
  EXPECT_EQ(all.back(), (std::pair<uint64_t, uint64_t>{last, last + GiB}));
  EXPECT_EQ(found(map, 3).size(), 3u);
}

}  // namespace
