// Three ways to one CRC-32C. With SSE4.2: the CRC32 instruction, which
// implements exactly this polynomial. Without: slicing-by-8 (Intel, Kounavis
// & Berry 2005), eight bytes per step through eight 256-entry tables. The
// tables are built on first use, in .bss: 8 KiB in the loaded image would be
// read by the BIOS and summed by stage1 at every boot, for the CPUs that
// never need them too. And the definition itself, a bit at a time, for code
// with no room for the tables.
#include "common/crc32c.h"

#include "ia32/instructions.h"

namespace {

constexpr uint32_t kReflectedPolynomial = 0x82F63B78u;

struct SliceTables {
  // entry[k][b]: the CRC register after feeding byte b followed by k zero bytes.
  uint32_t entry[8][256];
};

// One bit through the CRC register: the definition the tables are built from.
constexpr uint32_t shift_bit(uint32_t crc) {
  return (crc >> 1) ^ (kReflectedPolynomial & (0u - (crc & 1u)));
}

constexpr void fill_slice_tables(SliceTables& tables) {
  for (uint32_t byte = 0; byte < 256; ++byte) {
    uint32_t crc = byte;
    for (int bit = 0; bit < 8; ++bit) crc = shift_bit(crc);
    tables.entry[0][byte] = crc;
  }
  for (int slice = 1; slice < 8; ++slice) {
    for (uint32_t byte = 0; byte < 256; ++byte) {
      const uint32_t previous = tables.entry[slice - 1][byte];
      tables.entry[slice][byte] = (previous >> 8) ^ tables.entry[0][previous & 0xFF];
    }
  }
}

constexpr SliceTables compile_time_tables() {
  SliceTables tables{};
  fill_slice_tables(tables);
  return tables;
}
static_assert(compile_time_tables().entry[0][1] == 0xF26B8303u);    // the first entries
static_assert(compile_time_tables().entry[0][128] == 0x82F63B78u);  // of the Castagnoli table

// Zero-initialised (no constructor runs); filled by the first table CRC.
constinit SliceTables g_tables{};
constinit bool g_tables_filled = false;

const SliceTables& slice_tables() {
  if (!g_tables_filled) {
    fill_slice_tables(g_tables);
    g_tables_filled = true;
  }
  return g_tables;
}

// Byte order by construction, so the code is endian-neutral; GCC merges the
// four byte loads into one 32-bit load on x86.
inline uint32_t load_le32(const uint8_t* bytes) {
  return uint32_t(bytes[0]) | (uint32_t(bytes[1]) << 8) |
         (uint32_t(bytes[2]) << 16) | (uint32_t(bytes[3]) << 24);
}

}  // namespace

uint32_t crc32c_update_tables(uint32_t crc_state, const void* data, size_t len) {
  const uint8_t* bytes = static_cast<const uint8_t*>(data);
  const auto& t = slice_tables().entry;
  uint32_t crc = ~crc_state;
  for (size_t blocks = len / 8; blocks != 0; --blocks, bytes += 8) {
    // The register is 4 bytes wide: it folds into the first four; bytes 4..7
    // enter untouched. Byte i still has 7 - i bytes to travel: table 7 - i.
    const uint32_t low = load_le32(bytes) ^ crc;
    const uint32_t high = load_le32(bytes + 4);
    crc = t[7][low & 0xFF] ^ t[6][(low >> 8) & 0xFF] ^
          t[5][(low >> 16) & 0xFF] ^ t[4][low >> 24] ^
          t[3][high & 0xFF] ^ t[2][(high >> 8) & 0xFF] ^
          t[1][(high >> 16) & 0xFF] ^ t[0][high >> 24];
  }
  for (len %= 8; len != 0; --len, ++bytes) {
    crc = (crc >> 8) ^ t[0][(crc ^ *bytes) & 0xFF];
  }
  return ~crc;
}

uint32_t crc32c_update_sse42(uint32_t crc_state, const void* data, size_t len) {
  const uint8_t* bytes = static_cast<const uint8_t*>(data);
  uint32_t crc = ~crc_state;
#ifdef __x86_64__
  uint64_t wide = crc;
  for (; len >= 8; len -= 8, bytes += 8) {
    uint64_t word;
    __builtin_memcpy(&word, bytes, sizeof word);
    asm("crc32q %1, %0" : "+r"(wide) : "rm"(word));
  }
  crc = static_cast<uint32_t>(wide);
#else
  // Sixteen CRC32 instructions per 64 bytes, plus three for the loop: in
  // Bochs every instruction counts, and -Os would not unroll this itself.
  if (size_t blocks = len / 64) {
    do {
      asm("crc32l (%1), %0\n\tcrc32l 4(%1), %0\n\tcrc32l 8(%1), %0\n\tcrc32l 12(%1), %0\n\t"
          "crc32l 16(%1), %0\n\tcrc32l 20(%1), %0\n\tcrc32l 24(%1), %0\n\tcrc32l 28(%1), %0\n\t"
          "crc32l 32(%1), %0\n\tcrc32l 36(%1), %0\n\tcrc32l 40(%1), %0\n\tcrc32l 44(%1), %0\n\t"
          "crc32l 48(%1), %0\n\tcrc32l 52(%1), %0\n\tcrc32l 56(%1), %0\n\tcrc32l 60(%1), %0"
          : "+r"(crc)
          : "r"(bytes), "m"(*reinterpret_cast<const uint8_t(*)[64]>(bytes)));
      bytes += 64;
    } while (--blocks != 0);
    len %= 64;
  }
  for (; len >= 4; len -= 4, bytes += 4) {
    uint32_t word;
    __builtin_memcpy(&word, bytes, sizeof word);
    asm("crc32l %1, %0" : "+r"(crc) : "rm"(word));
  }
#endif
  for (; len != 0; --len, ++bytes) asm("crc32b %1, %0" : "+r"(crc) : "rm"(*bytes));
  return ~crc;
}

uint32_t crc32c_update_bitwise(uint32_t crc_state, const void* data, size_t len) {
  const uint8_t* bytes = static_cast<const uint8_t*>(data);
  uint32_t crc = ~crc_state;
  for (; len != 0; --len, ++bytes) {
    crc ^= *bytes;
    for (int bit = 0; bit < 8; ++bit) crc = shift_bit(crc);
  }
  return ~crc;
}

bool crc32c_has_sse42() {
  constexpr uint32_t cpuid1_ecx_sse42 = 1u << 20;
  uint32_t regs[4];
  cpuid(1, 0, regs);
  return (regs[2] & cpuid1_ecx_sse42) != 0;
}

uint32_t crc32c_update(uint32_t crc_state, const void* data, size_t len) {
  // Asked each time: one CPUID costs less than the state to cache it in
  // code that runs before any constructor.
  return crc32c_has_sse42() ? crc32c_update_sse42(crc_state, data, len)
                            : crc32c_update_tables(crc_state, data, len);
}

uint32_t crc32c(const void* data, size_t len) { return crc32c_update(0, data, len); }
