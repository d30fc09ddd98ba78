// The guest's store instruction behind an EPT violation on a page a device
// claims (devices/mmio_map.h), decoded by the VMM: an EPT violation says
// where the guest wrote, not what nor how long the instruction is (SDM
// Vol. 3, 28.2.4: no instruction length for it). Only the stores a guest
// writes device registers with are understood (SDM Vol. 2, MOV and XCHG):
//   88 /r  MOV r/m8, r8          89 /r  MOV r/m16/32/64, r
//   C6 /0  MOV r/m8, imm8        C7 /0  MOV r/m16/32/64, imm16/32
//   A2     MOV moffs8, AL        A3     MOV moffs16/32/64, AX/EAX/RAX
//   86 /r  XCHG r/m8, r8         87 /r  XCHG r/m16/32/64, r
// with the prefixes a guest puts before them: operand size (66), address
// size (67), segment overrides (26 2E 36 3E 64 65), LOCK (F0, with XCHG
// only) and in 64-bit code REX (40-4F, right before the opcode). Anything
// else is refused by name, and the VMM stops the guest. The memory
// operand is decoded too (ModRM, SIB, displacement; RIP-relative in 64-bit
// code), so that the VMM can check that the store's address is the one the
// CPU reported. Pure.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace vmx {

// The code the guest runs: what CS's D and L bits say (and EFER.LMA).
enum class CodeSize : uint8_t { bits16, bits32, bits64 };

// CS's access rights (bit 13 L, bit 14 D/B, the VMCS's format) in a guest
// with EFER.LMA as `long_mode`.
constexpr CodeSize code_size(uint32_t cs_access_rights, bool long_mode) {
  if (long_mode && (cs_access_rights & (1u << 13)) != 0) return CodeSize::bits64;
  return (cs_access_rights & (1u << 14)) != 0 ? CodeSize::bits32 : CodeSize::bits16;
}

// The longest instruction (SDM Vol. 2, 2.3.11).
inline constexpr size_t longest_instruction = 15;

// Register codes as the instruction encodes them (0 RAX ... 15 R15); the
// memory operand's base may also be the instruction pointer.
inline constexpr int8_t no_register = -1;
inline constexpr int8_t rip_base = 16;

struct DecodedStore {
  const char* refused;  // nullptr: understood; else why not
  uint8_t length;       // of the whole instruction
  uint8_t bytes;        // operand size: 1, 2, 4 or 8
  bool exchange;        // XCHG: the register receives the old memory value
  bool immediate;       // the value is `value`; else the register `reg`
  uint64_t value;       // the immediate, sign-extended to `bytes` (its bits only)
  uint8_t reg;          // the register's code (0-15)
  bool high_byte;       // reg 0-3 meaning AH, CH, DH, BH
  // The memory operand: segment (ia32::vmx::SegmentRegister's numbering:
  // ES 0, CS 1, SS 2, DS 3, FS 4, GS 5), and offset = base + index * scale
  // + displacement in address_bytes' arithmetic.
  uint8_t segment;
  uint8_t address_bytes;  // 2, 4 or 8
  int8_t base, index;     // register codes, no_register, or rip_base
  uint8_t scale;          // 1, 2, 4, 8
  uint64_t displacement;  // sign-extended (a moffs: the whole offset, zero-extended)
};

// Decodes the instruction at `bytes` (the `available` bytes the VMM could
// fetch: an instruction that needs more is refused as cut short).
DecodedStore decode_store(const uint8_t* bytes, size_t available, CodeSize code);

// The store's offset in its segment: `registers` by code (RSP at 4), and
// the next instruction's RIP for a RIP-relative operand.
uint64_t store_offset(const DecodedStore& store, const uint64_t (&registers)[16],
                      uint64_t next_rip);

// The value the instruction stores, its size's bits: the immediate or the
// register (AH...BH for high_byte).
uint64_t store_value(const DecodedStore& store, const uint64_t (&registers)[16]);

// XCHG: the register after it holds `old` (its size's bits): an 8- or
// 16-bit register keeps the rest, a 32-bit one is zero-extended in 64-bit
// code (and keeps bits 63:32 elsewhere, where they are not visible).
void exchange_register(const DecodedStore& store, uint64_t (&registers)[16], uint64_t old,
                       CodeSize code);

}  // namespace vmx
