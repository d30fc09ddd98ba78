// The arithmetic of the bound on the guest's time (vmm/vmx/guest_timer.h):
// PIT ticks where there is no VMX-preemption timer, the timer's start value
// where there is.
#include <gtest/gtest.h>

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

}  // namespace
