// The decoder of a guest's store into a device's registers
// (vmm/vmx/store_decoder.h): the encodings below are NASM's (each one
// assembled and read back with ndisasm when the test was written), in
// 16-, 32- and 64-bit code, with the prefixes a guest uses; and what it
// refuses.
#include <gtest/gtest.h>

#include <vector>

#include "vmx/store_decoder.h"

namespace {

using vmx::CodeSize;
using vmx::DecodedStore;

constexpr uint8_t es = 0, ss = 2, ds = 3, fs = 4, gs = 5;
constexpr int8_t rax = 0, rcx = 1, rdx = 2, rbx = 3, rsp = 4, rbp = 5, rsi = 6, rdi = 7, r8 = 8,
                 r9 = 9, r10 = 10, r11 = 11, r12 = 12, r13 = 13, r15 = 15;

DecodedStore decode(std::vector<uint8_t> bytes, CodeSize code) {
  return vmx::decode_store(bytes.data(), bytes.size(), code);
}

// A register-file with each register's code in its low byte and 0x11 above:
// register n holds 0x1111111111111100 | n... except where a test sets more.
struct Registers {
  uint64_t r[16];
  Registers() {
    for (uint64_t i = 0; i < 16; ++i) r[i] = 0x1122334455667700ull | i;
  }
};

TEST(StoreDecoder, RealModeIcrWritesAsTheHostileSectorsMakeThem) {
  // mov dword [fs:0x300], 0x4400: FS override, 66 (32-bit operand in 16-bit
  // code), C7 /0 with ModRM 06 (disp16), imm32.
  const DecodedStore d =
      decode({0x64, 0x66, 0xC7, 0x06, 0x00, 0x03, 0x00, 0x44, 0x00, 0x00}, CodeSize::bits16);
  ASSERT_EQ(d.refused, nullptr);
  EXPECT_EQ(d.length, 10);
  EXPECT_EQ(d.bytes, 4);
  EXPECT_TRUE(d.immediate);
  EXPECT_EQ(d.value, 0x4400u);
  EXPECT_EQ(d.segment, fs);
  EXPECT_EQ(d.address_bytes, 2);
  EXPECT_EQ(d.base, vmx::no_register);
  EXPECT_EQ(d.displacement, 0x300u);
  // mov [fs:0x310], eax: the moffs form (A3), a 16-bit offset.
  const DecodedStore m = decode({0x64, 0x66, 0xA3, 0x10, 0x03}, CodeSize::bits16);
  ASSERT_EQ(m.refused, nullptr);
  EXPECT_EQ(m.length, 5);
  EXPECT_EQ(m.bytes, 4);
  EXPECT_FALSE(m.immediate);
  EXPECT_EQ(m.reg, rax);
  EXPECT_EQ(m.displacement, 0x310u);
  EXPECT_EQ(m.segment, fs);
}

TEST(StoreDecoder, SixteenBitAddressingForms) {
  // mov [bx+si+0x10], ax: base BX, index SI, disp8, DS.
  DecodedStore d = decode({0x89, 0x40, 0x10}, CodeSize::bits16);
  ASSERT_EQ(d.refused, nullptr);
  EXPECT_EQ(d.length, 3);
  EXPECT_EQ(d.bytes, 2);
  EXPECT_EQ(d.base, rbx);
  EXPECT_EQ(d.index, rsi);
  EXPECT_EQ(d.displacement, 0x10u);
  EXPECT_EQ(d.segment, ds);
  // mov byte [bp+2], 0x55: BP-based addresses are SS's.
  d = decode({0xC6, 0x46, 0x02, 0x55}, CodeSize::bits16);
  ASSERT_EQ(d.refused, nullptr);
  EXPECT_EQ(d.length, 4);
  EXPECT_EQ(d.bytes, 1);
  EXPECT_EQ(d.value, 0x55u);
  EXPECT_EQ(d.base, rbp);
  EXPECT_EQ(d.segment, ss);
  // mov [es:di], ah: a high byte register.
  d = decode({0x26, 0x88, 0x25}, CodeSize::bits16);
  ASSERT_EQ(d.refused, nullptr);
  EXPECT_EQ(d.length, 3);
  EXPECT_TRUE(d.high_byte);
  EXPECT_EQ(d.reg, rax) << "AH is RAX's bits 15:8";
  EXPECT_EQ(d.base, rdi);
  EXPECT_EQ(d.segment, es);
  // 67: 32-bit addressing in 16-bit code, with a SIB:
  // mov [ebx+ecx*4+0x300], edx = 66 67 89 94 8B 00 03 00 00.
  d = decode({0x66, 0x67, 0x89, 0x94, 0x8B, 0x00, 0x03, 0x00, 0x00}, CodeSize::bits16);
  ASSERT_EQ(d.refused, nullptr);
  EXPECT_EQ(d.length, 9);
  EXPECT_EQ(d.bytes, 4);
  EXPECT_EQ(d.address_bytes, 4);
  EXPECT_EQ(d.reg, rdx);
  EXPECT_EQ(d.base, rbx);
  EXPECT_EQ(d.index, rcx);
  EXPECT_EQ(d.scale, 4);
  EXPECT_EQ(d.displacement, 0x300u);
}

TEST(StoreDecoder, ThirtyTwoBitForms) {
  // mov [0xFEE00300], eax: moffs32.
  DecodedStore d = decode({0xA3, 0x00, 0x03, 0xE0, 0xFE}, CodeSize::bits32);
  ASSERT_EQ(d.refused, nullptr);
  EXPECT_EQ(d.length, 5);
  EXPECT_EQ(d.displacement, 0xFEE00300u) << "a moffs is not sign-extended";
  // mov dword [0xFEE000B0], 0 (an EOI): ModRM 05, disp32, imm32.
  d = decode({0xC7, 0x05, 0xB0, 0x00, 0xE0, 0xFE, 0, 0, 0, 0}, CodeSize::bits32);
  ASSERT_EQ(d.refused, nullptr);
  EXPECT_EQ(d.length, 10);
  EXPECT_EQ(d.base, vmx::no_register);
  // mov [esp+8], esi: SIB with base ESP, no index; SS's.
  d = decode({0x89, 0x74, 0x24, 0x08}, CodeSize::bits32);
  ASSERT_EQ(d.refused, nullptr);
  EXPECT_EQ(d.length, 4);
  EXPECT_EQ(d.base, rsp);
  EXPECT_EQ(d.index, vmx::no_register);
  EXPECT_EQ(d.reg, rsi);
  EXPECT_EQ(d.segment, ss);
  // mov [ebp-4], di: 66 in 32-bit code, a negative disp8.
  d = decode({0x66, 0x89, 0x7D, 0xFC}, CodeSize::bits32);
  ASSERT_EQ(d.refused, nullptr);
  EXPECT_EQ(d.bytes, 2);
  EXPECT_EQ(d.displacement, ~uint64_t{3});
  EXPECT_EQ(d.segment, ss);
  // mov [eax+ecx*8], bh.
  d = decode({0x88, 0x3C, 0xC8}, CodeSize::bits32);
  ASSERT_EQ(d.refused, nullptr);
  EXPECT_TRUE(d.high_byte);
  EXPECT_EQ(d.reg, rbx);
  EXPECT_EQ(d.scale, 8);
  // 67 in 32-bit code: mov [bx+di], eax.
  d = decode({0x67, 0x89, 0x01}, CodeSize::bits32);
  ASSERT_EQ(d.refused, nullptr);
  EXPECT_EQ(d.address_bytes, 2);
  EXPECT_EQ(d.base, rbx);
  EXPECT_EQ(d.index, rdi);
  // mov [fs:ebx], eax.
  d = decode({0x64, 0x89, 0x03}, CodeSize::bits32);
  ASSERT_EQ(d.refused, nullptr);
  EXPECT_EQ(d.segment, fs);
}

TEST(StoreDecoder, SixtyFourBitFormsWithRex) {
  // mov [rel $+0x100], eax: RIP-relative.
  DecodedStore d = decode({0x89, 0x05, 0xFA, 0x00, 0x00, 0x00}, CodeSize::bits64);
  ASSERT_EQ(d.refused, nullptr);
  EXPECT_EQ(d.base, vmx::rip_base);
  EXPECT_EQ(d.address_bytes, 8);
  // mov [r12+0x300], r9d: REX.R and REX.B, SIB for R12.
  d = decode({0x45, 0x89, 0x8C, 0x24, 0x00, 0x03, 0x00, 0x00}, CodeSize::bits64);
  ASSERT_EQ(d.refused, nullptr);
  EXPECT_EQ(d.length, 8);
  EXPECT_EQ(d.reg, r9);
  EXPECT_EQ(d.base, r12);
  EXPECT_EQ(d.bytes, 4);
  // mov qword [rax], -1: REX.W, imm32 sign-extended to 64 bits.
  d = decode({0x48, 0xC7, 0x00, 0xFF, 0xFF, 0xFF, 0xFF}, CodeSize::bits64);
  ASSERT_EQ(d.refused, nullptr);
  EXPECT_EQ(d.bytes, 8);
  EXPECT_EQ(d.value, ~0ull);
  d = decode({0x48, 0xC7, 0x00, 0xFF, 0xFF, 0xFF, 0x7F}, CodeSize::bits64);
  EXPECT_EQ(d.value, 0x7FFFFFFFull);
  // mov [rbx], sil: with any REX, register 6 is SIL, not DH.
  d = decode({0x40, 0x88, 0x33}, CodeSize::bits64);
  ASSERT_EQ(d.refused, nullptr);
  EXPECT_FALSE(d.high_byte);
  EXPECT_EQ(d.reg, rsi);
  // mov [r13+0], rax: R13 with mod 1 (mod 0 would be RIP-relative).
  d = decode({0x49, 0x89, 0x45, 0x00}, CodeSize::bits64);
  ASSERT_EQ(d.refused, nullptr);
  EXPECT_EQ(d.base, r13);
  EXPECT_EQ(d.bytes, 8);
  // mov [r8+r15*2+0x10], r10w: 66 before REX.
  d = decode({0x66, 0x47, 0x89, 0x54, 0x78, 0x10}, CodeSize::bits64);
  ASSERT_EQ(d.refused, nullptr);
  EXPECT_EQ(d.bytes, 2);
  EXPECT_EQ(d.reg, r10);
  EXPECT_EQ(d.base, r8);
  EXPECT_EQ(d.index, r15);
  EXPECT_EQ(d.scale, 2);
  // mov [abs 0xFEE00300], eax: SIB without base or index, disp32 sign-extended.
  d = decode({0x89, 0x04, 0x25, 0x00, 0x03, 0xE0, 0xFE}, CodeSize::bits64);
  ASSERT_EQ(d.refused, nullptr);
  EXPECT_EQ(d.base, vmx::no_register);
  EXPECT_EQ(d.index, vmx::no_register);
  EXPECT_EQ(d.displacement, 0xFFFFFFFFFEE00300ull);
  // mov [qword 0xFEE00300], rax: REX.W A3, a 64-bit moffs.
  d = decode({0x48, 0xA3, 0x00, 0x03, 0xE0, 0xFE, 0, 0, 0, 0}, CodeSize::bits64);
  ASSERT_EQ(d.refused, nullptr);
  EXPECT_EQ(d.length, 10);
  EXPECT_EQ(d.bytes, 8);
  EXPECT_EQ(d.displacement, 0xFEE00300ull);
  // mov [gs:rax], eax; 67: mov [eax], eax.
  d = decode({0x65, 0x89, 0x00}, CodeSize::bits64);
  EXPECT_EQ(d.segment, gs);
  d = decode({0x67, 0x89, 0x00}, CodeSize::bits64);
  EXPECT_EQ(d.address_bytes, 4);
  // A REX followed by another prefix does not count: 48 66 89 00 is a
  // 16-bit store, not a 64-bit one.
  d = decode({0x48, 0x66, 0x89, 0x00}, CodeSize::bits64);
  ASSERT_EQ(d.refused, nullptr);
  EXPECT_EQ(d.bytes, 2);
  // Outside 64-bit code 0x40-0x4F are INC/DEC: not a prefix, not a store.
  EXPECT_NE(decode({0x48, 0x89, 0x00}, CodeSize::bits32).refused, nullptr);
}

TEST(StoreDecoder, Exchanges) {
  // xchg [fs:0x300], eax in 16-bit code.
  DecodedStore d = decode({0x64, 0x66, 0x87, 0x06, 0x00, 0x03}, CodeSize::bits16);
  ASSERT_EQ(d.refused, nullptr);
  EXPECT_TRUE(d.exchange);
  EXPECT_EQ(d.length, 6);
  // lock xchg [bx], cx: LOCK is allowed on XCHG.
  d = decode({0xF0, 0x87, 0x0F}, CodeSize::bits16);
  ASSERT_EQ(d.refused, nullptr);
  EXPECT_TRUE(d.exchange);
  EXPECT_EQ(d.reg, rcx);
  // xchg r11, [rcx].
  d = decode({0x4C, 0x87, 0x19}, CodeSize::bits64);
  ASSERT_EQ(d.refused, nullptr);
  EXPECT_EQ(d.reg, r11);
  EXPECT_EQ(d.bytes, 8);
}

TEST(StoreDecoder, RefusesWhatItDoesNotCarryOut) {
  const std::vector<std::vector<uint8_t>> refused16 = {
      {0x66, 0xAB},              // stosd: a string store
      {0x66, 0x81, 0x0E, 0x00, 0x03, 0x00, 0x01, 0x00, 0x00},  // or dword [0x300], 0x100
      {0x89, 0xC0},              // mov ax, ax: no memory operand
      {0xC7, 0x0E, 0x00, 0x03, 0x00, 0x00},  // C7 /1: not MOV
      {0xF0, 0x89, 0x07},        // lock mov: #UD
      {0xF3, 0x89, 0x07},        // rep mov
      {0xFF, 0x36, 0x00, 0x03},  // push word [0x300]
  };
  for (const auto& bytes : refused16) {
    EXPECT_NE(decode(bytes, CodeSize::bits16).refused, nullptr) << std::hex << int(bytes[1]);
  }
  // Cut short: each form one byte short of complete.
  const std::vector<std::vector<uint8_t>> whole = {
      {0x64, 0x66, 0xC7, 0x06, 0x00, 0x03, 0x00, 0x44, 0x00, 0x00},
      {0x64, 0x66, 0xA3, 0x10, 0x03},
      {0x66, 0x67, 0x89, 0x94, 0x8B, 0x00, 0x03, 0x00, 0x00},
  };
  for (const auto& bytes : whole) {
    ASSERT_EQ(decode(bytes, CodeSize::bits16).refused, nullptr);
    std::vector<uint8_t> cut(bytes.begin(), bytes.end() - 1);
    EXPECT_NE(decode(cut, CodeSize::bits16).refused, nullptr) << cut.size();
  }
  EXPECT_NE(decode({}, CodeSize::bits16).refused, nullptr);
  // Fifteen prefixes and no opcode: past the longest instruction.
  EXPECT_NE(decode(std::vector<uint8_t>(20, 0x66), CodeSize::bits32).refused, nullptr);
}

TEST(StoreDecoder, OffsetsInTheAddressSizesArithmetic) {
  Registers regs;
  uint64_t (&r)[16] = regs.r;
  r[rbx] = 0xFFF0;
  r[rsi] = 0x20;
  // [bx+si+0x10] wraps at 64 KiB in 16-bit addressing.
  DecodedStore d = decode({0x89, 0x40, 0x10}, CodeSize::bits16);
  EXPECT_EQ(vmx::store_offset(d, r, 0), 0x20u);
  // [ebx+ecx*4+0x300] in 32 bits.
  r[rbx] = 0xFEE00000;
  r[rcx] = 0x4;
  d = decode({0x66, 0x67, 0x89, 0x94, 0x8B, 0x00, 0x03, 0x00, 0x00}, CodeSize::bits16);
  EXPECT_EQ(vmx::store_offset(d, r, 0), 0xFEE00310u);
  // RIP-relative: from the next instruction.
  d = decode({0x89, 0x05, 0xFA, 0x00, 0x00, 0x00}, CodeSize::bits64);
  EXPECT_EQ(vmx::store_offset(d, r, 0x7006), 0x7100u);
  // [ebp-4] with EBP 2: wraps at 4 GiB.
  r[rbp] = 2;
  d = decode({0x66, 0x89, 0x7D, 0xFC}, CodeSize::bits32);
  EXPECT_EQ(vmx::store_offset(d, r, 0), 0xFFFFFFFEu);
}

TEST(StoreDecoder, ValuesAndExchangedRegisters) {
  Registers regs;
  uint64_t (&r)[16] = regs.r;
  r[rax] = 0x1234567890ABCDEFull;
  // mov [es:di], ah: AH.
  DecodedStore d = decode({0x26, 0x88, 0x25}, CodeSize::bits16);
  EXPECT_EQ(vmx::store_value(d, r), 0xCDu);
  // mov [fs:0x310], eax: EAX only.
  d = decode({0x64, 0x66, 0xA3, 0x10, 0x03}, CodeSize::bits16);
  EXPECT_EQ(vmx::store_value(d, r), 0x90ABCDEFu);
  // xchg [fs:0x300], eax in 16-bit code: EAX gets the old value, bits 63:32 kept.
  d = decode({0x64, 0x66, 0x87, 0x06, 0x00, 0x03}, CodeSize::bits16);
  vmx::exchange_register(d, r, 0xFFFFFFFF00000001ull, CodeSize::bits16);
  EXPECT_EQ(r[rax], 0x1234567800000001ull);
  // In 64-bit code a 32-bit register written is zero-extended.
  d = decode({0x87, 0x00}, CodeSize::bits64);
  vmx::exchange_register(d, r, 0x55, CodeSize::bits64);
  EXPECT_EQ(r[rax], 0x55u);
  // A high byte: only bits 15:8.
  r[rbx] = 0xAAAA;
  d = decode({0x86, 0x3F}, CodeSize::bits16);  // xchg [bx], bh
  ASSERT_EQ(d.refused, nullptr);
  vmx::exchange_register(d, r, 0x1BB, CodeSize::bits16);
  EXPECT_EQ(r[rbx], 0xBBAAu);
  // A word: the rest kept.
  r[rcx] = 0xFFFFFFFFFFFFFFFFull;
  d = decode({0xF0, 0x87, 0x0F}, CodeSize::bits16);
  vmx::exchange_register(d, r, 0x1234, CodeSize::bits16);
  EXPECT_EQ(r[rcx], 0xFFFFFFFFFFFF1234ull);
}

TEST(StoreDecoder, CodeSizeFromCsAndEfer) {
  EXPECT_EQ(vmx::code_size(0x9B, false), CodeSize::bits16) << "real mode's CS";
  EXPECT_EQ(vmx::code_size(0xC09B, false), CodeSize::bits32);
  EXPECT_EQ(vmx::code_size(0xA09B, true), CodeSize::bits64);
  EXPECT_EQ(vmx::code_size(0xA09B, false), CodeSize::bits16) << "L without LMA does not count";
  EXPECT_EQ(vmx::code_size(0xC09B, true), CodeSize::bits32) << "compatibility mode";
}

}  // namespace
