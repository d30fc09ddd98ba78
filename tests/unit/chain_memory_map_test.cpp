// What chain mode's INT 15h tells the guest (vmm/guests/bios_chain/memory_map.h):
// the map cut around the VMM and the stub, the answers to E820, E801 and
// AH=88h, and the buffer check that keeps the VMM's one store into guest
// memory out of its own.
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "layout.h"
#include "vmm_plan.h"
#include "guests/bios_chain/memory_map.h"

namespace layout {
// For the comparisons below (found by argument-dependent lookup).
bool operator==(const E820Entry& a, const E820Entry& b) {
  return a.base == b.base && a.length == b.length && a.type == b.type;
}
void PrintTo(const E820Entry& e, std::ostream* os) {
  *os << std::hex << "{0x" << e.base << ", 0x" << e.length << ", " << e.type << "}";
}
}  // namespace layout

namespace {

using layout::E820Entry;
using guests::bios_chain::GuestMemoryMap;

constexpr uint64_t stub = 0x9EC00;  // 40:13 = 636 KiB, less the stub's KiB
constexpr uint32_t smap = layout::E820_SMAP;

constexpr uint64_t whole_space = 1ull << 48;  // what the EPT maps on a 48-bit CPU

std::unique_ptr<GuestMemoryMap> build(const E820Entry* fw, uint32_t n, uint64_t vmm_first,
                                      uint64_t vmm_end, bool* ok = nullptr,
                                      uint64_t mapped_end = whole_space) {
  auto m = std::make_unique<GuestMemoryMap>();
  const bool built =
      guests::bios_chain::build_guest_memory_map(fw, n, stub, vmm_first, vmm_end, mapped_end, *m);
  if (ok != nullptr) *ok = built;
  return m;
}

std::vector<E820Entry> entries(const GuestMemoryMap& m) {
  return {m.entries, m.entries + m.count};
}

TEST(ChainMemoryMap, TheBochsMapCutAroundTheStubAndTheVmm) {
  auto m = build(vmm_plan::bochs_e820, 5, layout::VMM_ADDR, layout::VMM_MEMORY_END);
  const std::vector<E820Entry> want = {
      {0x0, stub, 1, 0},
      {stub, 0x9F000 - stub, 2, 0},
      {0x9F000, 0x1000, 2, 0},
      {0xE8000, 0x18000, 2, 0},
      {0x100000, layout::VMM_ADDR - 0x100000, 1, 0},
      {layout::VMM_ADDR, layout::VMM_MEMORY_END - layout::VMM_ADDR, 2, 0},
      {layout::VMM_MEMORY_END, 0x3FF0000 - layout::VMM_MEMORY_END, 1, 0},
      {0x3FF0000, 0x10000, 3, 0},
  };
  EXPECT_EQ(entries(*m), want);
  // Only the 3 MiB below the VMM join on at 1 MiB: E801 and 88h stop there.
  EXPECT_EQ(m->kib_from_1m, 3072u);
  EXPECT_EQ(m->blocks_from_16m, 0u);
}

TEST(ChainMemoryMap, AVmmRangeAcrossTwoEntriesReservesItsPartOfEach) {
  const E820Entry fw[] = {{0x100000, 0x300000, 1, 0}, {0x400000, 0x400000, 1, 0}};
  auto m = build(fw, 2, 0x380000, 0x480000);
  const std::vector<E820Entry> want = {
      {0x100000, 0x280000, 1, 0}, {0x380000, 0x80000, 2, 0},
      {0x400000, 0x80000, 2, 0},  {0x480000, 0x380000, 1, 0},
  };
  EXPECT_EQ(entries(*m), want);
}

TEST(ChainMemoryMap, MemoryPastSixteenMibCountsInBlocks) {
  // The VMM placed high (a test value): E801 reports the 15 MiB below
  // 16 MiB in AX and the 64 KiB blocks from 16 MiB up to the VMM in BX.
  const E820Entry fw[] = {{0x100000, 0x7F00000, 1, 0}};
  auto m = build(fw, 1, 0x2000000, 0x2200000);
  EXPECT_EQ(m->kib_from_1m, 31u * 1024);
  EXPECT_EQ(m->blocks_from_16m, 256u);
  const guests::bios_chain::Int15Answer a = guests::bios_chain::answer_int15(*m, {0xE801, 0, 0, 0});
  EXPECT_FALSE(a.carry);
  EXPECT_EQ(a.eax, 15u * 1024);
  EXPECT_EQ(a.ecx, 15u * 1024);
  EXPECT_EQ(a.ebx, 256u);
  EXPECT_EQ(a.edx, 256u);
  EXPECT_EQ(guests::bios_chain::answer_int15(*m, {0x8800, 0, 0, 0}).eax, 31u * 1024);
}

TEST(ChainMemoryMap, AnEntryPastTwoToTheSixtyFourIsClampedNotWrapped) {
  const E820Entry fw[] = {{0xFFFFFFFFFFFFF000ull, 0x2000, 1, 0},
                          {0x100000, 0xFFFFFFFFFFFFFFFFull, 1, 0}};
  auto m = build(fw, 2, layout::VMM_ADDR, layout::VMM_MEMORY_END);
  ASSERT_EQ(m->count, 5u);
  EXPECT_EQ(m->entries[0].base + m->entries[0].length, ~0ull);
  EXPECT_EQ(m->entries[0].type, 2u) << "beyond what the EPT maps";
  EXPECT_EQ(m->entries[3].base, uint64_t{layout::VMM_MEMORY_END});
  EXPECT_EQ(m->entries[3].length, whole_space - layout::VMM_MEMORY_END);
  EXPECT_EQ(m->entries[4].base + m->entries[4].length, ~0ull);
  EXPECT_EQ(m->entries[4].type, 2u);
  EXPECT_EQ(m->kib_from_1m, 3072u);
}

TEST(ChainMemoryMap, AFullFirmwareMapNeverOverrunsTheTable) {
  // 128 usable entries of 64 KiB from 0 up: both cuts fall inside them.
  std::vector<E820Entry> fw;
  for (uint64_t i = 0; i < layout::E820_MAX_ENTRIES; ++i) fw.push_back({i << 16, 0x10000, 1, 0});
  auto m = build(fw.data(), 1000, 0x100000 + 0x8000, 0x100000 + 0x28000);
  // more than E820_MAX_ENTRIES given: only that many read.
  EXPECT_LE(m->count, guests::bios_chain::guest_map_max_entries);
  uint64_t covered = 0;
  for (const E820Entry& e : entries(*m)) covered += e.length;
  EXPECT_EQ(covered, uint64_t{layout::E820_MAX_ENTRIES} << 16);
}

TEST(ChainMemoryMap, RangesOutOfOrderAreRefused) {
  bool ok = true;
  build(vmm_plan::bochs_e820, 5, 0x80000, layout::VMM_MEMORY_END, &ok);
  EXPECT_FALSE(ok) << "the VMM below 1 MiB";
  build(vmm_plan::bochs_e820, 5, layout::VMM_MEMORY_END, layout::VMM_ADDR, &ok);
  EXPECT_FALSE(ok) << "an empty or reversed VMM range";
  auto m = std::make_unique<GuestMemoryMap>();
  EXPECT_FALSE(guests::bios_chain::build_guest_memory_map(vmm_plan::bochs_e820, 5, 0x100000, layout::VMM_ADDR,
                                           layout::VMM_MEMORY_END, whole_space, *m))
      << "the stub at 1 MiB";
  build(vmm_plan::bochs_e820, 5, layout::VMM_ADDR, layout::VMM_MEMORY_END, &ok, 0x500000);
  EXPECT_FALSE(ok) << "the EPT ending inside the VMM";
}

TEST(ChainMemoryMap, RamBeyondTheEptsReachIsReserved) {
  // 6 GiB of RAM above 4 GiB, the EPT ending at 8 GiB (its pool used up).
  const E820Entry fw[] = {{0, 0x9F000, 1, 1}, {0x100000, 0xBFF00000, 1, 1},
                          {0x100000000, 0x180000000, 1, 1}};
  auto m = build(fw, 3, layout::VMM_ADDR, layout::VMM_MEMORY_END, nullptr, 0x200000000);
  const std::vector<E820Entry> all = entries(*m);
  ASSERT_GE(all.size(), 2u);
  EXPECT_EQ(all[all.size() - 2], (E820Entry{0x100000000, 0x100000000, 1, 1}));
  EXPECT_EQ(all.back(), (E820Entry{0x200000000, 0x80000000, 2, 1}));
  auto whole = build(fw, 3, layout::VMM_ADDR, layout::VMM_MEMORY_END);
  EXPECT_EQ(entries(*whole).back(), (E820Entry{0x100000000, 0x180000000, 1, 1}));
}

TEST(ChainInt15, E820WalksTheWholeMapAndEndsWithEbxZero) {
  auto m = build(vmm_plan::bochs_e820, 5, layout::VMM_ADDR, layout::VMM_MEMORY_END);
  uint32_t ebx = 0, calls = 0;
  do {
    const guests::bios_chain::Int15Answer a = guests::bios_chain::answer_int15(*m, {0xE820, ebx, 24, smap});
    ASSERT_FALSE(a.carry);
    ASSERT_TRUE(a.store_entry);
    EXPECT_EQ(a.eax, smap);
    EXPECT_EQ(a.ecx, 20u);
    E820Entry e{};
    memcpy(&e, a.entry, 20);
    EXPECT_EQ(e, m->entries[calls]);
    ebx = a.ebx;
    ++calls;
  } while (ebx != 0 && calls < 100);
  EXPECT_EQ(calls, m->count);
}

TEST(ChainInt15, BadE820CallsSetCarryAndAh86) {
  auto m = build(vmm_plan::bochs_e820, 5, layout::VMM_ADDR, layout::VMM_MEMORY_END);
  for (const guests::bios_chain::Int15Call c : {guests::bios_chain::Int15Call{0xE820, 0, 20, 0x12345678},  // not "SMAP"
                                 guests::bios_chain::Int15Call{0xE820, 0, 19, smap},        // short buffer
                                 guests::bios_chain::Int15Call{0xE820, 8, 20, smap},        // past the end
                                 guests::bios_chain::Int15Call{0xE820, ~0u, 20, smap},
                                 guests::bios_chain::Int15Call{0x12345621, 0, 20, smap}}) {  // not ours
    const guests::bios_chain::Int15Answer a = guests::bios_chain::answer_int15(*m, c);
    EXPECT_TRUE(a.carry) << std::hex << c.function << " " << c.ebx;
    EXPECT_FALSE(a.store_entry);
    EXPECT_EQ((a.eax >> 8) & 0xFF, 0x86u);
    EXPECT_EQ(a.eax & 0xFFFF00FF, c.function & 0xFFFF00FF);
    EXPECT_EQ(a.ebx, c.ebx);
    EXPECT_EQ(a.ecx, c.ecx);
  }
}

TEST(ChainInt15, Size88ClampsAndKeepsTheUpperHalfOfEax) {
  const E820Entry fw[] = {{0x100000, 0xFFF00000ull, 1, 0}};
  auto m = build(fw, 1, 0x100000000ull - 0x200000, 0x100000000ull);
  EXPECT_EQ(guests::bios_chain::answer_int15(*m, {0xABCD8800, 0, 0, 0}).eax, 0xABCDFFFFu);
}

TEST(ChainInt15, TheBufferMustLieWhereRealModeReachesWithPagingOff) {
  uint64_t at = 0;
  EXPECT_TRUE(guests::bios_chain::int15_buffer(0x7000, 0xFFFF0000 | 0x10, false, 0, at));
  EXPECT_EQ(at, 0x7010u) << "DI only, as real mode addresses it";
  EXPECT_TRUE(guests::bios_chain::int15_buffer(0xFFFF0, 0xFFEC, false, 0, at));
  EXPECT_EQ(at, 0x10FFDCu) << "the last 20 bytes real mode reaches";
  EXPECT_FALSE(guests::bios_chain::int15_buffer(0xFFFF0, 0xFFED, false, 0, at)) << "one byte past FFFF:FFFF";
  EXPECT_FALSE(guests::bios_chain::int15_buffer(layout::VMM_ADDR, 0, false, 0, at)) << "ES from unreal mode";
  EXPECT_FALSE(guests::bios_chain::int15_buffer(~0ull, 0xFFFF, false, 0, at)) << "no wrap";
  EXPECT_FALSE(guests::bios_chain::int15_buffer(0x7000, 0, true, 0, at)) << "paging on";
  EXPECT_FALSE(guests::bios_chain::int15_buffer(0x7000, 0, false, 3, at)) << "CPL 3 (V86 mode, or ring 3)";
}

}  // namespace
