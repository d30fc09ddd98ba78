// The arithmetic the VMM times the TSC by (vmm/ia32/pit_count.h): which
// read-back status bytes of PIT channel 0 it can time by, and the input
// ticks between two latched counts, across the wrap at the BIOS's reload of
// 65536.
#include <gtest/gtest.h>

#include "ia32/pit_count.h"

namespace {

using pit::count_step;
using pit::ticks_between;

TEST(PitCount, StepFromTheBiosesStatus) {
  // The Bochs BIOS and SeaBIOS: control word 0x34 (16-bit, mode 2, binary;
  // read back in Bochs as 0x34); a square wave: 0x36 (mode 3). The status
  // repeats bits 5:0 of the control word.
  EXPECT_EQ(count_step(0x34), 1u);
  EXPECT_EQ(count_step(0x36), 2u);
  // OUT (bit 7) toggles as the counter runs; null count (bit 6) is not
  // looked at.
  EXPECT_EQ(count_step(0xB4), 1u);
  EXPECT_EQ(count_step(0xB6), 2u);
  EXPECT_EQ(count_step(0x76), 2u);
  // Modes 6 and 7 are the 8254's other names for 2 and 3.
  EXPECT_EQ(count_step(0x3C), 1u);
  EXPECT_EQ(count_step(0x3E), 2u);
}

TEST(PitCount, NoStepForWhatCannotBeTimed) {
  for (unsigned mode : {0u, 1u, 4u, 5u}) {
    EXPECT_EQ(count_step(static_cast<uint8_t>(0x30 | mode << 1)), 0u) << "one-shot mode " << mode;
  }
  EXPECT_EQ(count_step(0x35), 0u) << "BCD";
  EXPECT_EQ(count_step(0x37), 0u) << "BCD";
  EXPECT_EQ(count_step(0x14), 0u) << "low byte only";
  EXPECT_EQ(count_step(0x26), 0u) << "high byte only";
  EXPECT_EQ(count_step(0x04), 0u) << "access 0: a counter-latch command is no mode";
  EXPECT_EQ(count_step(0xFF), 0u) << "no PIT: the port reads all ones";
  EXPECT_EQ(count_step(0x00), 0u);
}

TEST(PitCount, Mode2CountsOneATick) {
  EXPECT_EQ(ticks_between(50000, 38069, 1), 11931u);
  EXPECT_EQ(ticks_between(1234, 1234, 1), 0u) << "not counting";
  // 65536 is loaded as 0: after 1 comes 0, then 65535.
  EXPECT_EQ(ticks_between(1, 0, 1), 1u);
  EXPECT_EQ(ticks_between(0, 65535, 1), 1u);
  EXPECT_EQ(ticks_between(5, 65530, 1), 11u) << "across the reload";
  EXPECT_EQ(ticks_between(6000, 59601, 1), 11935u) << "across the reload";
  EXPECT_EQ(ticks_between(0, 1, 1), 65535u) << "the longest span: one tick short of a period";
}

TEST(PitCount, Mode3CountsTwoATick) {
  EXPECT_EQ(ticks_between(50000, 26138, 2), 11931u);
  // Each half period runs the count from 65536 (0) down to 2, then reloads.
  EXPECT_EQ(ticks_between(2, 0, 2), 1u);
  EXPECT_EQ(ticks_between(0, 65534, 2), 1u);
  EXPECT_EQ(ticks_between(10, 65500, 2), 23u) << "across the reload";
  EXPECT_EQ(ticks_between(0, 2, 2), 32767u) << "the longest span: one tick short of a half period";
}

TEST(PitCount, PollsAddUpToTheSpanAcrossWraps) {
  // What the VMM's loop does: the sum of the steps between polls, here
  // 3000 ticks apart over two and a half periods of mode 3, and 7 ticks
  // apart in mode 2 over more than one period.
  uint32_t elapsed = 0;
  uint16_t count = 0;
  for (int poll = 0; poll < 55; ++poll) {
    const uint16_t now = static_cast<uint16_t>(count - 2 * 3000);
    elapsed += ticks_between(count, now, 2);
    count = now;
  }
  EXPECT_EQ(elapsed, 55u * 3000);
  elapsed = 0;
  count = 100;
  for (int poll = 0; poll < 10000; ++poll) {
    const uint16_t now = static_cast<uint16_t>(count - 7);
    elapsed += ticks_between(count, now, 1);
    count = now;
  }
  EXPECT_EQ(elapsed, 70000u);
}

}  // namespace
