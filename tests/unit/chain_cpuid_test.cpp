// The chain guest's CPUID view (guests/bios_chain/cpuid.h).
#include "guests/bios_chain/cpuid.h"

#include <gtest/gtest.h>

namespace {

using namespace guests::bios_chain;
namespace secondary = ia32::vmx::secondary_processor;

constexpr uint32_t all[4] = {~0u, ~0u, ~0u, ~0u};

struct Regs {
  uint32_t r[4];
};

Regs view(uint32_t leaf, uint32_t subleaf, uint32_t controls, const uint32_t cpu[4] = all) {
  Regs out{};
  chain_cpuid(leaf, subleaf, controls, cpu, out.r);
  return out;
}

TEST(ChainCpuid, Leaf1HidesVmxAndSaysHypervisor) {
  const uint32_t none[4] = {0x806F4, 0, 0, 0};
  EXPECT_EQ(view(1, 0, 0, all).r[2] & cpuid_bits::leaf1_ecx_vmx, 0u);
  EXPECT_NE(view(1, 0, 0, none).r[2] & cpuid_bits::leaf1_ecx_hypervisor, 0u);
  EXPECT_EQ(view(1, 0, 0, none).r[0], 0x806F4u) << "the rest is the CPU's";
}

TEST(ChainCpuid, TheHypervisorLeafNamesVmxbootAndNothingElse) {
  const Regs named = view(0x40000000, 0, 0);
  EXPECT_EQ(named.r[0], 0x40000000u) << "no further hypervisor leaf";
  EXPECT_EQ(named.r[1], 0x62786D76u);
  EXPECT_EQ(named.r[2], 0x00746F6Fu);
  for (uint32_t leaf : {0x40000001u, 0x40000100u, 0x4FFFFFFFu}) {
    const Regs r = view(leaf, 0, 0);
    EXPECT_EQ(r.r[0] | r.r[1] | r.r[2] | r.r[3], 0u) << std::hex << leaf;
  }
}

TEST(ChainCpuid, InvpcidShownOnlyWhereTheVmcsEnablesIt) {
  EXPECT_EQ(view(7, 0, 0).r[1] & cpuid_bits::leaf7_ebx_invpcid, 0u)
      << "INVPCID without enable-invpcid is #UD in the guest";
  EXPECT_NE(view(7, 0, secondary::enable_invpcid).r[1] & cpuid_bits::leaf7_ebx_invpcid, 0u);
  EXPECT_EQ(view(7, 0, 0).r[1], ~cpuid_bits::leaf7_ebx_invpcid) << "only that bit";
  EXPECT_EQ(view(7, 1, 0).r[1], ~0u) << "subleaf 1 holds other features";
}

TEST(ChainCpuid, RdtscpShownOnlyWhereTheVmcsEnablesIt) {
  EXPECT_EQ(view(0x80000001, 0, 0).r[3] & cpuid_bits::ext1_edx_rdtscp, 0u);
  EXPECT_NE(view(0x80000001, 0, secondary::enable_rdtscp).r[3] & cpuid_bits::ext1_edx_rdtscp, 0u);
}

TEST(ChainCpuid, XsavesHiddenTheChainGuestNeverGetsIt) {
  EXPECT_EQ(view(0xD, 1, cpuid_secondary_controls).r[0] & cpuid_bits::leafd1_eax_xsaves, 0u);
  EXPECT_NE(view(0xD, 1, cpuid_secondary_controls).r[0] & 1u, 0u) << "XSAVEOPT kept";
  EXPECT_EQ(view(0xD, 0, 0).r[0], ~0u) << "subleaf 0 untouched";
}

}  // namespace
