// The identity EPT above 4 GiB (vmm/vmx/identity_ept_high.h): the whole
// space the CPU reports, RAM above 4 GiB and what else decodes there, with
// 1 GiB pages where the CPU's EPT has them, and where the mapping ends
// when the tables' pool runs out.
#include <gtest/gtest.h>

#include <memory>

#include "layout.h"
#include "vmx/ept.h"
#include "vmx/identity_ept.h"
#include "vmx/identity_ept_high.h"

namespace {

constexpr uint64_t gib = 1ull << 30;
constexpr uint64_t high_physical = 0x500000;
constexpr uint64_t large_page = 1ull << 7;

// A PC with 16 GiB: 3 GiB below 4 GiB, the PCI hole, 13 GiB from 4 GiB on.
const layout::E820Entry pc_e820[] = {
    {0, 0x9F000, 1, 1},        {0x100000, 0xBFF00000, 1, 1},  {0xFEC00000, 0x1400000, 2, 1},
    {0x100000000, 0x340000000, 1, 1},
};

struct Tables {
  std::unique_ptr<vmx::IdentityEptTables> low = std::make_unique<vmx::IdentityEptTables>();
  std::unique_ptr<vmx::IdentityEptHigh> high = std::make_unique<vmx::IdentityEptHigh>();
  uint64_t end = 0;
  bool maps(uint64_t a) const { return vmx::identity_ept_high_maps(*low, *high, high_physical, a); }
  uint8_t type(uint64_t a) const { return vmx::identity_ept_high_type(*low, *high, high_physical, a); }
};

Tables build(vmx::EptReach reach, const vmx::Mtrrs* mtrrs = nullptr,
             const layout::E820Entry* map = pc_e820, uint32_t count = 4) {
  Tables t;
  EXPECT_TRUE(vmx::build_identity_ept(*t.low, layout::IDENTITY_EPT_ADDR, map, count, mtrrs,
                                      layout::VMM_ADDR, layout::VMM_MEMORY_END));
  t.end = vmx::map_identity_ept_high(*t.low, *t.high, high_physical, map, count, mtrrs, reach);
  return t;
}

TEST(IdentityEptHigh, TheSpaceEndsWhereTheCpuSaysAtMost48Bits) {
  EXPECT_EQ(vmx::identity_ept_space_end(36), 64 * gib);
  EXPECT_EQ(vmx::identity_ept_space_end(39), 512 * gib);
  EXPECT_EQ(vmx::identity_ept_space_end(52), 1ull << 48) << "a 4-level EPT walks 48 bits";
  EXPECT_EQ(vmx::identity_ept_space_end(0), 4 * gib) << "never below what the low tables map";
}

TEST(IdentityEptHigh, With1GiBPagesTheWholeSpaceIdentityMapped) {
  const Tables t = build({40, true});
  EXPECT_EQ(t.end, 1ull << 40);
  for (uint64_t a : std::initializer_list<uint64_t>{4 * gib, 4 * gib + 0x1234000, 16 * gib, 16 * gib + 4096, 600 * gib,
                     (1ull << 40) - 4096}) {
    EXPECT_TRUE(t.maps(a)) << std::hex << a;
  }
  EXPECT_FALSE(t.maps(1ull << 40)) << "past the CPU's width";
  EXPECT_FALSE(t.maps(3 * gib)) << "below 4 GiB is the low tables'";
  // RAM up to 17 GiB write-back, the rest (no RAM) uncacheable, no MTRRs.
  EXPECT_EQ(t.type(4 * gib), vmx::ept_memory_type_wb);
  EXPECT_EQ(t.type(16 * gib + 0x200000), vmx::ept_memory_type_wb);
  EXPECT_EQ(t.type(17 * gib), vmx::ept_memory_type_uc);
  EXPECT_EQ(t.type(900 * gib), vmx::ept_memory_type_uc);
  // 1 GiB pages: the PDPT's entries are leaves, the second 512 GiB's PDPT
  // in the pool, named by the PML4's entry 1.
  EXPECT_NE(t.low->pdpt[4] & large_page, 0u);
  EXPECT_EQ(t.low->pdpt[4] & 0x000FFFFFFFFFF000ull, 4 * gib);
  EXPECT_EQ(t.low->pml4[1] & 0x000FFFFFFFFFF000ull, high_physical);
  EXPECT_EQ(t.low->pml4[2], 0u);
}

TEST(IdentityEptHigh, AGiBOfTwoTypesIsSplitInto2MiBPages) {
  // RAM ending 2 MiB into a GiB: that GiB is written back where RAM is.
  const layout::E820Entry map[] = {{0x100000, 0x3FF00000, 1, 1}, {0x100000000, 0x40200000, 1, 1}};
  const Tables t = build({39, true}, nullptr, map, 2);
  EXPECT_NE(t.low->pdpt[4] & large_page, 0u) << "the first GiB: RAM, one type";
  EXPECT_EQ(t.low->pdpt[5] & large_page, 0u) << "the second: a page directory";
  EXPECT_EQ(t.type(5 * gib), vmx::ept_memory_type_wb);
  EXPECT_EQ(t.type(5 * gib + 0x200000), vmx::ept_memory_type_uc);
  EXPECT_TRUE(t.maps(5 * gib + 0x300000));
}

TEST(IdentityEptHigh, TheMtrrsTypesAboveFourGiB) {
  // Default WB; a variable range makes [64 GiB, 64 GiB + 512 MiB) UC (a
  // 64-bit BAR's window): that GiB is split, its 2 MiB pages typed.
  vmx::Mtrrs m{};
  m.cap = 0x508;  // WC, FIX, 8 variable ranges
  m.def_type = vmx::mtrr_def_enable | 6;
  m.base[0] = (64 * gib) | 0;  // UC
  m.mask[0] = (~(512ull * (1 << 20) - 1) & ((1ull << 40) - 1)) | vmx::mtrr_mask_valid;
  const Tables t = build({40, true}, &m);
  EXPECT_EQ(t.type(63 * gib), vmx::ept_memory_type_wb);
  EXPECT_EQ(t.type(64 * gib), vmx::ept_memory_type_uc);
  EXPECT_EQ(t.type(64 * gib + 511 * (1 << 20)), vmx::ept_memory_type_uc);
  EXPECT_EQ(t.type(64 * gib + 512 * (1 << 20)), vmx::ept_memory_type_wb);
  EXPECT_EQ(t.low->pdpt[64] & large_page, 0u);
}

TEST(IdentityEptHigh, Without1GiBPagesThePoolEndsTheMapping) {
  // Every GiB takes a page directory: the pool maps 64 GiB above 4 GiB.
  const Tables t = build({40, false});
  EXPECT_EQ(t.end, (4 + vmx::identity_ept_high_tables) * gib);
  EXPECT_TRUE(t.maps(t.end - 4096));
  EXPECT_FALSE(t.maps(t.end));
  EXPECT_EQ(t.low->pdpt[4] & large_page, 0u);
  EXPECT_EQ(t.type(16 * gib), vmx::ept_memory_type_wb);
  // A 36-bit CPU's 64 GiB fit.
  EXPECT_EQ(build({36, false}).end, 64 * gib);
}

TEST(IdentityEptHigh, A48BitSpaceWith1GiBPagesEndsWhereThePoolDoes) {
  // One PDPT per 512 GiB: the pool holds 64 of them, the first 512 GiB's
  // being the low tables' own.
  const Tables t = build({48, true});
  EXPECT_EQ(t.end, (vmx::identity_ept_high_tables + 1) * 512 * gib);
  EXPECT_TRUE(t.maps(t.end - gib));
  EXPECT_FALSE(t.maps(t.end));
}

TEST(IdentityEptHigh, TheLowTablesAreUntouchedBelowFourGiB) {
  Tables t = build({40, true});
  for (uint64_t a : {0x7C00ull, 0x100000ull, 0xFEE00000ull}) {
    EXPECT_TRUE(vmx::identity_ept_maps(*t.low, a)) << std::hex << a;
  }
  EXPECT_FALSE(vmx::identity_ept_maps(*t.low, layout::VMM_ADDR));
}

}  // namespace
