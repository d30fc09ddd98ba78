// A chain guest's MSRs (vmm/guests/bios_chain/msr.h): which ones exit, and what the
// VMM does with those.
#include <gtest/gtest.h>

#include "guests/bios_chain/msr.h"

namespace {

using guests::bios_chain::ChainMsrAction;
namespace index = guests::bios_chain::chain_msr_index;

bool exits(const uint8_t* bitmap, uint32_t msr, bool write) {
  uint32_t byte = 0;
  uint8_t mask = 0;
  if (!guests::bios_chain::msr_bitmap_bit(msr, write, byte, mask)) return true;  // outside: always
  return (bitmap[byte] & mask) != 0;
}

TEST(ChainMsr, TheBitmapKeepsOnlyTheVmmsMsrs) {
  uint8_t bitmap[guests::bios_chain::msr_bitmap_bytes];
  guests::bios_chain::fill_chain_msr_bitmap(bitmap);
  unsigned kept = 0;
  for (uint32_t i = 0; i < guests::bios_chain::msr_bitmap_bytes; ++i) kept += __builtin_popcount(bitmap[i]);
  // 20 VMX MSRs and feature control, read and written; EFER, TSC, TSC_ADJUST written.
  EXPECT_EQ(kept, 2u * 21 + 3);
  EXPECT_TRUE(exits(bitmap, 0x480, false));
  EXPECT_TRUE(exits(bitmap, 0x493, true));
  EXPECT_TRUE(exits(bitmap, index::feature_control, false));
  EXPECT_TRUE(exits(bitmap, index::efer, true));
  EXPECT_FALSE(exits(bitmap, index::efer, false)) << "the guest reads its own EFER";
  EXPECT_FALSE(exits(bitmap, index::tsc, false));
  EXPECT_TRUE(exits(bitmap, index::tsc, true));
  for (uint32_t msr : {0x1Bu, 0x174u, 0x277u, 0x2FFu, 0x1A0u, 0xC0000100u, 0x47Fu, 0x494u}) {
    EXPECT_FALSE(exits(bitmap, msr, false)) << std::hex << msr;
    EXPECT_FALSE(exits(bitmap, msr, true)) << std::hex << msr;
  }
}

TEST(ChainMsr, TheBitmapsFourQuarters) {
  uint32_t byte = 0;
  uint8_t mask = 0;
  ASSERT_TRUE(guests::bios_chain::msr_bitmap_bit(0x3A, false, byte, mask));
  EXPECT_EQ(byte, 7u);
  EXPECT_EQ(mask, 1u << 2);
  ASSERT_TRUE(guests::bios_chain::msr_bitmap_bit(0x3A, true, byte, mask));
  EXPECT_EQ(byte, 2048u + 7);
  ASSERT_TRUE(guests::bios_chain::msr_bitmap_bit(0xC0000080u, true, byte, mask));
  EXPECT_EQ(byte, 3072u + 16);
  EXPECT_EQ(mask, 1u);
  EXPECT_FALSE(guests::bios_chain::msr_bitmap_bit(0x2000, false, byte, mask));
  EXPECT_FALSE(guests::bios_chain::msr_bitmap_bit(0xC0002000u, true, byte, mask));
}

TEST(ChainMsr, AsACpuWithoutVmx) {
  EXPECT_EQ(guests::bios_chain::chain_msr(0x480, false, 0).action, ChainMsrAction::fault);
  EXPECT_EQ(guests::bios_chain::chain_msr(0x48B, true, 1).action, ChainMsrAction::fault);
  const guests::bios_chain::ChainMsr fc = guests::bios_chain::chain_msr(index::feature_control, false, 0x5);
  EXPECT_EQ(fc.action, ChainMsrAction::give_value);
  EXPECT_EQ(fc.value, 0x1u) << "locked, VMX off";
  EXPECT_EQ(guests::bios_chain::chain_msr(index::feature_control, true, 0x5).action, ChainMsrAction::fault);
}

TEST(ChainMsr, EferWritesOfA32BitGuest) {
  const guests::bios_chain::ChainMsr nx = guests::bios_chain::chain_msr(index::efer, true, guests::bios_chain::efer_nxe | guests::bios_chain::efer_sce);
  EXPECT_EQ(nx.action, ChainMsrAction::set_efer);
  EXPECT_EQ(nx.value, guests::bios_chain::efer_nxe | guests::bios_chain::efer_sce);
  EXPECT_EQ(guests::bios_chain::chain_msr(index::efer, true, guests::bios_chain::efer_lma).value, 0u) << "LMA is the CPU's";
  const guests::bios_chain::ChainMsr lme =
      guests::bios_chain::chain_msr(index::efer, true, guests::bios_chain::efer_lme);
  EXPECT_EQ(lme.action, ChainMsrAction::set_efer) << "a 64-bit guest on its way to long mode";
  EXPECT_EQ(lme.value, guests::bios_chain::efer_lme);
  EXPECT_EQ(guests::bios_chain::chain_msr(index::efer, true, 1ull << 1).action, ChainMsrAction::fault)
      << "a reserved bit";
}

TEST(ChainMsr, EferInLongMode) {
  using guests::bios_chain::efer_lma;
  using guests::bios_chain::efer_lme;
  const guests::bios_chain::GuestNow long_mode{efer_lme | efer_lma, true};
  const guests::bios_chain::ChainMsr nx =
      guests::bios_chain::chain_msr(index::efer, true, efer_lme | guests::bios_chain::efer_nxe, long_mode);
  EXPECT_EQ(nx.action, ChainMsrAction::set_efer);
  EXPECT_EQ(nx.value, efer_lme | efer_lma | guests::bios_chain::efer_nxe) << "LMA kept";
  EXPECT_EQ(guests::bios_chain::chain_msr(index::efer, true, 0, long_mode).action,
            ChainMsrAction::fault)
      << "LME changed while paging is on";
}

TEST(ChainMsr, TheTscIsTheVmmsClock) {
  EXPECT_EQ(guests::bios_chain::chain_msr(index::tsc, true, 0).action, ChainMsrAction::stop);
  EXPECT_EQ(guests::bios_chain::chain_msr(index::tsc_adjust, true, 0).action, ChainMsrAction::stop);
  EXPECT_EQ(guests::bios_chain::chain_msr(0x1B, false, 0).action, ChainMsrAction::stop)
      << "an MSR that should not have exited";
}

}  // namespace

namespace {

TEST(ChainMsr, OutsideTheBitmapsRangesNoIntelMsrExists) {
  // AMD's DE_CFG (Linux probes it), a hypervisor's first MSR, the top one.
  for (uint32_t msr : {0xC0011029u, 0x40000000u, 0xFFFFFFFFu, 0x2000u, 0xC0002000u}) {
    for (bool write : {false, true}) {
      EXPECT_EQ(guests::bios_chain::chain_msr(msr, write, 0).action, ChainMsrAction::fault)
          << std::hex << msr << " write " << write;
    }
  }
  EXPECT_EQ(guests::bios_chain::chain_msr(0xC0001FFFu, false, 0).action, ChainMsrAction::stop)
      << "inside the bitmap: it should not have exited";
}

}  // namespace
