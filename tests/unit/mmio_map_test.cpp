// The device layer's memory ranges (vmm/devices/mmio_map.h), the identity
// EPT's per-page access with its split and joined 2 MiB pages
// (vmm/vmx/identity_ept.h), the EPT following the ranges
// (vmm/vmx/mmio_ept.h), and which EPT violations on a range are stores
// the VMM carries out (vmm/vmx/mmio_exit.h).
#include <gtest/gtest.h>

#include <cstring>
#include <memory>

#include "bochs_vmx_msrs.h"
#include "devices/mmio_map.h"
#include "layout.h"
#include "vmm_plan.h"
#include "vmx/ept.h"
#include "vmx/identity_ept.h"
#include "vmx/mmio_ept.h"
#include "vmx/mmio_exit.h"

namespace {

using devices::MmioMap;
using vmx::EptAccessChange;

constexpr uint64_t all = vmx::ept_read | vmx::ept_write | vmx::ept_execute;
constexpr uint64_t read_only = vmx::ept_read;
const devices::MmioDevice nobody{"test", nullptr, nullptr};

TEST(MmioMap, ClaimsWholePagesThatDoNotOverlapWhileActive) {
  MmioMap map{};
  map.reset();
  const uint8_t apic = map.claim(0xFEE00000, 0x1000, nobody, "apic", true);
  ASSERT_NE(apic, 0);
  EXPECT_EQ(map.slot_of(0xFEE00300), apic);
  EXPECT_EQ(map.slot_of(0xFEE00FFF), apic);
  EXPECT_EQ(map.slot_of(0xFEE01000), 0);
  EXPECT_EQ(map.slot_of(0xFEDFFFFF), 0);
  EXPECT_EQ(map.claim(0xFEE00000, 0x800, nobody, "half", true), 0) << "not whole pages";
  EXPECT_EQ(map.claim(0xFEE00100, 0x1000, nobody, "unaligned", true), 0);
  EXPECT_EQ(map.claim(0xFFFFFFFFFFFFF000ull, 0x2000, nobody, "wraps", true), 0);
  EXPECT_EQ(map.claim(0xFEDFF000, 0x2000, nobody, "overlaps", true), 0);
  EXPECT_NE(map.claim(0xFEDFF000, 0x2000, nobody, "inactive may", false), 0);
  EXPECT_EQ(map.slot_of(0xFEDFF000), 0) << "an inactive range holds nothing";
  EXPECT_TRUE(map.touches(0xFEDFFFFE, 4));
  EXPECT_FALSE(map.touches(0xFEDFFFF0, 0x10));
  EXPECT_FALSE(map.touches(0xFEE00000, 0));
  ASSERT_NE(map.claim(0, 0x1000, nobody, "page 0", true), 0);
  EXPECT_FALSE(map.touches(0xFFFFFFFFFFFFFFF0ull, 0x20)) << "no wrap to page 0";
  EXPECT_TRUE(map.touches(0xFEDFFFF0ull, 0x20000)) << "over a whole range";
}

TEST(MmioMap, ARangeMovesWithItsDevice) {
  MmioMap map{};
  map.reset();
  const uint8_t apic = map.claim(0xFEE00000, 0x1000, nobody, "apic", true);
  const uint8_t other = map.claim(0xFEC00000, 0x1000, nobody, "other", true);
  ASSERT_TRUE(map.move(apic, 0x1000000, true));
  EXPECT_EQ(map.slot_of(0x1000300), apic);
  EXPECT_EQ(map.slot_of(0xFEE00300), 0);
  EXPECT_FALSE(map.move(apic, 0xFEC00000, true)) << "onto another active range";
  EXPECT_FALSE(map.free_for(apic, 0xFEC00000, 0x1000));
  EXPECT_TRUE(map.free_for(other, 0xFEC00000, 0x1000)) << "its own place";
  EXPECT_EQ(map.slot_of(0x1000300), apic) << "a refused move changes nothing";
  EXPECT_TRUE(map.move(apic, 0xFEC00000, false)) << "inactive, it may lie anywhere";
  EXPECT_FALSE(map.move(apic, 0x1234, false)) << "not a page";
  EXPECT_FALSE(map.move(0, 0x1000, true));
  EXPECT_FALSE(map.move(7, 0x1000, true)) << "an unclaimed slot";
}

TEST(MmioMap, HoldsAFewRanges) {
  MmioMap map{};
  map.reset();
  for (unsigned i = 0; i < MmioMap::max_ranges; ++i) {
    EXPECT_NE(map.claim(0x10000000 + i * 0x1000, 0x1000, nobody, "r", true), 0) << i;
  }
  EXPECT_EQ(map.claim(0x20000000, 0x1000, nobody, "one too many", true), 0);
}

// ---------------------------------------------------------------- the EPT's access

struct Ept {
  std::unique_ptr<vmx::IdentityEptTables> t = std::make_unique<vmx::IdentityEptTables>();
  Ept() {
    std::memset(t.get(), 0xA5, sizeof(*t));  // the memory is not .bss: the build clears it
    EXPECT_TRUE(vmx::build_identity_ept(*t, layout::IDENTITY_EPT_ADDR, vmm_plan::bochs_e820, 5,
                                        nullptr, layout::VMM_ADDR, layout::VMM_MEMORY_END));
  }
};

// The PDE of the 2 MiB page holding `address`.
uint64_t pde(const vmx::IdentityEptTables& t, uint64_t address) {
  return t.pd[address >> 30][(address >> 21) & 511];
}
constexpr uint64_t large = 1u << 7;

TEST(IdentityEptAccess, ThePoolStartsFree) {
  const Ept e;
  for (const auto& pt : e.t->pt_pool) {
    for (uint64_t entry : pt) ASSERT_EQ(entry, 0u);
  }
}

TEST(IdentityEptAccess, APageOfA2MiBPageSplitsItAndJoinsItAgain) {
  Ept e;
  vmx::IdentityEptTables& t = *e.t;
  const uint64_t before = pde(t, 0xFEE00000);
  ASSERT_NE(before & large, 0u);
  ASSERT_EQ(vmx::identity_ept_set_access(t, 0xFEE00000, 0x1000, read_only), EptAccessChange::done);
  EXPECT_EQ(pde(t, 0xFEE00000) & large, 0u) << "split";
  EXPECT_EQ(vmx::identity_ept_access(t, 0xFEE00300), read_only);
  EXPECT_EQ(vmx::identity_ept_access(t, 0xFEE01000), all);
  EXPECT_EQ(vmx::identity_ept_access(t, 0xFEDFF000), all);
  EXPECT_EQ(vmx::identity_ept_access(t, 0xFEE00000 - 0x200000), all) << "the 2 MiB before";
  // Every 4 KiB page keeps the 2 MiB page's memory type and its own address.
  for (uint64_t a = 0xFEE00000; a < 0xFF000000; a += 0x1000) {
    ASSERT_EQ(vmx::identity_ept_type(t, a), (before >> 3) & 7) << std::hex << a;
  }
  EXPECT_EQ(t.pt_pool[0][0x1FF & (0xFEE00000 >> 12)] & ~0xFFFull, 0xFEE00000u);
  ASSERT_EQ(vmx::identity_ept_set_access(t, 0xFEE00000, 0x1000, all), EptAccessChange::done);
  EXPECT_EQ(pde(t, 0xFEE00000), before) << "joined: the same 2 MiB entry as built";
  for (uint64_t entry : t.pt_pool[0]) ASSERT_EQ(entry, 0u) << "and the table free again";
}

TEST(IdentityEptAccess, PagesInTheBuiltTablesAndAWhole2MiBPage) {
  Ept e;
  vmx::IdentityEptTables& t = *e.t;
  // In the first 2 MiB (its own table): no pool table.
  ASSERT_EQ(vmx::identity_ept_set_access(t, 0x110000, 0x1000, read_only), EptAccessChange::done);
  EXPECT_EQ(vmx::identity_ept_access(t, 0x110000), read_only);
  EXPECT_EQ(t.pt_pool[0][0], 0u);
  // Above the VMM in the 2 MiB it ends in (its own table too).
  ASSERT_EQ(vmx::identity_ept_set_access(t, layout::VMM_MEMORY_END, 0x1000, read_only),
            EptAccessChange::done);
  EXPECT_EQ(vmx::identity_ept_access(t, layout::VMM_MEMORY_END), read_only);
  EXPECT_EQ(t.pt_pool[0][0], 0u);
  // The VMM's memory stays unmapped whatever is asked.
  ASSERT_EQ(vmx::identity_ept_set_access(t, layout::VMM_ADDR, 0x1000, all), EptAccessChange::done);
  EXPECT_EQ(vmx::identity_ept_access(t, layout::VMM_ADDR), 0u);
  // A whole 2 MiB page: its one entry.
  ASSERT_EQ(vmx::identity_ept_set_access(t, 0x1000000, 0x200000, read_only), EptAccessChange::done);
  EXPECT_NE(pde(t, 0x1000000) & large, 0u);
  EXPECT_EQ(vmx::identity_ept_access(t, 0x11FF000), read_only);
  EXPECT_EQ(t.pt_pool[0][0], 0u);
}

TEST(IdentityEptAccess, ThePoolUsedUpChangesNothing) {
  Ept e;
  vmx::IdentityEptTables& t = *e.t;
  for (unsigned i = 0; i < vmx::identity_ept_pool_tables; ++i) {
    ASSERT_EQ(vmx::identity_ept_set_access(t, 0x1000000 + i * 0x200000, 0x1000, read_only),
              EptAccessChange::done);
  }
  const uint64_t before = pde(t, 0x2000000);
  // One more 2 MiB page to split, and a range that needs two at once.
  EXPECT_EQ(vmx::identity_ept_set_access(t, 0x2000000, 0x1000, read_only), EptAccessChange::no_table);
  EXPECT_EQ(pde(t, 0x2000000), before);
  EXPECT_EQ(vmx::identity_ept_access(t, 0x2000000), all);
  // A page already split needs no table.
  EXPECT_EQ(vmx::identity_ept_set_access(t, 0x1001000, 0x1000, read_only), EptAccessChange::done);
  // Bad ranges.
  EXPECT_EQ(vmx::identity_ept_set_access(t, 0x1000800, 0x1000, read_only),
            EptAccessChange::out_of_range);
  EXPECT_EQ(vmx::identity_ept_set_access(t, 0xFFFFF000, 0x2000, read_only),
            EptAccessChange::out_of_range);
  EXPECT_EQ(vmx::identity_ept_set_access(t, 0x1000000, 0x1000, 0), EptAccessChange::out_of_range)
      << "no access at all: unmapping is the build's";
  EXPECT_EQ(vmx::identity_ept_set_access(t, 0x1000000, 0x1000, 8), EptAccessChange::out_of_range);
}

TEST(MmioEpt, TheRangesAreReadOnlyAndFollowAMove) {
  Ept e;
  vmx::IdentityEptTables& t = *e.t;
  MmioMap map{};
  map.reset();
  const uint8_t apic = map.claim(0xFEE00000, 0x1000, nobody, "apic", true);
  map.claim(0xFEC00000, 0x1000, nobody, "inactive", false);
  map.claim(0x200000000ull, 0x1000, nobody, "above 4 GiB", true);
  ASSERT_EQ(vmx::protect_mmio_ranges(t, map), EptAccessChange::done);
  EXPECT_EQ(vmx::identity_ept_access(t, 0xFEE00000), vmx::mmio_guest_access);
  EXPECT_EQ(vmx::identity_ept_access(t, 0xFEC00000), all);
  // Moved: the new page protected, the old one the guest's again (joined).
  const MmioMap::Range before = map.range(apic);
  ASSERT_TRUE(map.move(apic, 0x1000000, true));
  ASSERT_EQ(vmx::follow_mmio_move(t, map, before, apic), EptAccessChange::done);
  EXPECT_EQ(vmx::identity_ept_access(t, 0x1000000), vmx::mmio_guest_access);
  EXPECT_EQ(vmx::identity_ept_access(t, 0xFEE00000), all);
  EXPECT_NE(pde(t, 0xFEE00000) & large, 0u);
  // Made inactive (x2APIC mode): nothing protected.
  const MmioMap::Range moved = map.range(apic);
  ASSERT_TRUE(map.move(apic, 0x1000000, false));
  ASSERT_EQ(vmx::follow_mmio_move(t, map, moved, apic), EptAccessChange::done);
  EXPECT_EQ(vmx::identity_ept_access(t, 0x1000000), all);
  for (const auto& pt : t.pt_pool) EXPECT_EQ(pt[0], 0u);
}

TEST(MmioEpt, TheChainPlanProtectsTheApicPage) {
  for (const bochs_vmx::BochsModel& model : bochs_vmx::bochs_models()) {
    const vmm_plan::Planned p = vmm_plan::plan_chain_as_the_vmm_does(model.msrs);
    if (p.plan.error == vmx::PlanError::profile) continue;  // no unrestricted guest
    ASSERT_EQ(p.plan.error, vmx::PlanError::none) << model.name;
    const vmx::IdentityEptTables& t = p.memory->chain_ept;
    EXPECT_EQ(vmx::identity_ept_access(t, 0xFEE00300), vmx::ept_read) << model.name;
    EXPECT_EQ(vmx::identity_ept_access(t, 0xFEE01000), all) << model.name;
    EXPECT_EQ(vmx::identity_ept_access(t, 0xFEC00000), all) << model.name << ": the I/O APIC";
  }
}

// ---------------------------------------------------------------- which violations

TEST(MmioExit, OnlyAStoreOfTheGuestsOwnInstruction) {
  constexpr uint64_t write = 1u << 1, fetch = 1u << 2, read = 1u << 0;
  constexpr uint64_t linear_valid = 1u << 7, translated = 1u << 8;
  const uint64_t store = write | linear_valid | translated;
  EXPECT_EQ(vmx::mmio_violation_refusal(store, 0), nullptr);
  EXPECT_NE(vmx::mmio_violation_refusal(fetch | linear_valid | translated, 0), nullptr);
  EXPECT_NE(vmx::mmio_violation_refusal(read | linear_valid | translated, 0), nullptr);
  EXPECT_NE(vmx::mmio_violation_refusal(write | linear_valid, 0), nullptr)
      << "a paging-structure entry on the page";
  EXPECT_NE(vmx::mmio_violation_refusal(write, 0), nullptr) << "no guest-linear address";
  EXPECT_NE(vmx::mmio_violation_refusal(store, 0x80000030u), nullptr)
      << "an interrupt's delivery pushing onto the page";
}

TEST(MmioExit, TheDecodedStoreMustBeTheOneThatExited) {
  EXPECT_EQ(vmx::mmio_store_mismatch(0xFEE00300, 4, 0xFEE00300, 0xFEE00300), nullptr);
  EXPECT_EQ(vmx::mmio_store_mismatch(0x7300, 4, 0x7300, 0xFEE00300), nullptr) << "paged";
  EXPECT_NE(vmx::mmio_store_mismatch(0xFEE00310, 4, 0xFEE00300, 0xFEE00300), nullptr);
  EXPECT_NE(vmx::mmio_store_mismatch(0x7FFE, 4, 0x7FFE, 0xFEE00000), nullptr)
      << "from the page before";
  EXPECT_NE(vmx::mmio_store_mismatch(0xFEE00FFE, 4, 0xFEE00FFE, 0xFEE00FFE), nullptr)
      << "into the page after";
  EXPECT_EQ(vmx::rip_after(0xFFFE, 5, vmx::CodeSize::bits16), 3u);
  EXPECT_EQ(vmx::rip_after(0xFFFFFFFE, 5, vmx::CodeSize::bits32), 3u);
  EXPECT_EQ(vmx::rip_after(0xFFFFFFFE, 5, vmx::CodeSize::bits64), 0x100000003ull);
}

}  // namespace

namespace {

// The INVEPT the VMM uses after the EPT changed under a running guest.
TEST(MmioEpt, InveptSingleContextWhereTheCpuHasIt) {
  namespace cap = vmx::ept_capability;
  EXPECT_EQ(vmx::invept_type(cap::invept | cap::invept_single_context | cap::invept_all_context), 1u);
  EXPECT_EQ(vmx::invept_type(cap::invept | cap::invept_all_context), 2u);
  EXPECT_EQ(vmx::invept_type(cap::invept_single_context | cap::invept_all_context), 0u)
      << "no INVEPT at all";
  EXPECT_EQ(vmx::invept_type(cap::invept), 0u) << "INVEPT with no type it supports";
  // Every Bochs model with EPT has single-context INVEPT (the capture).
  for (const bochs_vmx::BochsModel& model : bochs_vmx::bochs_models()) {
    if (vmx::ept_pointer(0, model.msrs.ept_vpid) == 0) continue;
    EXPECT_EQ(vmx::invept_type(model.msrs.ept_vpid), 1u) << model.name;
  }
}

}  // namespace
