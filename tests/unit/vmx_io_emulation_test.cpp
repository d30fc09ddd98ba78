// I/O exit decoding and INS/OUTS emulation (vmm/ia32/vmx/io_qualification.h,
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
  // `out 0xE9, al` under unconditional I/O exiting (Bochs 2.7, docs/vmx.md).
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
  EXPECT_EQ(IoQualification{0}.size_mask(), 0xFFu);
  EXPECT_EQ(IoQualification{1}.size_mask(), 0xFFFFu);
  EXPECT_EQ(IoQualification{3}.size_mask(), 0xFFFFFFFFu);
}

TEST(VmxIoQualification, StringInstructionInfo) {
  // address size 32-bit (bits 9:7 = 1), segment FS (bits 17:15 = 4)
  vmx::StringOperand op = vmx::string_operand_from_info((1u << 7) | (4u << 15), false);
  EXPECT_EQ(op.address_bytes, 4u);
  EXPECT_EQ(op.segment, SegmentRegister::fs);
  op = vmx::string_operand_from_info(3u << 15, false);
  EXPECT_EQ(op.address_bytes, 2u);
  EXPECT_EQ(op.segment, SegmentRegister::ds);
  // INS writes ES:(E)DI whatever the field's segment bits say.
  op = vmx::string_operand_from_info((1u << 7) | (4u << 15), true);
  EXPECT_EQ(op.segment, SegmentRegister::es);
  EXPECT_EQ(op.address_bytes, 4u);
}

TEST(VmxIoQualification, A64BitGuestsStringOperandIsNamedByItsRegisters) {
  // address size 64-bit (bits 9:7 = 2), segment DS: a 64-bit guest's
  // REP OUTSB reads DS:RSI, counted in RCX.
  const vmx::StringOperand outs = vmx::string_operand_from_info((2u << 7) | (3u << 15), false);
  EXPECT_EQ(outs.address_bytes, 8u);
  EXPECT_STREQ(vmx::string_registers(outs, false).index, "rsi");
  EXPECT_STREQ(vmx::string_registers(outs, false).count, "rcx");
  const vmx::StringOperand ins = vmx::string_operand_from_info(2u << 7, true);
  EXPECT_STREQ(vmx::string_registers(ins, true).index, "rdi");
  EXPECT_STREQ(vmx::string_registers(vmx::string_operand_from_info(1u << 7, false), false).index,
               "esi");
  EXPECT_STREQ(vmx::string_registers(vmx::string_operand_from_info(0, true), true).count, "cx");
}

TEST(VmxIoPrefixes, DecodedWhenTheCpuDoesNotReport) {
  vmx::StringOperand op{};
  const uint8_t plain[] = {0xF3, 0x6E};  // rep outsb
  ASSERT_TRUE(vmx::string_operand_from_bytes(plain, sizeof(plain), false, op));
  EXPECT_EQ(op.segment, SegmentRegister::ds);
  EXPECT_EQ(op.address_bytes, 2u);
  const uint8_t es_a32[] = {0x26, 0x67, 0xF3, 0x66, 0x6F};  // rep outsd es:[esi]
  ASSERT_TRUE(vmx::string_operand_from_bytes(es_a32, sizeof(es_a32), false, op));
  EXPECT_EQ(op.segment, SegmentRegister::es);
  EXPECT_EQ(op.address_bytes, 4u);
  const uint8_t last_wins[] = {0x2E, 0x65, 0x6E};
  ASSERT_TRUE(vmx::string_operand_from_bytes(last_wins, sizeof(last_wins), false, op));
  EXPECT_EQ(op.segment, SegmentRegister::gs);
  const uint8_t a16_in_32[] = {0x67, 0x6E};
  ASSERT_TRUE(vmx::string_operand_from_bytes(a16_in_32, sizeof(a16_in_32), true, op));
  EXPECT_EQ(op.address_bytes, 2u);
  const uint8_t rep_insb_fs[] = {0x64, 0xF3, 0x6C};  // the override does not apply to INS
  ASSERT_TRUE(vmx::string_operand_from_bytes(rep_insb_fs, sizeof(rep_insb_fs), false, op));
  EXPECT_EQ(op.segment, SegmentRegister::es);
  const uint8_t insd_a32[] = {0x67, 0x66, 0x6D};
  ASSERT_TRUE(vmx::string_operand_from_bytes(insd_a32, sizeof(insd_a32), false, op));
  EXPECT_EQ(op.address_bytes, 4u);
  const uint8_t not_string_io[] = {0xF3, 0xA4};  // rep movsb
  EXPECT_FALSE(vmx::string_operand_from_bytes(not_string_io, sizeof(not_string_io), false, op));
  const uint8_t too_long[] = {0x6E, 0x90};
  EXPECT_FALSE(vmx::string_operand_from_bytes(too_long, sizeof(too_long), false, op));
}

