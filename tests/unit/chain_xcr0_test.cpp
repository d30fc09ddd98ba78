// A chain guest's XSETBV (vmm/guests/bios_chain/xcr0.h): what the CPU accepts.
#include <gtest/gtest.h>

#include "guests/bios_chain/xcr0.h"

namespace {

using guests::bios_chain::xsetbv_allowed;

constexpr uint64_t skylake_like = 0x2FF;  // x87 SSE AVX MPX AVX-512 PKRU

TEST(ChainXcr0, WhatTheCpuAccepts) {
  EXPECT_TRUE(xsetbv_allowed(0, 0x1, skylake_like));
  EXPECT_TRUE(xsetbv_allowed(0, 0x3, skylake_like));
  EXPECT_TRUE(xsetbv_allowed(0, 0x7, skylake_like));
  EXPECT_TRUE(xsetbv_allowed(0, 0xE7, skylake_like)) << "AVX-512 with AVX";
  EXPECT_TRUE(xsetbv_allowed(0, 0x1F, skylake_like)) << "MPX's two together";
}

TEST(ChainXcr0, WhatFaults) {
  EXPECT_FALSE(xsetbv_allowed(1, 0x3, skylake_like)) << "XCR1";
  EXPECT_FALSE(xsetbv_allowed(0, 0x2, skylake_like)) << "x87 off";
  EXPECT_FALSE(xsetbv_allowed(0, 0x5, skylake_like)) << "AVX without SSE";
  EXPECT_FALSE(xsetbv_allowed(0, 0x7, 0x3)) << "a component the CPU lacks";
  EXPECT_FALSE(xsetbv_allowed(0, 0xB, skylake_like)) << "one half of MPX";
  EXPECT_FALSE(xsetbv_allowed(0, 0x27, skylake_like)) << "part of AVX-512";
  EXPECT_FALSE(xsetbv_allowed(0, 0xE3, skylake_like)) << "AVX-512 without AVX";
}

}  // namespace
