// Exit qualification of an I/O-instruction VM exit (SDM Vol. 3, table
// "Exit Qualification for I/O Instructions") and the VM-exit
// instruction-information field for INS/OUTS (table "Format of the VM-Exit
// Instruction-Information Field as Used for INS and OUTS"), which the CPU
// fills only when IA32_VMX_BASIC bit 54 is set.
#pragma once

#include <stdint.h>

namespace ia32::vmx {

struct IoQualification {
  uint64_t raw;

  // Bits 2:0: 0 = 1 byte, 1 = 2 bytes, 3 = 4 bytes.
  constexpr unsigned size_bytes() const { return static_cast<unsigned>(raw & 7) + 1; }
  // The bits of EAX an access of that size moves: 0xFF, 0xFFFF or 0xFFFFFFFF.
  constexpr uint32_t size_mask() const { return 0xFFFFFFFFu >> (32 - 8 * size_bytes()); }
  // Bit 3: 1 = IN/INS, 0 = OUT/OUTS.
  constexpr bool is_in() const { return (raw >> 3) & 1; }
  // Bit 4: INS/OUTS.
  constexpr bool is_string() const { return (raw >> 4) & 1; }
  // Bit 5: REP prefix.
  constexpr bool is_rep() const { return (raw >> 5) & 1; }
  // Bit 6: 1 = port was an immediate operand, 0 = in DX.
  constexpr bool port_is_immediate() const { return (raw >> 6) & 1; }
  // Bits 31:16.
  constexpr uint16_t port() const { return static_cast<uint16_t>(raw >> 16); }
  // IN AL / OUT AL: one byte, not a string (bits 2:0 and 4 clear).
  constexpr bool is_single_byte() const { return (raw & 0x17) == 0; }
  // OUT of AL (one byte, no string, not IN: bits 4:0 clear) to `to`: one
  // test for the exit path's most common access.
  constexpr bool is_byte_out_to(uint16_t to) const {
    return (static_cast<uint32_t>(raw) & 0xFFFF001Fu) == uint32_t{to} << 16;
  }
};

enum class SegmentRegister : uint8_t { es = 0, cs = 1, ss = 2, ds = 3, fs = 4, gs = 5 };

constexpr const char* segment_register_name(SegmentRegister seg) {
  switch (seg) {
    case SegmentRegister::es: return "es";
    case SegmentRegister::cs: return "cs";
    case SegmentRegister::ss: return "ss";
    case SegmentRegister::ds: return "ds";
    case SegmentRegister::fs: return "fs";
    case SegmentRegister::gs: return "gs";
  }
  return "?";
}

struct StringIoInstructionInfo {
  uint32_t raw;

  // Bits 9:7: 0 = 16-bit, 1 = 32-bit, 2 = 64-bit address size.
  constexpr unsigned address_size_bytes() const { return 2u << ((raw >> 7) & 7); }
  // Bits 17:15: segment of the source operand (OUTS only; INS writes ES:DI).
  constexpr SegmentRegister segment() const {
    return static_cast<SegmentRegister>((raw >> 15) & 7);
  }
};

}  // namespace ia32::vmx
