// The MTRRs' memory types (vmm/vmx/mtrr.h) from hand-made register sets,
// and chain mode's EPT taking its types from them (vmm/vmx/identity_ept.h).
#include <gtest/gtest.h>

#include <memory>

#include "layout.h"
#include "vmm_plan.h"
#include "vmx/identity_ept.h"
#include "vmx/mtrr.h"

namespace {

constexpr uint8_t uc = 0, wc = 1, wt = 4, wp = 5, wb = 6;
constexpr uint64_t valid = vmx::mtrr_mask_valid;
constexpr uint64_t mib = 1ull << 20, gib = 1ull << 30;

// MTRRCAP with 8 variable ranges and the fixed ones; enabled, default WB.
vmx::Mtrrs enabled(uint64_t default_type = wb, bool fixed_on = false) {
  vmx::Mtrrs m{};
  m.cap = 8 | vmx::mtrr_cap_fixed;
  m.def_type = default_type | vmx::mtrr_def_enable | (fixed_on ? vmx::mtrr_def_fixed_enable : 0);
  return m;
}

// A variable range of `bytes` (a power of two) at `base`, 36 physical bits.
void range(vmx::Mtrrs& m, uint32_t n, uint64_t base, uint64_t bytes, uint8_t type) {
  m.base[n] = base | type;
  m.mask[n] = (~(bytes - 1) & ((1ull << 36) - 1)) | valid;
}

uint8_t type_4k(const vmx::Mtrrs& m, uint64_t a) { return vmx::mtrr_type(m, a, 4096); }

TEST(Mtrr, DisabledIsUncacheableEverywhere) {
  vmx::Mtrrs m = enabled(wb, true);
  m.fixed[0] = 0x0606060606060606;
  range(m, 0, 0, 2 * gib, wb);
  m.def_type &= ~vmx::mtrr_def_enable;
  for (uint64_t a : {uint64_t{0}, uint64_t{0x7000}, uint64_t{0xB8000}, mib, gib, uint64_t{0xFEE00000}}) {
    EXPECT_EQ(type_4k(m, a), uc) << std::hex << a;
  }
  EXPECT_EQ(vmx::mtrr_type(m, 2 * mib, 2 * mib), uc);
}

TEST(Mtrr, NoRangeMatchesGivesTheDefaultType) {
  EXPECT_EQ(type_4k(enabled(wb), 0x12345000), wb);
  EXPECT_EQ(type_4k(enabled(uc), 0x12345000), uc);
  EXPECT_EQ(type_4k(enabled(2), 0x12345000), uc) << "a reserved default type";
}

TEST(Mtrr, FixedRangesRuleTheFirstMiBWhenOn) {
  vmx::Mtrrs m = enabled(uc, true);
  m.fixed[0] = 0x0606060606060606;  // 0-0x7FFFF WB
  m.fixed[1] = 0x0606060606060606;  // 0x80000-0x9FFFF WB
  m.fixed[2] = 0x0404040401010000;  // 0xA0000-0xBFFFF: UC, UC, WC, WC, WT x 4
  for (uint32_t i = 3; i < 11; ++i) m.fixed[i] = 0x0505050505050505;  // ROMs WP
  m.fixed[10] = 0x0605050505050505;  // but 0xFF000 WB
  range(m, 0, 0, 4 * gib, wb);  // a variable range covering it all: not asked below 1 MiB
  EXPECT_EQ(type_4k(m, 0x0), wb);
  EXPECT_EQ(type_4k(m, 0x7C000), wb);
  EXPECT_EQ(type_4k(m, 0x9F000), wb);
  EXPECT_EQ(type_4k(m, 0xA0000), uc);
  EXPECT_EQ(type_4k(m, 0xA7000), uc);
  EXPECT_EQ(type_4k(m, 0xA8000), wc);
  EXPECT_EQ(type_4k(m, 0xAF000), wc);
  EXPECT_EQ(type_4k(m, 0xB0000), wt);
  EXPECT_EQ(type_4k(m, 0xB8000), wt);
  EXPECT_EQ(type_4k(m, 0xC0000), wp);
  EXPECT_EQ(type_4k(m, 0xFE000), wp);
  EXPECT_EQ(type_4k(m, 0xFF000), wb);
  EXPECT_EQ(type_4k(m, mib), wb) << "above 1 MiB: the variable range";
  EXPECT_EQ(vmx::mtrr_type(m, 0, 2 * mib), uc) << "a block the fixed ranges split";
  // Fixed ranges off (DEF_TYPE.FE = 0) or absent (MTRRCAP.FIX = 0): the
  // variable ranges and the default rule the first MiB too.
  vmx::Mtrrs off = m;
  off.def_type &= ~vmx::mtrr_def_fixed_enable;
  EXPECT_EQ(type_4k(off, 0xA0000), wb);
  vmx::Mtrrs absent = m;
  absent.cap &= ~vmx::mtrr_cap_fixed;
  EXPECT_EQ(type_4k(absent, 0xC0000), wb);
}

TEST(Mtrr, OverlappingVariableRangesFollowThePrecedenceRules) {
  vmx::Mtrrs m = enabled(uc);
  range(m, 0, 0, 2 * gib, wb);              // RAM 0-2 GiB WB
  range(m, 1, 0x70000000, 256 * mib, uc);   // a hole in it UC: UC wins
  range(m, 2, 0x40000000, 256 * mib, wt);   // WT over WB: WT
  range(m, 3, 0x50000000, 256 * mib, wc);   // WC over WB: undefined -> UC
  range(m, 4, 0x60000000, 256 * mib, wb);   // WB twice: WB
  range(m, 5, 0xE0000000, 256 * mib, wc);   // a frame buffer alone: WC
  range(m, 6, 0x70000000, 128 * mib, wt);   // UC, WT and WB: UC
  EXPECT_EQ(type_4k(m, 0x1000000), wb);
  EXPECT_EQ(type_4k(m, 0x70000000), uc);
  EXPECT_EQ(type_4k(m, 0x78000000), uc);
  EXPECT_EQ(type_4k(m, 0x40000000), wt);
  EXPECT_EQ(type_4k(m, 0x50000000), uc);
  EXPECT_EQ(type_4k(m, 0x60000000), wb);
  EXPECT_EQ(type_4k(m, 0xE0001000), wc);
  EXPECT_EQ(type_4k(m, 0xC0000000), uc) << "none matches: the default";
  EXPECT_EQ(vmx::mtrr_type(m, 0x40000000, 2 * mib), wt) << "a 2 MiB block inside one range";
  // Without the UC range, the same page has WT over WB: WT.
  m.mask[1] &= ~valid;
  EXPECT_EQ(type_4k(m, 0x70000000), wt);
  EXPECT_EQ(type_4k(m, 0x78000000), wb);
}

TEST(Mtrr, InvalidAndUncountedRangesAreIgnored) {
  vmx::Mtrrs m = enabled(wb);
  range(m, 0, 0x40000000, 256 * mib, uc);
  m.mask[0] &= ~valid;
  EXPECT_EQ(type_4k(m, 0x40000000), wb) << "mask without its valid bit";
  range(m, 8, 0x40000000, 256 * mib, uc);
  EXPECT_EQ(type_4k(m, 0x40000000), wb) << "range 8 with VCNT = 8";
  m.cap = (m.cap & ~0xFFull) | 9;
  EXPECT_EQ(type_4k(m, 0x40000000), uc) << "range 8 with VCNT = 9";
  EXPECT_FALSE(vmx::mtrr_describable(vmx::mtrr_max_variable + 1));
}

TEST(Mtrr, ARangeSmallerThanTheBlockMakesItUncacheable) {
  vmx::Mtrrs m = enabled(wb);
  range(m, 0, 0xFEC00000, 4096, uc);  // the I/O APIC page alone
  EXPECT_EQ(type_4k(m, 0xFEC00000), uc);
  EXPECT_EQ(type_4k(m, 0xFEC01000), wb);
  EXPECT_EQ(vmx::mtrr_type(m, 0xFEC00000, 2 * mib), uc) << "the 2 MiB page holding it";
  EXPECT_EQ(vmx::mtrr_type(m, 0xFEE00000, 2 * mib), wb) << "the next one";
}

TEST(ChainEptMtrr, TheEptTakesItsTypesFromTheMtrrs) {
  // The shape the BIOSes of Bochs set: fixed ranges (RAM WB, VGA UC, ROMs
  // WP), default WB, one UC range for the PCI hole from 3 GiB.
  vmx::Mtrrs m = enabled(wb, true);
  m.fixed[0] = m.fixed[1] = 0x0606060606060606;
  for (uint32_t i = 3; i < 11; ++i) m.fixed[i] = 0x0505050505050505;
  range(m, 0, 0xC0000000, gib, uc);
  auto t = std::make_unique<vmx::IdentityEptTables>();
  ASSERT_TRUE(vmx::build_identity_ept(*t, layout::IDENTITY_EPT_ADDR, vmm_plan::bochs_e820, 5, &m,
                                   layout::VMM_ADDR, layout::VMM_MEMORY_END));
  EXPECT_EQ(vmx::identity_ept_type(*t, 0x7000), wb);
  EXPECT_EQ(vmx::identity_ept_type(*t, 0x9F000), wb) << "EBDA: the MTRRs say WB (E820: reserved)";
  EXPECT_EQ(vmx::identity_ept_type(*t, 0xB8000), uc);
  EXPECT_EQ(vmx::identity_ept_type(*t, 0xF0000), wp);
  EXPECT_EQ(vmx::identity_ept_type(*t, 0x200000), wb);
  EXPECT_EQ(vmx::identity_ept_type(*t, layout::VMM_MEMORY_END), wb) << "after the VMM (4 KiB pages)";
  EXPECT_EQ(vmx::identity_ept_type(*t, 0x3E00000), wb) << "E820 splits it, the MTRRs do not";
  EXPECT_EQ(vmx::identity_ept_type(*t, 0xFEC00000), uc);
  EXPECT_FALSE(vmx::identity_ept_maps(*t, layout::VMM_ADDR)) << "the hole stays";
}

}  // namespace