// Guest-linear memory as a flat byte array (bytes past `writable_end` are
// read-only) and a port that records what goes out and hands out `next_in`.
struct FakeGuest {
  std::vector<uint8_t> memory = std::vector<uint8_t>(0x30000);
  uint64_t writable_end = ~0ull;
  std::vector<uint32_t> values;  // to the port
  std::vector<uint16_t> ports;
  uint32_t next_in = 0;          // from the port; counts up
  uint64_t guest_memory_end = ~0ull;  // beyond: mapped, but not the guest's
  vmx::GuestAccess read(uint64_t linear, unsigned bytes, uint32_t* value) const {
    if (linear + bytes > guest_memory_end) return vmx::GuestAccess::not_guest_memory;
    if (linear + bytes > memory.size()) return vmx::GuestAccess::denied_at_cpl3;
    uint32_t v = 0;
    for (unsigned i = 0; i < bytes; ++i) v |= static_cast<uint32_t>(memory[linear + i]) << (8 * i);
    *value = v;
    return vmx::GuestAccess::ok;
  }
  vmx::GuestAccess write(uint64_t linear, unsigned bytes, uint32_t value) {
    if (linear + bytes > guest_memory_end) return vmx::GuestAccess::not_guest_memory;
    if (linear + bytes > memory.size() || linear + bytes > writable_end) {
      return vmx::GuestAccess::denied_at_cpl3;
    }
    for (unsigned i = 0; i < bytes; ++i) memory[linear + i] = static_cast<uint8_t>(value >> (8 * i));
    return vmx::GuestAccess::ok;
  }
  uint32_t in(uint16_t port, unsigned) {
    ports.push_back(port);
    return next_in++;
  }
  void out(uint16_t port, unsigned, uint32_t value) {
    ports.push_back(port);
    values.push_back(value);
  }
  std::string text() const {
    std::string s;
    for (uint32_t v : values) s += static_cast<char>(v);
    return s;
  }
};

vmx::StringIoRequest rep_outsb(uint64_t rsi, uint64_t rcx) {
  vmx::StringIoRequest r{};
  r.qualification = IoQualification{(0x3F8ull << 16) | (1 << 5) | (1 << 4)};
  r.operand = {SegmentRegister::ds, 2};
  r.segment_base = 0x10000;
  r.segment_limit = 0xFFFF;
  r.index = rsi;
  r.rcx = rcx;
  return r;
}

vmx::StringIoRequest rep_insb(uint64_t rdi, uint64_t rcx) {
  vmx::StringIoRequest r = rep_outsb(rdi, rcx);
  r.qualification = IoQualification{(0x64ull << 16) | (1 << 5) | (1 << 4) | (1 << 3)};
  r.operand = {SegmentRegister::es, 2};
  return r;
}

TEST(VmxOuts, RepOutsbForwardsAShortStringInOneExit) {
  FakeGuest guest;
  std::string hello = "Hello from Guest VM";
  std::copy(hello.begin(), hello.end(), guest.memory.begin() + 0x10100);
  vmx::StringIoResult r =
      vmx::emulate_string_io(rep_outsb(0xABCD0100, 0x12340000 | hello.size()), guest);
  ASSERT_EQ(r.error, nullptr);
  EXPECT_TRUE(r.done);
  EXPECT_EQ(guest.text(), hello);
  EXPECT_EQ(r.elements, hello.size());
  EXPECT_EQ(guest.ports.front(), 0x3F8);
  // Only SI and CX change with a 16-bit address size.
  EXPECT_EQ(r.index, 0xABCD0100u + hello.size());
  EXPECT_EQ(r.rcx, 0x12340000u);
}

TEST(VmxStringIo, ALongRepGoesOnInBoundedChunks) {
  // 100 bytes in chunks of string_io_chunk_elements: each chunk leaves RCX
  // and SI where the CPU leaves them for a REP interrupted by an event;
  // only the last is done (then the exit handler advances RIP).
  static_assert(vmx::string_io_chunk_elements == 32);
  FakeGuest guest;
  std::string text;
  for (int i = 0; i < 100; ++i) text += static_cast<char>('A' + i % 26);
  std::copy(text.begin(), text.end(), guest.memory.begin() + 0x10100);
  vmx::StringIoRequest req = rep_outsb(0xABCD0100, 0x12340000 | text.size());
  std::vector<uint32_t> chunks;
  for (int exits = 0; exits < 10; ++exits) {
    const vmx::StringIoResult r = vmx::emulate_string_io(req, guest);
    ASSERT_EQ(r.error, nullptr);
    chunks.push_back(r.elements);
    req.index = r.index;
    req.rcx = r.rcx;
    if (r.done) break;
  }
  EXPECT_EQ(chunks, (std::vector<uint32_t>{32, 32, 32, 4}));
  EXPECT_EQ(guest.text(), text);
  EXPECT_EQ(req.index, 0xABCD0100u + 100);
  EXPECT_EQ(req.rcx, 0x12340000u);
}

