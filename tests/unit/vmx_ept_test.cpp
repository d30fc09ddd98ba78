// EPT tables for the guest (vmm/vmx/ept.h).
#include <gtest/gtest.h>

#include <memory>

#include "layout.h"
#include "vmx/ept.h"

namespace {

constexpr uint64_t tables_at = 0x422000;  // any 4 KiB-aligned physical address

struct Ept : ::testing::Test {
  std::unique_ptr<vmx::EptTables> t = std::make_unique<vmx::EptTables>();
};

TEST_F(Ept, MapsOnlyTheGuestFramesAndTheVgaWindow) {
  const vmx::EptRange ranges[] = {{layout::GUEST_ADDR, 0x4400, true},
                                  {layout::VGA_TEXT_ADDR, 0x8000, false}};
  ASSERT_TRUE(vmx::build_ept(*t, tables_at, ranges, 2));
  for (uint64_t a = 0; a < vmx::ept_mapped_limit; a += 4096) {
    const bool guest = a >= layout::GUEST_ADDR && a < layout::GUEST_ADDR + 0x5000;
    const bool vga = a >= 0xB8000 && a < 0xC0000;
    EXPECT_EQ(vmx::ept_maps(*t, a), guest || vga) << std::hex << a;
  }
  EXPECT_FALSE(vmx::ept_maps(*t, 0)) << "IVT/BDA";
  EXPECT_FALSE(vmx::ept_maps(*t, layout::BOOTINFO_ADDR));
  EXPECT_FALSE(vmx::ept_maps(*t, layout::VMM_ADDR)) << "the VMM";
  EXPECT_FALSE(vmx::ept_maps(*t, layout::PAGE_TABLES_ADDR));
}

TEST_F(Ept, EntriesFollowTheSdmLayout) {
  const vmx::EptRange ranges[] = {{layout::GUEST_ADDR, 0x1000, true},
                                  {layout::VGA_TEXT_ADDR, 0x1000, false}};
  ASSERT_TRUE(vmx::build_ept(*t, tables_at, ranges, 2));
  EXPECT_EQ(t->pml4[0], tables_at + 0x1000 + 7) << "PDPT, read/write/execute";
  EXPECT_EQ(t->pdpt[0], tables_at + 0x2000 + 7);
  EXPECT_EQ(t->pd[0], tables_at + 0x3000 + 7);
  EXPECT_EQ(t->pt[layout::GUEST_ADDR >> 12], layout::GUEST_ADDR | (6u << 3) | 7) << "WB";
  EXPECT_EQ(t->pt[layout::VGA_TEXT_ADDR >> 12], layout::VGA_TEXT_ADDR | 7) << "UC";
  EXPECT_EQ(t->pml4[1], 0u);
  EXPECT_EQ(t->pd[1], 0u) << "nothing above 2 MiB";
}

TEST_F(Ept, RefusesRangesBeyondOnePageTable) {
  const vmx::EptRange vmm[] = {{layout::VMM_ADDR, 0x1000, true}};
  EXPECT_FALSE(vmx::build_ept(*t, tables_at, vmm, 1));
  EXPECT_FALSE(vmx::ept_maps(*t, layout::VMM_ADDR));
  const vmx::EptRange straddling[] = {{vmx::ept_mapped_limit - 0x1000, 0x2000, true}};
  EXPECT_FALSE(vmx::build_ept(*t, tables_at, straddling, 1));
}

TEST(EptPointer, WalkLengthFourAndTheBestMemoryType) {
  using namespace vmx::ept_capability;
  EXPECT_EQ(vmx::ept_pointer(tables_at, page_walk_length_4 | memory_type_wb | memory_type_uc),
            tables_at | (3u << 3) | 6);
  EXPECT_EQ(vmx::ept_pointer(tables_at, page_walk_length_4 | memory_type_uc), tables_at | (3u << 3));
  EXPECT_EQ(vmx::ept_pointer(tables_at, memory_type_wb), 0u) << "no 4-level walk";
  EXPECT_EQ(vmx::ept_pointer(tables_at, page_walk_length_4), 0u) << "no memory type";
}

}  // namespace
