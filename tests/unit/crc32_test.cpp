#include "lib/crc32.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

namespace {

// The definition, one bit at a time: the slow reference the table-driven code
// must agree with.
uint32_t bitwise_crc32(const uint8_t* data, size_t len) {
  uint32_t crc = 0xFFFFFFFFu;
  for (size_t i = 0; i < len; ++i) {
    crc ^= data[i];
    for (int bit = 0; bit < 8; ++bit) {
      crc = (crc & 1u) ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
    }
  }
  return ~crc;
}

// Deterministic bytes that are not a simple pattern (xorshift32).
std::vector<uint8_t> pseudo_random_bytes(size_t count, uint32_t seed) {
  std::vector<uint8_t> bytes(count);
  uint32_t x = seed;
  for (auto& byte : bytes) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    byte = uint8_t(x >> 24);
  }
  return bytes;
}

TEST(Crc32, CheckValueOfTheStandard) {
  const char* digits = "123456789";
  EXPECT_EQ(crc32(digits, std::strlen(digits)), 0xCBF43926u);
}

TEST(Crc32, KnownVectors) {
  const char* fox = "The quick brown fox jumps over the lazy dog";
  EXPECT_EQ(crc32(fox, std::strlen(fox)), 0x414FA339u);
  EXPECT_EQ(crc32("a", 1), 0xE8B7BE43u);
  const uint8_t zeros[32] = {};
  EXPECT_EQ(crc32(zeros, sizeof zeros), 0x190A55ADu);
  uint8_t ones[32];
  std::memset(ones, 0xFF, sizeof ones);
  EXPECT_EQ(crc32(ones, sizeof ones), 0xFF6CAB0Bu);
}

TEST(Crc32, EmptyInputIsZeroAndLeavesTheStateAlone) {
  EXPECT_EQ(crc32(nullptr, 0), 0u);
  EXPECT_EQ(crc32_update(0x12345678u, nullptr, 0), 0x12345678u);
}

TEST(Crc32, EveryLengthUpTo64MatchesTheBitwiseReference) {
  const std::vector<uint8_t> bytes = pseudo_random_bytes(64 + 7, 0x2545F491u);
  // Every start offset 0..7 as well, so unaligned 8-byte blocks are covered.
  for (size_t offset = 0; offset < 8; ++offset) {
    for (size_t len = 0; len <= 64; ++len) {
      EXPECT_EQ(crc32(bytes.data() + offset, len),
                bitwise_crc32(bytes.data() + offset, len))
          << "offset " << offset << ", length " << len;
    }
  }
}

TEST(Crc32, LargeBufferMatchesTheBitwiseReference) {
  const std::vector<uint8_t> bytes = pseudo_random_bytes(30000, 7);
  EXPECT_EQ(crc32(bytes.data(), bytes.size()),
            bitwise_crc32(bytes.data(), bytes.size()));
}

TEST(Crc32, UpdatingInPiecesEqualsTheWhole) {
  const std::vector<uint8_t> bytes = pseudo_random_bytes(200, 99);
  const uint32_t whole = crc32(bytes.data(), bytes.size());
  for (size_t split = 0; split <= bytes.size(); ++split) {
    const uint32_t first = crc32(bytes.data(), split);
    EXPECT_EQ(crc32_update(first, bytes.data() + split, bytes.size() - split), whole)
        << "split at " << split;
  }
  // Many small uneven pieces.
  uint32_t state = 0;
  size_t pos = 0;
  for (size_t piece = 1; pos < bytes.size(); piece = piece % 13 + 1) {
    const size_t take = std::min(piece, bytes.size() - pos);
    state = crc32_update(state, bytes.data() + pos, take);
    pos += take;
  }
  EXPECT_EQ(state, whole);
}

}  // namespace
