// I/O exit decoding and OUTS emulation (vmm/ia32/vmx/io_qualification.h,
// vmm/vmx/io_emulation.h).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ia32/vmx/io_qualification.h"
#include "vmx/io_emulation.h"

namespace {

using ia32::vmx::IoQualification;
using ia32::vmx::SegmentRegister;

TEST(VmxIoQualification, OutImmediateAsSeenInBochs) {
  // `out 0xE9, al` under unconditional I/O exiting (Bochs 2.7, notes).
  IoQualification q{0x00E90040};
  EXPECT_EQ(q.size_bytes(), 1u);
  EXPECT_FALSE(q.is_in());
  EXPECT_FALSE(q.is_string());
  EXPECT_FALSE(q.is_rep());
  EXPECT_TRUE(q.port_is_immediate());
  EXPECT_EQ(q.port(), 0xE9);
}

TEST(VmxIoQualification, RepOutsbThroughDx) {
  IoQualification q{(0x3F8ull << 16) | (1 << 5) | (1 << 4)};
  EXPECT_EQ(q.size_bytes(), 1u);
  EXPECT_TRUE(q.is_string());
  EXPECT_TRUE(q.is_rep());
  EXPECT_FALSE(q.port_is_immediate());
  EXPECT_EQ(q.port(), 0x3F8);
  EXPECT_EQ(IoQualification{(0x3FDull << 16) | 8 | 3}.size_bytes(), 4u);
  EXPECT_TRUE(IoQualification{(0x3FDull << 16) | 8}.is_in());
  EXPECT_EQ(IoQualification{1}.size_bytes(), 2u);
}

TEST(VmxIoQualification, StringInstructionInfo) {
  // address size 32-bit (bits 9:7 = 1), segment FS (bits 17:15 = 4)
  vmx::StringOperand op = vmx::outs_operand_from_info((1u << 7) | (4u << 15));
  EXPECT_EQ(op.address_bytes, 4u);
  EXPECT_EQ(op.segment, SegmentRegister::fs);
  op = vmx::outs_operand_from_info(3u << 15);
  EXPECT_EQ(op.address_bytes, 2u);
  EXPECT_EQ(op.segment, SegmentRegister::ds);
}

TEST(VmxIoPrefixes, DecodedWhenTheCpuDoesNotReport) {
  vmx::StringOperand op{};
  const uint8_t plain[] = {0xF3, 0x6E};  // rep outsb
  ASSERT_TRUE(vmx::outs_operand_from_bytes(plain, sizeof(plain), false, op));
  EXPECT_EQ(op.segment, SegmentRegister::ds);
  EXPECT_EQ(op.address_bytes, 2u);
  const uint8_t es_a32[] = {0x26, 0x67, 0xF3, 0x66, 0x6F};  // rep outsd es:[esi]
  ASSERT_TRUE(vmx::outs_operand_from_bytes(es_a32, sizeof(es_a32), false, op));
  EXPECT_EQ(op.segment, SegmentRegister::es);
  EXPECT_EQ(op.address_bytes, 4u);
  const uint8_t last_wins[] = {0x2E, 0x65, 0x6E};
  ASSERT_TRUE(vmx::outs_operand_from_bytes(last_wins, sizeof(last_wins), false, op));
  EXPECT_EQ(op.segment, SegmentRegister::gs);
  const uint8_t a16_in_32[] = {0x67, 0x6E};
  ASSERT_TRUE(vmx::outs_operand_from_bytes(a16_in_32, sizeof(a16_in_32), true, op));
  EXPECT_EQ(op.address_bytes, 2u);
  const uint8_t not_outs[] = {0xF3, 0x6C};  // rep insb
  EXPECT_FALSE(vmx::outs_operand_from_bytes(not_outs, sizeof(not_outs), false, op));
  const uint8_t too_long[] = {0x6E, 0x90};
  EXPECT_FALSE(vmx::outs_operand_from_bytes(too_long, sizeof(too_long), false, op));
}

// Guest memory: 4 MiB, with a page directory at 0x11000.
struct GuestMemory {
  std::vector<uint8_t> bytes = std::vector<uint8_t>(4 << 20);
  uint32_t read32(uint64_t address) const {
    return bytes[address] | bytes[address + 1] << 8 | bytes[address + 2] << 16 |
           static_cast<uint32_t>(bytes[address + 3]) << 24;
  }
  void write32(uint64_t address, uint32_t value) {
    for (int i = 0; i < 4; ++i) bytes[address + i] = static_cast<uint8_t>(value >> (8 * i));
  }
  auto reader() {
    return [this](uint64_t address, uint32_t* value) {
      if (address + 4 > bytes.size()) return false;
      *value = read32(address);
      return true;
    };
  }
};

TEST(VmxGuestPaging, FourMegabytePageAndFourKilobytePages) {
  GuestMemory m;
  m.write32(0x11000, 0x00000087);                 // PDE 0: 4 MiB user page at 0
  m.write32(0x11004, 0x00012007);                 // PDE 1: page table at 0x12000
  m.write32(0x12000 + 5 * 4, 0x00345007);         // linear 0x405xxx -> 0x345xxx
  m.write32(0x12000 + 6 * 4, 0x00346003);         // supervisor page
  m.write32(0x11008, 0x00000083);                 // PDE 2: supervisor 4 MiB
  uint64_t phys = 0;
  ASSERT_TRUE(vmx::guest_linear_to_physical(0x11000, true, 0x0010123, phys, m.reader()));
  EXPECT_EQ(phys, 0x10123u);
  ASSERT_TRUE(vmx::guest_linear_to_physical(0x11000, true, 0x405ABC, phys, m.reader()));
  EXPECT_EQ(phys, 0x345ABCu);
  EXPECT_FALSE(vmx::guest_linear_to_physical(0x11000, true, 0x406000, phys, m.reader()));
  EXPECT_FALSE(vmx::guest_linear_to_physical(0x11000, true, 0x800000, phys, m.reader()));
  EXPECT_FALSE(vmx::guest_linear_to_physical(0x11000, true, 0xC00000, phys, m.reader()))
      << "not present";
  // Without CR4.PSE, PDE 0's PS bit is ignored: it points to a page table at 0.
  m.write32(0x0, 0x00000005);
  ASSERT_TRUE(vmx::guest_linear_to_physical(0x11000, false, 0x123, phys, m.reader()));
  EXPECT_EQ(phys, 0x123u);
}

struct Port {
  std::vector<uint32_t> values;
  std::vector<uint16_t> ports;
  auto out() {
    return [this](uint16_t port, unsigned, uint32_t value) {
      ports.push_back(port);
      values.push_back(value);
    };
  }
  std::string text() const {
    std::string s;
    for (uint32_t v : values) s += static_cast<char>(v);
    return s;
  }
};

// A flat byte array as guest-linear memory.
auto linear_reader(const std::vector<uint8_t>& memory) {
  return [&memory](uint64_t linear, unsigned bytes, uint32_t* value) {
    if (linear + bytes > memory.size()) return false;
    uint32_t v = 0;
    for (unsigned i = 0; i < bytes; ++i) v |= static_cast<uint32_t>(memory[linear + i]) << (8 * i);
    *value = v;
    return true;
  };
}

vmx::OutsRequest rep_outsb(uint64_t rsi, uint64_t rcx) {
  vmx::OutsRequest r{};
  r.qualification = IoQualification{(0x3F8ull << 16) | (1 << 5) | (1 << 4)};
  r.operand = {SegmentRegister::ds, 2};
  r.segment_base = 0x10000;
  r.segment_limit = 0xFFFF;
  r.rsi = rsi;
  r.rcx = rcx;
  return r;
}

TEST(VmxOuts, RepOutsbForwardsTheWholeStringInOneGo) {
  std::vector<uint8_t> memory(0x30000);
  std::string hello = "Hello from Guest VM";
  std::copy(hello.begin(), hello.end(), memory.begin() + 0x10100);
  Port port;
  vmx::OutsResult r = vmx::emulate_outs(rep_outsb(0xABCD0100, 0x12340000 | hello.size()),
                                        linear_reader(memory), port.out());
  ASSERT_EQ(r.error, nullptr);
  EXPECT_EQ(port.text(), hello);
  EXPECT_EQ(r.elements, hello.size());
  EXPECT_EQ(port.ports.front(), 0x3F8);
  // Only SI and CX change with a 16-bit address size.
  EXPECT_EQ(r.rsi, 0xABCD0100u + hello.size());
  EXPECT_EQ(r.rcx, 0x12340000u);
}

TEST(VmxOuts, DirectionFlagWalksDownward) {
  std::vector<uint8_t> memory(0x30000);
  std::string text = "abc";
  std::copy(text.begin(), text.end(), memory.begin() + 0x10200);
  Port port;
  vmx::OutsRequest req = rep_outsb(0x202, 3);
  req.direction_down = true;
  vmx::OutsResult r = vmx::emulate_outs(req, linear_reader(memory), port.out());
  ASSERT_EQ(r.error, nullptr);
  EXPECT_EQ(port.text(), "cba");
  EXPECT_EQ(r.rsi, 0x1FFu);
  EXPECT_EQ(r.rcx, 0u);
}

TEST(VmxOuts, SixteenBitOffsetsWrapAndLimitsHold) {
  std::vector<uint8_t> memory(0x30000);
  memory[0x1FFFF] = 'x';
  memory[0x10000] = 'y';
  Port port;
  vmx::OutsResult r = vmx::emulate_outs(rep_outsb(0xFFFF, 2), linear_reader(memory), port.out());
  ASSERT_EQ(r.error, nullptr);
  EXPECT_EQ(port.text(), "xy");
  EXPECT_EQ(r.rsi, 1u);

  vmx::OutsRequest req = rep_outsb(0xFFF0, 0x20);
  req.operand.address_bytes = 4;  // 0x67: ESI runs past the 64 KiB limit
  Port port2;
  vmx::OutsResult limited = vmx::emulate_outs(req, linear_reader(memory), port2.out());
  EXPECT_STREQ(limited.error, "outs beyond the segment limit");
  EXPECT_EQ(limited.elements, 0x10u);
  EXPECT_EQ(limited.rsi, 0x10000u) << "stops where the CPU would fault";
  EXPECT_EQ(limited.rcx, 0x10u);
}

TEST(VmxOuts, WordsWithoutRepAndUnreadableSource) {
  std::vector<uint8_t> memory(0x30000);
  memory[0x10010] = 0x34;
  memory[0x10011] = 0x12;
  vmx::OutsRequest req = rep_outsb(0x10, 99);
  req.qualification = IoQualification{(0x3F8ull << 16) | (1 << 4) | 1};  // outsw, no rep
  Port port;
  vmx::OutsResult r = vmx::emulate_outs(req, linear_reader(memory), port.out());
  ASSERT_EQ(r.error, nullptr);
  ASSERT_EQ(port.values.size(), 1u);
  EXPECT_EQ(port.values[0], 0x1234u);
  EXPECT_EQ(r.rsi, 0x12u);
  EXPECT_EQ(r.rcx, 99u) << "RCX untouched without REP";

  vmx::OutsRequest far = rep_outsb(0x10, 1);
  far.segment_base = 0x40000;  // beyond the array
  Port port2;
  EXPECT_STREQ(vmx::emulate_outs(far, linear_reader(memory), port2.out()).error,
               "outs source not readable at CPL 3");
  EXPECT_TRUE(port2.values.empty());
}

TEST(VmxOuts, RepWithZeroCountDoesNothing) {
  std::vector<uint8_t> memory(0x30000);
  Port port;
  vmx::OutsResult r = vmx::emulate_outs(rep_outsb(0x10, 0xFFFF0000), linear_reader(memory), port.out());
  EXPECT_EQ(r.error, nullptr);
  EXPECT_TRUE(port.values.empty());
  EXPECT_EQ(r.rsi, 0x10u);
}

}  // namespace
