// Where a DMA the guest programs may go (vmm/devices/dma_ram.h): the
// firmware's usable RAM below 4 GiB less the VMM's memory, from maps in any
// order, overlapping, reserved inside usable, wrapping 2^64.
#include <gtest/gtest.h>

#include <vector>

#include "dma_test_memory.h"

namespace {

using devices::DmaRam;
using layout::E820Entry;
using dma_test::vmm_end;
using dma_test::vmm_first;

std::vector<std::pair<uint64_t, uint64_t>> ranges(const DmaRam& ram) {
  std::vector<std::pair<uint64_t, uint64_t>> out;
  for (uint32_t i = 0; i < ram.count; ++i) out.emplace_back(ram.ranges[i].first, ram.ranges[i].end);
  return out;
}

std::unique_ptr<DmaRam> build(const std::vector<E820Entry>& map) {
  auto ram = std::make_unique<DmaRam>();
  devices::build_dma_ram(map.data(), static_cast<uint32_t>(map.size()), vmm_first, vmm_end, *ram);
  return ram;
}

TEST(DmaRam, TheBochsMapLessTheVmm) {
  auto ram = dma_test::bochs_ram();
  EXPECT_EQ(ranges(*ram), (std::vector<std::pair<uint64_t, uint64_t>>{
                              {0, 0x9F000}, {0x100000, vmm_first}, {vmm_end, 0x3FF0000}}));
  EXPECT_TRUE(devices::dma_ram_holds(*ram, 0x7C00, 512));
  EXPECT_FALSE(devices::dma_ram_holds(*ram, 0x9EF00, 0x200)) << "into the EBDA";
  EXPECT_FALSE(devices::dma_ram_holds(*ram, 0xB8000, 2)) << "VGA";
  EXPECT_TRUE(devices::dma_ram_holds(*ram, 0x3FFE00, 0x200)) << "up to the VMM";
  EXPECT_FALSE(devices::dma_ram_holds(*ram, 0x3FFE00, 0x201)) << "one byte into it";
  EXPECT_FALSE(devices::dma_ram_holds(*ram, vmm_first, 1));
  EXPECT_FALSE(devices::dma_ram_holds(*ram, vmm_end - 1, 2));
  EXPECT_TRUE(devices::dma_ram_holds(*ram, vmm_end, 0x1000));
  EXPECT_FALSE(devices::dma_ram_holds(*ram, 0x3FEFF00, 0x200)) << "into ACPI data";
  EXPECT_FALSE(devices::dma_ram_holds(*ram, 0x7C00, 0)) << "nothing is no region";
}

TEST(DmaRam, EntriesInAnyOrderOverlappingOrTouchingJoin) {
  auto ram = build({{0x150000, 0x200000, 1, 0},
                    {0x80000, 0x1F000, 1, 0},
                    {0x100000, 0x100000, 1, 0},
                    {0, 0x80000, 1, 0},
                    {0x200000, 0, 1, 0}});
  EXPECT_EQ(ranges(*ram), (std::vector<std::pair<uint64_t, uint64_t>>{{0, 0x9F000},
                                                                       {0x100000, 0x350000}}));
  EXPECT_TRUE(devices::dma_ram_holds(*ram, 0x7FF00, 0x200)) << "across two entries";
  EXPECT_TRUE(devices::dma_ram_holds(*ram, 0x1FFF00, 0x200));
}

TEST(DmaRam, ReservedInsideUsableIsNotRam) {
  auto ram = build({{0x1000000, 0x1000000, 1, 0}, {0x1800000, 0x1000, 2, 0}});
  EXPECT_FALSE(devices::dma_ram_holds(*ram, 0x17FFFFF, 2));
  EXPECT_FALSE(devices::dma_ram_holds(*ram, 0x1800800, 1));
  EXPECT_TRUE(devices::dma_ram_holds(*ram, 0x1801000, 0x1000));
}

TEST(DmaRam, EntriesReachingPast4GibOr2To64EndAt4Gib) {
  auto ram = build({{0xFFFFFFFFFFFFF000ull, 0x2000, 1, 0},
                    {0xFFFFF000, 0x100000000ull, 1, 0},
                    {0x200000000ull, 0x1000, 1, 0}});
  EXPECT_EQ(ranges(*ram), (std::vector<std::pair<uint64_t, uint64_t>>{
                              {0xFFFFF000, devices::dma_address_limit}}));
  EXPECT_TRUE(devices::dma_ram_holds(*ram, 0xFFFFFF00, 0x100));
  EXPECT_FALSE(devices::dma_ram_holds(*ram, 0xFFFFFF00, 0x101)) << "past 4 GiB";
  EXPECT_FALSE(devices::dma_ram_holds(*ram, 0xFFFFFFFFFFFFFF00ull, 0x200)) << "no wrap";
}

TEST(DmaRam, AsManyRangesAsAFullMapCanMake) {
  // One usable entry for the 4 GiB cut by the VMM and by 127 reserved
  // pages: a range below the VMM, one from it to the first page, one
  // between each two pages and one after the last.
  std::vector<E820Entry> map{{0, devices::dma_address_limit, 1, 0}};
  for (uint32_t i = 0; i + 1 < layout::E820_MAX_ENTRIES; ++i) {
    map.push_back({0x1000000 + 0x2000ull * i, 0x1000, 2, 0});
  }
  auto ram = build(map);
  EXPECT_EQ(ram->count, 2 + 126 + 1u);
  EXPECT_LE(ram->count, DmaRam::max_ranges);
  EXPECT_TRUE(devices::dma_ram_holds(*ram, 0x1001000, 0x1000));
  EXPECT_FALSE(devices::dma_ram_holds(*ram, 0x1001000, 0x1001));
  EXPECT_EQ(ram->ranges[ram->count - 1].end, devices::dma_address_limit);
}

TEST(DmaRam, TouchingTheVmmWithoutWrapping) {
  using devices::touches_vmm;
  EXPECT_FALSE(touches_vmm(vmm_first - 1, 1, vmm_first, vmm_end));
  EXPECT_TRUE(touches_vmm(vmm_first - 1, 2, vmm_first, vmm_end));
  EXPECT_TRUE(touches_vmm(vmm_end - 1, 1, vmm_first, vmm_end));
  EXPECT_FALSE(touches_vmm(vmm_end, 1, vmm_first, vmm_end));
  EXPECT_TRUE(touches_vmm(0, UINT64_MAX, vmm_first, vmm_end));
  EXPECT_FALSE(touches_vmm(UINT64_MAX, 1, vmm_first, vmm_end));
}

}  // namespace
