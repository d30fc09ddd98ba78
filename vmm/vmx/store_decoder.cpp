#include "vmx/store_decoder.h"

namespace vmx {

namespace {

constexpr uint8_t segment_es = 0, segment_cs = 1, segment_ss = 2, segment_ds = 3,
                  segment_fs = 4, segment_gs = 5;

constexpr uint64_t size_mask(unsigned bytes) {
  return bytes >= 8 ? ~0ull : (1ull << (8 * bytes)) - 1;
}

// A little-endian value of `n` bytes at `at`, sign-extended when `sign`.
uint64_t read_le(const uint8_t* at, unsigned n, bool sign) {
  uint64_t v = 0;
  for (unsigned i = 0; i < n; ++i) v |= uint64_t{at[i]} << (8 * i);
  if (sign && n < 8 && (v >> (8 * n - 1)) != 0) v |= ~size_mask(n);
  return v;
}

DecodedStore refuse(const char* why) {
  DecodedStore d{};
  d.refused = why;
  return d;
}

constexpr char cut_short[] = "instruction cut short (its bytes could not be read)";

struct Prefixes {
  bool operand_size = false, address_size = false, lock = false, rep = false;
  int segment = -1;
  uint8_t rex = 0;  // 0: none
};

// Whether `b` is a legacy prefix (SDM Vol. 2, 2.1.1), noted in `p`.
bool take_legacy_prefix(uint8_t b, Prefixes& p) {
  switch (b) {
    case 0x66: p.operand_size = true; return true;
    case 0x67: p.address_size = true; return true;
    case 0x26: p.segment = segment_es; return true;
    case 0x2E: p.segment = segment_cs; return true;
    case 0x36: p.segment = segment_ss; return true;
    case 0x3E: p.segment = segment_ds; return true;
    case 0x64: p.segment = segment_fs; return true;
    case 0x65: p.segment = segment_gs; return true;
    case 0xF0: p.lock = true; return true;
    case 0xF2: case 0xF3: p.rep = true; return true;
    default: return false;
  }
}

}  // namespace

DecodedStore decode_store(const uint8_t* bytes, size_t available, CodeSize code) {
  if (available > longest_instruction) available = longest_instruction;
  const bool code64 = code == CodeSize::bits64;
  Prefixes p;
  size_t at = 0;
  for (; at < available; ++at) {
    const uint8_t b = bytes[at];
    if (code64 && (b & 0xF0) == 0x40) {
      p.rex = b;  // counts only right before the opcode: a later prefix clears it
      continue;
    }
    if (!take_legacy_prefix(b, p)) break;
    p.rex = 0;
  }
  if (at >= available) return refuse(cut_short);
  const uint8_t op = bytes[at++];
  const bool rex_w = (p.rex & 8) != 0, rex_r = (p.rex & 4) != 0, rex_x = (p.rex & 2) != 0,
             rex_b = (p.rex & 1) != 0;
  DecodedStore d{};
  const bool byte_op = op == 0x88 || op == 0xC6 || op == 0xA2 || op == 0x86;
  if (!byte_op && op != 0x89 && op != 0xC7 && op != 0xA3 && op != 0x87) {
    return refuse("not a store the VMM carries out (MOV or XCHG to memory)");
  }
  d.exchange = op == 0x86 || op == 0x87;
  if (p.rep) return refuse("a REP prefix on a MOV or XCHG");
  if (p.lock && !d.exchange) return refuse("LOCK on a MOV (the CPU raises #UD)");
  // Operand and address sizes (SDM Vol. 2, 2.2.1.2 and table 3-4).
  const unsigned default_operand = code == CodeSize::bits16 ? 2 : 4;
  d.bytes = static_cast<uint8_t>(byte_op ? 1
                                 : rex_w ? 8
                                 : p.operand_size ? 6 - default_operand
                                                  : default_operand);
  // 67 toggles 16 <-> 32 bits, and 64 -> 32 in 64-bit code.
  const unsigned default_address = code == CodeSize::bits16 ? 2 : code64 ? 8 : 4;
  d.address_bytes = static_cast<uint8_t>(!p.address_size              ? default_address
                                         : code == CodeSize::bits32 ? 2
                                                                    : 4);
  d.base = d.index = no_register;
  d.scale = 1;
  uint8_t default_segment = segment_ds;

  if (op == 0xA2 || op == 0xA3) {
    // moffs: the offset of the address size, no ModRM; the source is AL/rAX.
    if (at + d.address_bytes > available) return refuse(cut_short);
    d.displacement = read_le(bytes + at, d.address_bytes, false);
    at += d.address_bytes;
    d.reg = 0;
  } else {
    if (at >= available) return refuse(cut_short);
    const uint8_t modrm = bytes[at++];
    const unsigned mod = modrm >> 6, reg = (modrm >> 3) & 7, rm = modrm & 7;
    if (mod == 3) return refuse("not a store to memory (a register operand)");
    if ((op == 0xC6 || op == 0xC7) && reg != 0) return refuse("C6/C7 with a ModRM reg other than 0");
    d.reg = static_cast<uint8_t>(reg | (rex_r ? 8 : 0));
    unsigned displacement_bytes = mod == 1 ? 1 : 0;
    if (d.address_bytes == 2) {
      // 16-bit addressing (SDM Vol. 2, table 2-1).
      static constexpr int8_t bases[8] = {3, 3, 5, 5, 6, 7, 5, 3};  // BX BX BP BP SI DI BP BX
      static constexpr int8_t indexes[8] = {6, 7, 6, 7, -1, -1, -1, -1};  // SI DI SI DI
      if (mod == 0 && rm == 6) {
        displacement_bytes = 2;
      } else {
        d.base = bases[rm];
        d.index = indexes[rm];
        if (d.base == 5) default_segment = segment_ss;
        if (mod == 2) displacement_bytes = 2;
      }
    } else {
      // 32- and 64-bit addressing (SDM Vol. 2, tables 2-2 and 2-3).
      if (mod == 2) displacement_bytes = 4;
      if (rm == 4) {
        if (at >= available) return refuse(cut_short);
        const uint8_t sib = bytes[at++];
        const unsigned scale = sib >> 6, index = ((sib >> 3) & 7) | (rex_x ? 8 : 0),
                       base = (sib & 7) | (rex_b ? 8 : 0);
        d.scale = static_cast<uint8_t>(1u << scale);
        if (index != 4) d.index = static_cast<int8_t>(index);
        if ((sib & 7) == 5 && mod == 0) {
          displacement_bytes = 4;
        } else {
          d.base = static_cast<int8_t>(base);
        }
      } else if (mod == 0 && rm == 5) {
        displacement_bytes = 4;
        if (code64) d.base = rip_base;
      } else {
        d.base = static_cast<int8_t>(rm | (rex_b ? 8 : 0));
      }
      if (!code64 && (d.base == 4 || d.base == 5)) default_segment = segment_ss;
    }
    if (at + displacement_bytes > available) {
      return refuse(cut_short);
    }
    d.displacement = read_le(bytes + at, displacement_bytes, true);
    at += displacement_bytes;
  }

  if (op == 0xC6 || op == 0xC7) {
    // imm8, imm16 or imm32 (sign-extended for a 64-bit store).
    const unsigned immediate_bytes = d.bytes == 8 ? 4 : d.bytes;
    if (at + immediate_bytes > available) return refuse(cut_short);
    d.immediate = true;
    d.value = read_le(bytes + at, immediate_bytes, true) & size_mask(d.bytes);
    at += immediate_bytes;
  } else if (byte_op && p.rex == 0 && d.reg >= 4 && d.reg <= 7) {
    d.high_byte = true;  // AH, CH, DH, BH: bits 15:8 of registers 0-3
    d.reg = static_cast<uint8_t>(d.reg - 4);
  }
  d.segment = static_cast<uint8_t>(p.segment >= 0 ? p.segment : default_segment);
  d.length = static_cast<uint8_t>(at);
  return d;
}

uint64_t store_offset(const DecodedStore& d, const uint64_t (&registers)[16], uint64_t next_rip) {
  uint64_t offset = d.displacement;
  if (d.base == rip_base) {
    offset += next_rip;
  } else if (d.base >= 0) {
    offset += registers[d.base];
  }
  if (d.index >= 0) offset += registers[d.index] * d.scale;
  return offset & size_mask(d.address_bytes);
}

uint64_t store_value(const DecodedStore& d, const uint64_t (&registers)[16]) {
  if (d.immediate) return d.value;
  const uint64_t r = registers[d.reg & 15];
  return (d.high_byte ? r >> 8 : r) & size_mask(d.bytes);
}

void exchange_register(const DecodedStore& d, uint64_t (&registers)[16], uint64_t old,
                       CodeSize code) {
  uint64_t& r = registers[d.reg & 15];
  old &= size_mask(d.bytes);
  if (d.high_byte) {
    r = (r & ~0xFF00ull) | (old << 8);
  } else if (d.bytes == 4 && code == CodeSize::bits64) {
    r = old;
  } else {
    r = (r & ~size_mask(d.bytes)) | old;
  }
}

}  // namespace vmx