TEST(VmxStringIo, ChunksFollowTheAddressSizeAndDirection) {
  // A 32-bit REP INSW downward (the ring-0 handler's width): ECX and EDI
  // count down in steps of 2; the upper halves of RCX/RDI stay.
  FakeGuest guest;
  vmx::StringIoRequest req = rep_insb(0xFFFF000000010100ull, 0x5500000000000000ull | 40);
  req.qualification = IoQualification{(0x3F8ull << 16) | (1 << 5) | (1 << 4) | (1 << 3) | 1};
  req.operand.address_bytes = 4;
  req.segment_base = 0;
  req.segment_limit = 0xFFFFFFFF;
  req.direction_down = true;
  req.max_elements = 16;
  vmx::StringIoResult r = vmx::emulate_string_io(req, guest);
  ASSERT_EQ(r.error, nullptr);
  EXPECT_FALSE(r.done);
  EXPECT_EQ(r.elements, 16u);
  EXPECT_EQ(r.index, 0xFFFF000000010100ull - 32);
  EXPECT_EQ(r.rcx, 0x5500000000000000ull | 24);
  // A chunk of 0 would make no progress: it counts as 1.
  req.max_elements = 0;
  EXPECT_EQ(vmx::emulate_string_io(req, guest).elements, 1u);
  // Without REP one element is the whole instruction.
  req.qualification = IoQualification{(0x3F8ull << 16) | (1 << 4) | (1 << 3)};
  req.max_elements = 1;
  EXPECT_TRUE(vmx::emulate_string_io(req, guest).done);
}

TEST(VmxOuts, DirectionFlagWalksDownward) {
  FakeGuest guest;
  std::string text = "abc";
  std::copy(text.begin(), text.end(), guest.memory.begin() + 0x10200);
  vmx::StringIoRequest req = rep_outsb(0x202, 3);
  req.direction_down = true;
  vmx::StringIoResult r = vmx::emulate_string_io(req, guest);
  ASSERT_EQ(r.error, nullptr);
  EXPECT_EQ(guest.text(), "cba");
  EXPECT_EQ(r.index, 0x1FFu);
  EXPECT_EQ(r.rcx, 0u);
}

TEST(VmxOuts, SixteenBitOffsetsWrapAndLimitsHold) {
  FakeGuest guest;
  guest.memory[0x1FFFF] = 'x';
  guest.memory[0x10000] = 'y';
  vmx::StringIoResult r = vmx::emulate_string_io(rep_outsb(0xFFFF, 2), guest);
  ASSERT_EQ(r.error, nullptr);
  EXPECT_EQ(guest.text(), "xy");
  EXPECT_EQ(r.index, 1u);

  vmx::StringIoRequest req = rep_outsb(0xFFF0, 0x20);
  req.operand.address_bytes = 4;  // 0x67: ESI runs past the 64 KiB limit
  FakeGuest guest2;
  vmx::StringIoResult limited = vmx::emulate_string_io(req, guest2);
  EXPECT_STREQ(limited.error, "outs beyond the segment limit");
  EXPECT_EQ(limited.elements, 0x10u);
  EXPECT_EQ(limited.index, 0x10000u) << "stops where the CPU would fault";
  EXPECT_EQ(limited.rcx, 0x10u);
}

TEST(VmxOuts, WordsWithoutRepAndUnreadableSource) {
  FakeGuest guest;
  guest.memory[0x10010] = 0x34;
  guest.memory[0x10011] = 0x12;
  vmx::StringIoRequest req = rep_outsb(0x10, 99);
  req.qualification = IoQualification{(0x3F8ull << 16) | (1 << 4) | 1};  // outsw, no rep
  vmx::StringIoResult r = vmx::emulate_string_io(req, guest);
  ASSERT_EQ(r.error, nullptr);
  ASSERT_EQ(guest.values.size(), 1u);
  EXPECT_EQ(guest.values[0], 0x1234u);
  EXPECT_EQ(r.index, 0x12u);
  EXPECT_EQ(r.rcx, 99u) << "RCX untouched without REP";

  vmx::StringIoRequest far = rep_outsb(0x10, 1);
  far.segment_base = 0x40000;  // beyond the array
  FakeGuest guest2;
  EXPECT_STREQ(vmx::emulate_string_io(far, guest2).error, "outs source not readable at CPL 3");
  EXPECT_TRUE(guest2.values.empty());
}