#include "guests/bios_chain/msr.h"

namespace {

TEST(MtrrRegister, TheShadowsRegisterForEachMtrrMsr) {
  vmx::Mtrrs m{};
  m.cap = 0x508;  // WC, FIX, VCNT 8
  EXPECT_EQ(vmx::mtrr_register(m, 0x2FF), &m.def_type);
  EXPECT_EQ(vmx::mtrr_register(m, 0x200), &m.base[0]);
  EXPECT_EQ(vmx::mtrr_register(m, 0x201), &m.mask[0]);
  EXPECT_EQ(vmx::mtrr_register(m, 0x20F), &m.mask[7]);
  EXPECT_EQ(vmx::mtrr_register(m, 0x210), nullptr) << "a ninth range the CPU does not have";
  EXPECT_EQ(vmx::mtrr_register(m, 0x250), &m.fixed[0]);
  EXPECT_EQ(vmx::mtrr_register(m, 0x26F), &m.fixed[10]);
  EXPECT_EQ(vmx::mtrr_register(m, 0xFE), nullptr) << "MTRRCAP: read-only, the CPU's";
  m.cap = 0x8;  // no fixed ranges
  EXPECT_EQ(vmx::mtrr_register(m, 0x250), nullptr);
}

TEST(MtrrRegister, TheChainGuestsMtrrMsrsExitTheOthersDoNot) {
  vmx::Mtrrs m{};
  m.cap = 0x508;
  uint8_t bitmap[guests::bios_chain::msr_bitmap_bytes];
  guests::bios_chain::fill_chain_msr_bitmap(bitmap, &m);
  auto exits = [&](uint32_t msr, bool write) {
    uint32_t byte = 0;
    uint8_t mask = 0;
    return guests::bios_chain::msr_bitmap_bit(msr, write, byte, mask) && (bitmap[byte] & mask) != 0;
  };
  for (uint32_t msr : {0x2FFu, 0x200u, 0x20Fu, 0x250u, 0x258u, 0x26Fu}) {
    EXPECT_TRUE(exits(msr, false)) << std::hex << msr;
    EXPECT_TRUE(exits(msr, true)) << std::hex << msr;
  }
  EXPECT_FALSE(exits(0xFE, false)) << "MTRRCAP: the CPU's";
  EXPECT_FALSE(exits(0x277, true)) << "PAT: the VMCS switches it";
  guests::bios_chain::fill_chain_msr_bitmap(bitmap, nullptr);
  EXPECT_FALSE(exits(0x2FF, true)) << "no MTRRs: nothing to keep";
}

}  // namespace
