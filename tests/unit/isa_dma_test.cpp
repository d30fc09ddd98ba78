// The ISA DMA controllers as the VMM keeps them (vmm/devices/isa_dma.h): each
// channel's address, count, page and mode tracked through the byte
// flip-flop, no channel unmasked that reaches the VMM's memory (16-bit
// channels counting words), a change that would make an unmasked one reach
// it masks it first; over a faked bus.
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "devices/isa_dma.h"
#include "fake_port_io.h"
#include "layout.h"

namespace {

using devices::IsaDmaChannel;
using devices::PortAccess;
using devices::PortVerdict;
using fake_port_io::Out;

constexpr uint64_t vmm_first = layout::VMM_ADDR, vmm_end = layout::VMM_MEMORY_END;

bool reaches(unsigned n, uint8_t page, uint16_t address, uint16_t count, uint8_t mode = 0x44) {
  const IsaDmaChannel c{address, count, false, false, page, mode, false};
  return devices::isa_dma_reaches(c, n, vmm_first, vmm_end);
}

TEST(IsaDmaReach, AByteChannelsRunFromItsPageAndAddress) {
  EXPECT_TRUE(reaches(2, 0x40, 0x0000, 0x01FF)) << "0x400000";
  EXPECT_FALSE(reaches(2, 0x3F, 0xFF00, 0x00FF)) << "0x3FFF00-0x3FFFFF";
  EXPECT_TRUE(reaches(2, 0x3F, 0xFF00, 0x0100)) << "one byte more: 0x400000";
  EXPECT_FALSE(reaches(2, 0x60, 0xE000, 0x0FFF)) << "from the VMM's end";
  EXPECT_TRUE(reaches(2, 0x60, 0xDFFF, 0x0000)) << "its last byte";
  EXPECT_FALSE(reaches(2, 0x08, 0x0000, 0xFFFF)) << "64 KiB at 0x80000";
}

TEST(IsaDmaReach, ARunPastItsWindowReachesItAllAndStraightOn) {
  // From 0x3FFF00, 0x200 bytes: an 8237 wraps to 0x3F0000, Bochs goes on
  // to 0x400100. Both are checked.
  EXPECT_TRUE(reaches(2, 0x3F, 0xFF00, 0x01FF));
  // A wrap inside a window away from the VMM reaches nothing of it.
  EXPECT_FALSE(reaches(2, 0x30, 0xFF00, 0x01FF));
  // The window touches the VMM where the run alone would not.
  EXPECT_TRUE(reaches(2, 0x60, 0xFFFF, 0xE001)) << "wraps to 0x600000";
}

TEST(IsaDmaReach, DownwardRunsEndAtTheirAddress) {
  constexpr uint8_t down = 0x44 | devices::isa_dma_mode_decrement;
  EXPECT_FALSE(reaches(2, 0x60, 0xFFFF, 0x1FFF, down)) << "0x60E000-0x60FFFF";
  EXPECT_TRUE(reaches(2, 0x60, 0xFFFF, 0x2000, down)) << "down to 0x60DFFF";
  EXPECT_FALSE(reaches(2, 0x3F, 0xFFFF, 0xFFFF, down)) << "the whole 0x3F page, no further";
  EXPECT_TRUE(reaches(2, 0x60, 0xE000, 0xE001, down)) << "wraps to the window's top";
  EXPECT_FALSE(reaches(2, 0x3F, 0x0000, 0x0001, down)) << "wraps inside 0x3F0000";
}

TEST(IsaDmaReach, WordChannelsCountWordsInA128KibWindow) {
  EXPECT_FALSE(reaches(5, 0x3E, 0xFF80, 0x007F)) << "0x3FFF00-0x3FFFFF";
  EXPECT_TRUE(reaches(5, 0x3E, 0xFF80, 0x0080)) << "two bytes more";
  EXPECT_TRUE(reaches(6, 0x40, 0x0000, 0x0000));
  EXPECT_FALSE(reaches(7, 0x3E, 0x0000, 0x7FFF)) << "0x3E0000, 64 KiB of 128";
  // Page bit 0 is no address bit on a PC (0x3E0000 + address * 2); Bochs
  // ORs it in as A16: 0x3F0000 | 0x1FFFE. Either reaches 0x400000 here.
  EXPECT_TRUE(reaches(5, 0x3F, 0xFFFF, 0x0001));
  EXPECT_FALSE(reaches(5, 0x3F, 0x0000, 0x0000)) << "window 0x3E0000-0x3FFFFF";
  EXPECT_TRUE(reaches(5, 0x41, 0x0000, 0x0000)) << "window 0x400000";
}

TEST(IsaDmaReach, ALowByteAloneIsCheckedAsAn8237AndAsBochsHoldIt) {
  // Address 0xE000 at page 0x60 (from the VMM's end), then only a new low
  // byte: an 8237 holds 0xE010, Bochs 0x0010 (in the VMM).
  IsaDmaChannel c{0xE010, 0x0FFF, true, false, 0x60, 0x44, false};
  EXPECT_TRUE(devices::isa_dma_reaches(c, 2, vmm_first, vmm_end));
  c.address_low_only = false;
  EXPECT_FALSE(devices::isa_dma_reaches(c, 2, vmm_first, vmm_end));
  // The same for the count: from 0x3FF000, 0x1FFF after a low byte alone
  // reaches the VMM, Bochs' 0x00FF does not.
  c = {0xF000, 0x1FFF, false, true, 0x3F, 0x44, false};
  EXPECT_TRUE(devices::isa_dma_reaches(c, 2, vmm_first, vmm_end)) << "the 8237's 0x1FFF";
  c = {0xF000, 0x00FF, false, true, 0x3F, 0x44, false};
  EXPECT_FALSE(devices::isa_dma_reaches(c, 2, vmm_first, vmm_end));
}

struct IsaDmaTest : testing::Test {
  std::unique_ptr<devices::IsaDma> state = std::make_unique<devices::IsaDma>();
  devices::PortDevice controllers{}, pages{};
  vmx::GuestEnd end{};
  void SetUp() override {
    fake_port_io::reset();
    fake_port_io::inputs[0x81] = 0x07;  // channel 2's page as the firmware left it
    controllers = devices::isa_dma_device(*state, vmm_first, vmm_end);
    pages = devices::isa_dma_page_device(*state);
    fake_port_io::outs.clear();
  }
  PortVerdict out(uint16_t port, uint32_t value, unsigned bytes = 1) {
    const devices::PortDevice& d = port >= 0x80 && port < 0xA0 ? pages : controllers;
    PortAccess a{port, static_cast<uint8_t>(bytes), false, value};
    const PortVerdict v = d.access(d.state, a, end);
    // What the hardware gets, as the exit handler carries a pass out.
    if (v == PortVerdict::pass) fake_port_io::outs.push_back({port, bytes, a.value});
    return v;
  }
  PortVerdict in(uint16_t port) {
    PortAccess a{port, 1, true, 0};
    return controllers.access(controllers.state, a, end);
  }
  // Channel 2 as a floppy driver sets it: masked, flip-flop clear, mode,
  // address, count, page; then unmasked.
  PortVerdict program_channel2(uint8_t page, uint16_t address, uint16_t count) {
    out(0x0A, 0x06);
    out(0x0C, 0x00);
    out(0x0B, 0x46);
    out(0x04, address & 0xFF);
    out(0x04, address >> 8);
    out(0x05, count & 0xFF);
    out(0x05, count >> 8);
    out(0x81, page);
    return out(0x0A, 0x02);
  }
};

TEST_F(IsaDmaTest, BeforeTheGuestEveryChannelButTheCascadeIsMaskedAndSetToVerify) {
  fake_port_io::reset();
  fake_port_io::inputs[0x8B] = 0x3E;
  controllers = devices::isa_dma_device(*state, vmm_first, vmm_end);
  const std::vector<Out>& outs = fake_port_io::outs;
  EXPECT_EQ(outs[0], (Out{0x0C, 1, 0})) << "flip-flops clear";
  EXPECT_EQ(outs[1], (Out{0xD8, 1, 0}));
  EXPECT_EQ(std::vector<Out>(outs.begin() + 2, outs.begin() + 8),
            (std::vector<Out>{{0x0A, 1, 0x04}, {0x0B, 1, 0x40}, {0x00, 1, 0}, {0x00, 1, 0},
                              {0x01, 1, 0}, {0x01, 1, 0}}))
      << "channel 0: masked, verify, address 0, count 0";
  for (const Out& o : outs) {
    EXPECT_FALSE(o.port == 0xD4 && (o.value & 3) == 0) << "channel 4, the cascade, untouched";
  }
  EXPECT_EQ(outs.size(), 2 + 7 * 6u);
  for (unsigned n = 0; n < 8; ++n) EXPECT_EQ(state->channel[n].masked, n != 4) << n;
  EXPECT_EQ(state->channel[5].page, 0x3E) << "the page registers read";
  EXPECT_FALSE(state->flip_flop[0] || state->flip_flop[1]);
}

TEST_F(IsaDmaTest, AChannelIsTrackedThroughTheFlipFlop) {
  EXPECT_EQ(program_channel2(0x08, 0x1234, 0x01FF), PortVerdict::pass) << "0x81234: unmasked";
  const IsaDmaChannel& c = state->channel[2];
  EXPECT_EQ(c.address, 0x1234);
  EXPECT_EQ(c.count, 0x01FF);
  EXPECT_EQ(c.page, 0x08);
  EXPECT_EQ(c.mode, 0x46);
  EXPECT_FALSE(c.masked);
  EXPECT_FALSE(c.address_low_only);
  // A read of an address byte turns the flip-flop as a write does.
  out(0x0C, 0);
  EXPECT_EQ(in(0x04), PortVerdict::pass);
  EXPECT_TRUE(state->flip_flop[0]);
  out(0x04, 0x56);
  EXPECT_EQ(c.address, 0x5634) << "the high byte";
  EXPECT_FALSE(state->flip_flop[0]);
  in(0x05);
  out(0x0D, 0);  // master clear
  EXPECT_FALSE(state->flip_flop[0]);
  EXPECT_TRUE(c.masked);
  EXPECT_EQ(in(0x08), PortVerdict::pass) << "status";
  EXPECT_FALSE(state->flip_flop[0]);
}

TEST_F(IsaDmaTest, AnUnmaskOfAChannelAimedAtTheVmmIsRefused) {
  fake_port_io::outs.clear();
  EXPECT_EQ(program_channel2(0x40, 0x0000, 0x01FF), PortVerdict::done);
  EXPECT_NE(fake_port_io::outs.back(), (Out{0x0A, 1, 0x02})) << "the unmask does not reach it";
  EXPECT_TRUE(state->channel[2].masked);
  EXPECT_EQ(state->unmasks_refused, 1u);
  // Clear mask register: the others unmasked, channel 2 kept masked.
  EXPECT_EQ(out(0x0E, 0), PortVerdict::done);
  EXPECT_EQ(fake_port_io::outs.back(), (Out{0x0F, 1, 0x04}));
  EXPECT_FALSE(state->channel[0].masked);
  EXPECT_TRUE(state->channel[2].masked);
  // Write all mask bits, all clear: written with channel 2's set.
  EXPECT_EQ(out(0x0F, 0xF0), PortVerdict::pass);
  EXPECT_EQ(fake_port_io::outs.back(), (Out{0x0F, 1, 0xF4}));
  EXPECT_EQ(state->unmasks_refused, 3u);
  // Pointed elsewhere, it may run.
  out(0x81, 0x08);
  EXPECT_EQ(out(0x0A, 0x02), PortVerdict::pass);
  EXPECT_FALSE(state->channel[2].masked);
}

TEST_F(IsaDmaTest, AChangeThatAimsAnUnmaskedChannelAtTheVmmMasksItFirst) {
  ASSERT_EQ(program_channel2(0x3F, 0xFF00, 0x00FF), PortVerdict::pass);
  fake_port_io::outs.clear();
  // The count, low byte then high: 0x00FF, then 0x01FF, which reaches 0x400000.
  EXPECT_EQ(out(0x05, 0xFF), PortVerdict::pass);
  EXPECT_EQ(out(0x05, 0x01), PortVerdict::pass);
  EXPECT_EQ(fake_port_io::outs,
            (std::vector<Out>{{0x05, 1, 0xFF}, {0x0A, 1, 0x06}, {0x05, 1, 0x01}}))
      << "masked, then the byte written";
  EXPECT_TRUE(state->channel[2].masked);
  EXPECT_EQ(state->masked_on_change, 1u);
  // The page, and the mode (downward from 0x60E000), do the same.
  ASSERT_EQ(program_channel2(0x08, 0x0000, 0x00FF), PortVerdict::pass);
  fake_port_io::outs.clear();
  out(0x81, 0x40);
  EXPECT_EQ(fake_port_io::outs, (std::vector<Out>{{0x0A, 1, 0x06}, {0x81, 1, 0x40}}));
  ASSERT_EQ(program_channel2(0x60, 0xE000, 0x00FF), PortVerdict::pass);
  out(0x0B, 0x66);
  EXPECT_TRUE(state->channel[2].masked) << "downward from 0x60E000";
  EXPECT_EQ(state->masked_on_change, 3u);
  // A change of a masked channel is the guest's own business.
  fake_port_io::outs.clear();
  out(0x81, 0x41);
  EXPECT_EQ(fake_port_io::outs, (std::vector<Out>{{0x81, 1, 0x41}}));
}

TEST_F(IsaDmaTest, WordChannelsOnTheSecondController) {
  // Channel 5: mask 0xD4, mode 0xD6, flip-flop 0xD8, address 0xC4, count 0xC6, page 0x8B.
  out(0xD8, 0);
  out(0xD6, 0x45);
  out(0xC4, 0x80);
  out(0xC4, 0xFF);
  out(0xC6, 0x80);
  out(0xC6, 0x00);
  out(0x8B, 0x3E);
  EXPECT_EQ(out(0xD4, 0x01), PortVerdict::done) << "0x3FFF00 + 0x81 words reaches 0x400000";
  out(0xC6, 0x7F);
  out(0xC6, 0x00);
  EXPECT_EQ(out(0xD4, 0x01), PortVerdict::pass) << "0x80 words end at 0x400000";
  EXPECT_FALSE(state->channel[5].masked);
  // The cascade may always be unmasked: it moves nothing itself.
  out(0x8F, 0x40);
  EXPECT_EQ(out(0xD4, 0x00), PortVerdict::pass);
}

TEST_F(IsaDmaTest, MemoryToMemoryIsTurnedOff) {
  PortAccess a{0x08, 1, false, 0x03};
  EXPECT_EQ(controllers.access(controllers.state, a, end), PortVerdict::pass);
  EXPECT_EQ(a.value, 0x02u);
  EXPECT_EQ(state->memory_to_memory_refused, 1u);
  a = {0xD0, 1, false, 0x04};
  EXPECT_EQ(controllers.access(controllers.state, a, end), PortVerdict::pass);
  EXPECT_EQ(a.value, 0x04u) << "controller disable: the guest's";
}

TEST_F(IsaDmaTest, SoftwareRequestsAreDroppedTheirClearingPasses) {
  ASSERT_EQ(program_channel2(0x08, 0x0000, 0x01FF), PortVerdict::pass);
  fake_port_io::outs.clear();
  EXPECT_EQ(out(0x09, 0x06), PortVerdict::done) << "set, channel 2";
  EXPECT_EQ(out(0xD2, 0x05), PortVerdict::done) << "set, channel 5";
  EXPECT_TRUE(fake_port_io::outs.empty());
  EXPECT_EQ(state->requests_dropped, 2u);
  EXPECT_EQ(out(0x09, 0x02), PortVerdict::pass) << "clear";
}

TEST_F(IsaDmaTest, AliasesAndWideAccessesAreDenied) {
  for (uint16_t port : {0x10, 0x14, 0x1A, 0x1F, 0xC1, 0xC5, 0xD5, 0xDF}) {
    EXPECT_EQ(out(port, 0x00), PortVerdict::deny) << port;
    PortAccess a{port, 1, true, 0};
    EXPECT_EQ(controllers.access(controllers.state, a, end), PortVerdict::deny) << port;
  }
  for (uint16_t port : {0x90, 0x91, 0x93, 0x97, 0x9B, 0x9F}) {
    EXPECT_EQ(out(port, 0x40), PortVerdict::deny) << port;
  }
  EXPECT_EQ(out(0x0A, 0x0002, 2), PortVerdict::deny);
  EXPECT_EQ(out(0x04, 0x0000, 2), PortVerdict::deny);
  EXPECT_EQ(out(0x80, 0x4000, 2), PortVerdict::deny) << "a word from the POST code port";
  EXPECT_EQ(out(0x84, 0x12), PortVerdict::pass) << "a spare page register";
  EXPECT_EQ(state->channel[2].page, 0x07) << "untouched";
  EXPECT_FALSE(state->flip_flop[0] || state->flip_flop[1]);
  EXPECT_EQ(pages.passes, devices::passes::in_any) << "page reads need no look";
  EXPECT_EQ(controllers.passes, devices::passes::none) << "reads turn flip-flops";
}

}  // namespace
