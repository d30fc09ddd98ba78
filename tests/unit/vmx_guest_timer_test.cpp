// The arithmetic of the bound on the guest's time (vmm/vmx/guest_timer.h):
// PIT ticks where there is no VMX-preemption timer, the timer's start value
// where there is.
#include <gtest/gtest.h>

#include "guests/bios_chain/plan.h"
#include "vmx/guest_timer.h"

namespace {

TEST(GuestTimer, BoundIsTwoSecondsOfPitTicks) {
  using namespace vmx::guest_timer;
  EXPECT_EQ(limit_ms, 2000u);
  EXPECT_EQ(pit_ticks_for_limit, 40u);
  EXPECT_EQ(pit_divisor, 59659u) << "1193182 Hz / 20";
}

TEST(GuestTimer, PreemptionTimerValueScalesAndSaturates) {
  using vmx::guest_timer::preemption_timer_value;
  // Bochs: TSC = instructions, 4 million an emulated second, rate shift 0.
  EXPECT_EQ(preemption_timer_value(8000000, 0), 8000000u);
  EXPECT_EQ(preemption_timer_value(6000000000ull, 5), 187500000u);
  EXPECT_EQ(preemption_timer_value(1ull << 40, 0), 0xFFFFFFFFu) << "the field is 32 bits";
}

TEST(GuestTimer, ChainLimitDefaultsToNoneOnAPcAndFiveMinutesInAnEmulator) {
  using guests::bios_chain::limit_seconds;
  const uint32_t unset = layout::CHAIN_LIMIT_PLATFORM_DEFAULT;
  EXPECT_EQ(limit_seconds(unset, true), 300u);
  EXPECT_EQ(limit_seconds(unset, false), 0u) << "a PC's own system runs unbounded";
  EXPECT_EQ(limit_seconds(80, false), 80u) << "GUEST_LIMIT= on a PC too";
  EXPECT_EQ(limit_seconds(0, true), 0u) << "GUEST_LIMIT=0 in an emulator";
}

TEST(GuestTimer, ChainLimitTicksSaturateInsteadOfWrapping) {
  using vmx::guest_timer::seconds_in_ticks;
  constexpr uint64_t unbounded = 1ull << 62;
  EXPECT_EQ(seconds_in_ticks(8000000, 60, unbounded), 240000000u) << "4 M ticks a second";
  EXPECT_EQ(seconds_in_ticks(8000000, 0, unbounded), unbounded);
  // A 10 GHz TSC and the largest header value would pass 2^64.
  EXPECT_EQ(seconds_in_ticks(20000000000ull, 0xFFFFFFFEu, unbounded), unbounded);
}

}  // namespace
