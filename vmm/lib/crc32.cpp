// Slicing-by-8 (Intel, Kounavis & Berry 2005): eight bytes per step through
// eight 256-entry tables instead of one byte through one. stage2 checksums its
// payloads inside the emulator whose instruction count is our boot-time
// measure, so the 8 KiB of tables pay for themselves. The tables are built at
// compile time and live in .rodata: no initialisation code runs.
#include "lib/crc32.h"

namespace {

constexpr uint32_t kReflectedPolynomial = 0xEDB88320u;

struct SliceTables {
  // entry[k][b]: the CRC register after feeding byte b followed by k zero bytes.
  uint32_t entry[8][256];
};

constexpr SliceTables make_slice_tables() {
  SliceTables tables{};
  for (uint32_t byte = 0; byte < 256; ++byte) {
    uint32_t crc = byte;
    for (int bit = 0; bit < 8; ++bit) {
      crc = (crc >> 1) ^ (kReflectedPolynomial & (0u - (crc & 1u)));
    }
    tables.entry[0][byte] = crc;
  }
  for (int slice = 1; slice < 8; ++slice) {
    for (uint32_t byte = 0; byte < 256; ++byte) {
      const uint32_t previous = tables.entry[slice - 1][byte];
      tables.entry[slice][byte] = (previous >> 8) ^ tables.entry[0][previous & 0xFF];
    }
  }
  return tables;
}

constexpr SliceTables kTables = make_slice_tables();
static_assert(kTables.entry[0][1] == 0x77073096u);  // first entries of the
static_assert(kTables.entry[0][128] == 0xEDB88320u);  // classic table

// Byte order by construction, so the code is endian-neutral; GCC merges the
// four byte loads into one 32-bit load on x86.
inline uint32_t load_le32(const uint8_t* bytes) {
  return uint32_t(bytes[0]) | (uint32_t(bytes[1]) << 8) |
         (uint32_t(bytes[2]) << 16) | (uint32_t(bytes[3]) << 24);
}

}  // namespace

uint32_t crc32_update(uint32_t crc_state, const void* data, size_t len) {
  const uint8_t* bytes = static_cast<const uint8_t*>(data);
  const auto& t = kTables.entry;
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

uint32_t crc32(const void* data, size_t len) { return crc32_update(0, data, len); }