TEST(VmxStringIo, MemoryThatIsNotTheGuestsIsNeitherReadNorWritten) {
  // The guest's paging may point anywhere (with EPT it is the guest's own);
  // the VMM reads and writes only the guest's memory on its behalf.
  FakeGuest guest;
  guest.guest_memory_end = 0x10102;
  guest.memory[0x10100] = 'o';
  guest.memory[0x10101] = 'k';
  guest.memory[0x10102] = 'X';  // "the VMM's" byte
  vmx::StringIoResult r = vmx::emulate_string_io(rep_outsb(0x100, 3), guest);
  EXPECT_STREQ(r.error, "outs source is not the guest's memory");
  EXPECT_EQ(guest.text(), "ok");
  EXPECT_EQ(r.index, 0x102u);

  FakeGuest guest2;
  guest2.guest_memory_end = 0x10101;
  vmx::StringIoResult w = vmx::emulate_string_io(rep_insb(0x100, 3), guest2);
  EXPECT_STREQ(w.error, "ins destination is not the guest's memory");
  EXPECT_EQ(w.elements, 1u);
  EXPECT_EQ(guest2.memory[0x10101], 0);
}

TEST(VmxOuts, RepWithZeroCountDoesNothing) {
  FakeGuest guest;
  vmx::StringIoResult r = vmx::emulate_string_io(rep_outsb(0x10, 0xFFFF0000), guest);
  EXPECT_EQ(r.error, nullptr);
  EXPECT_TRUE(guest.values.empty());
  EXPECT_EQ(r.index, 0x10u);
}

TEST(VmxIns, RepInsbFillsEsDiFromThePort) {
  FakeGuest guest;
  guest.next_in = 0x41;
  vmx::StringIoResult r = vmx::emulate_string_io(rep_insb(0x5550100, 4), guest);
  ASSERT_EQ(r.error, nullptr);
  EXPECT_EQ(r.elements, 4u);
  EXPECT_EQ(std::string(guest.memory.begin() + 0x10100, guest.memory.begin() + 0x10104), "ABCD");
  EXPECT_EQ(guest.memory[0x10104], 0);
  EXPECT_EQ(guest.ports, (std::vector<uint16_t>{0x64, 0x64, 0x64, 0x64}));
  EXPECT_TRUE(guest.values.empty()) << "nothing goes out";
  EXPECT_EQ(r.index, 0x5550104u) << "only DI moves";
  EXPECT_EQ(r.rcx, 0u);
}

TEST(VmxIns, DwordsDownwardWithoutRep) {
  FakeGuest guest;
  guest.next_in = 0x11223344;
  vmx::StringIoRequest req = rep_insb(0x208, 7);
  req.qualification = IoQualification{(0xCF8ull << 16) | (1 << 4) | (1 << 3) | 3};  // insd
  req.direction_down = true;
  vmx::StringIoResult r = vmx::emulate_string_io(req, guest);
  ASSERT_EQ(r.error, nullptr);
  EXPECT_EQ(guest.memory[0x10208], 0x44);
  EXPECT_EQ(guest.memory[0x1020B], 0x11);
  EXPECT_EQ(r.index, 0x204u);
  EXPECT_EQ(r.rcx, 7u);
}

TEST(VmxIns, StopsAtAReadOnlyPageAndTheSegmentLimit) {
  FakeGuest guest;
  guest.writable_end = 0x10102;
  vmx::StringIoResult r = vmx::emulate_string_io(rep_insb(0x100, 5), guest);
  EXPECT_STREQ(r.error, "ins destination not writable at CPL 3");
  EXPECT_EQ(r.elements, 2u);
  EXPECT_EQ(r.index, 0x102u) << "DI at the element that failed";
  EXPECT_EQ(r.rcx, 3u);
  EXPECT_EQ(guest.memory[0x10102], 0);

  FakeGuest guest2;
  vmx::StringIoRequest req = rep_insb(0xFFFE, 4);
  req.operand.address_bytes = 4;
  vmx::StringIoResult limited = vmx::emulate_string_io(req, guest2);
  EXPECT_STREQ(limited.error, "ins beyond the segment limit");
  EXPECT_EQ(limited.elements, 2u);
}

}  // namespace
