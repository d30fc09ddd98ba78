// Events the VMM hands a guest (vmm/vmx/event_delivery.h): an NMI now or
// at the guest's NMI window, an event an exit cut off delivered again.
#include <gtest/gtest.h>

#include "vmx/event_delivery.h"

namespace {

using vmx::nmi_delivery;
using vmx::NmiDelivery;
namespace blocking = vmx::interruptibility;
namespace interruption = ia32::vmx::interruption;

TEST(NmiDelivery, NowUnlessTheGuestBlocksItOrAnotherEventGoesIn) {
  EXPECT_EQ(nmi_delivery(0, false), NmiDelivery::inject_now);
  EXPECT_EQ(nmi_delivery(blocking::blocking_by_nmi, false), NmiDelivery::wait_for_window)
      << "inside the guest's own NMI handler";
  EXPECT_EQ(nmi_delivery(blocking::blocking_by_mov_ss, false), NmiDelivery::wait_for_window);
  EXPECT_EQ(nmi_delivery(blocking::blocking_by_sti, false), NmiDelivery::wait_for_window);
  EXPECT_EQ(nmi_delivery(0, true), NmiDelivery::wait_for_window)
      << "an event delivered again first: the NMI after it";
  EXPECT_EQ(vmx::nmi_injection, 0x80000202u) << "valid, type NMI, vector 2";
}

TEST(Reinjection, AnEventAnExitCutOffIsDeliveredAgainAsItWas) {
  EXPECT_FALSE(vmx::reinjection(0).needed);
  EXPECT_FALSE(vmx::reinjection(0x00000020u).needed) << "not valid";
  const auto irq = vmx::reinjection(interruption::valid | 0x20);
  EXPECT_TRUE(irq.needed);
  EXPECT_EQ(irq.interruption_info, interruption::valid | 0x20u);
  EXPECT_FALSE(irq.error_code);
  EXPECT_FALSE(irq.instruction_length);
  const auto pf = vmx::reinjection(interruption::valid | interruption::deliver_error_code |
                                   interruption::hardware_exception << 8 | 14 | 1u << 12);
  EXPECT_TRUE(pf.error_code);
  EXPECT_EQ(pf.interruption_info & (1u << 12), 0u) << "bit 12 is undefined there";
  const auto soft = vmx::reinjection(interruption::valid | interruption::software_interrupt << 8 | 0x80);
  EXPECT_TRUE(soft.instruction_length) << "INT n: its length goes with it";
}

}  // namespace
