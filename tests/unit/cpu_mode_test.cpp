// A guest's mode from its VMCS state (vmm/ia32/cpu_mode.h).
#include "ia32/cpu_mode.h"

#include <gtest/gtest.h>

namespace {

using ia32::CpuMode;
using ia32::cpu_mode;

constexpr uint32_t code32 = 0xC09B, code16 = 0x009B, code64 = 0xA09B;  // G, D/L, P, type

TEST(CpuMode, EachModeFromTheStateThatMakesIt) {
  EXPECT_EQ(cpu_mode(0x10, 0x2, false, 0x9B), CpuMode::real);
  EXPECT_EQ(cpu_mode(0x10, 0x2, false, code32), CpuMode::real) << "CS's D is meaningless then";
  EXPECT_EQ(cpu_mode(0x11, 0x20002, false, 0xF3), CpuMode::v86);
  EXPECT_EQ(cpu_mode(0x11, 0x2, false, code16), CpuMode::protected16);
  EXPECT_EQ(cpu_mode(0x11, 0x2, false, code32), CpuMode::protected32);
  EXPECT_EQ(cpu_mode(0x80000011, 0x2, true, code64), CpuMode::long64);
  EXPECT_EQ(cpu_mode(0x80000011, 0x2, true, code32), CpuMode::compat32);
  EXPECT_EQ(cpu_mode(0x80000011, 0x2, true, code16), CpuMode::compat16);
}

TEST(CpuMode, WithoutLmaCsLIsIgnored) {
  // EFER.LME set, paging not yet on (LMA clear): still protected mode.
  EXPECT_EQ(cpu_mode(0x11, 0x2, false, code64), CpuMode::protected16);
}

TEST(CpuMode, EveryModeHasAName) {
  for (int m = 0; m <= static_cast<int>(CpuMode::long64); ++m) {
    EXPECT_STRNE(ia32::cpu_mode_name(static_cast<CpuMode>(m)), "?");
  }
  EXPECT_STREQ(ia32::cpu_mode_name(CpuMode::long64), "64-bit mode");
}

}  // namespace
