#include "common/crc32c.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

namespace {

// The definition, one bit at a time: the slow reference the table-driven code
// must agree with.
uint32_t bitwise_crc32c(const uint8_t* data, size_t len) {
  uint32_t crc = 0xFFFFFFFFu;
  for (size_t i = 0; i < len; ++i) {
    crc ^= data[i];
    for (int bit = 0; bit < 8; ++bit) {
      crc = (crc & 1u) ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
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

// Both ways crc32c_update() can take, and the bitwise one stage2's real-mode
// part takes without SSE4.2; the SSE4.2 one only where this host has the
// instruction (every x86-64 CPU of the last decade does).
struct Way {
  const char* name;
  uint32_t (*update)(uint32_t, const void*, size_t);
};
const Way kWays[] = {{"tables", crc32c_update_tables},
                     {"sse42", crc32c_update_sse42},
                     {"bitwise", crc32c_update_bitwise}};

class Crc32cWays : public ::testing::TestWithParam<Way> {
 protected:
  void SetUp() override {
    if (GetParam().update == crc32c_update_sse42 && !crc32c_has_sse42()) {
      GTEST_SKIP() << "this host CPU has no SSE4.2";
    }
  }
  uint32_t crc(const void* data, size_t len) const { return GetParam().update(0, data, len); }
};

TEST(Crc32c, CheckValueOfTheStandard) {
  const char* digits = "123456789";
  EXPECT_EQ(crc32c(digits, std::strlen(digits)), 0xE3069283u);
}

// RFC 3720 (iSCSI), appendix B.4.
TEST_P(Crc32cWays, Rfc3720Vectors) {
  uint8_t bytes[32] = {};
  EXPECT_EQ(crc(bytes, sizeof bytes), 0x8A9136AAu);
  std::memset(bytes, 0xFF, sizeof bytes);
  EXPECT_EQ(crc(bytes, sizeof bytes), 0x62A8AB43u);
  for (int i = 0; i < 32; ++i) bytes[i] = uint8_t(i);
  EXPECT_EQ(crc(bytes, sizeof bytes), 0x46DD794Eu);
  for (int i = 0; i < 32; ++i) bytes[i] = uint8_t(31 - i);
  EXPECT_EQ(crc(bytes, sizeof bytes), 0x113FDB5Cu);
  EXPECT_EQ(crc("123456789", 9), 0xE3069283u);
}

TEST_P(Crc32cWays, EmptyInputIsZeroAndLeavesTheStateAlone) {
  EXPECT_EQ(crc(nullptr, 0), 0u);
  EXPECT_EQ(GetParam().update(0x12345678u, nullptr, 0), 0x12345678u);
}

TEST_P(Crc32cWays, EveryLengthUpTo64MatchesTheBitwiseReference) {
  const std::vector<uint8_t> bytes = pseudo_random_bytes(64 + 7, 0x2545F491u);
  // Every start offset 0..7 as well, so unaligned 8-byte blocks are covered.
  for (size_t offset = 0; offset < 8; ++offset) {
    for (size_t len = 0; len <= 64; ++len) {
      EXPECT_EQ(crc(bytes.data() + offset, len), bitwise_crc32c(bytes.data() + offset, len))
          << "offset " << offset << ", length " << len;
    }
  }
}

TEST_P(Crc32cWays, LargeBufferMatchesTheBitwiseReference) {
  const std::vector<uint8_t> bytes = pseudo_random_bytes(30000, 7);
  EXPECT_EQ(crc(bytes.data(), bytes.size()), bitwise_crc32c(bytes.data(), bytes.size()));
}

TEST_P(Crc32cWays, UpdatingInPiecesEqualsTheWhole) {
  const std::vector<uint8_t> bytes = pseudo_random_bytes(200, 99);
  const uint32_t whole = crc(bytes.data(), bytes.size());
  for (size_t split = 0; split <= bytes.size(); ++split) {
    const uint32_t first = crc(bytes.data(), split);
    EXPECT_EQ(GetParam().update(first, bytes.data() + split, bytes.size() - split), whole)
        << "split at " << split;
  }
  // Many small uneven pieces.
  uint32_t state = 0;
  size_t pos = 0;
  for (size_t piece = 1; pos < bytes.size(); piece = piece % 13 + 1) {
    const size_t take = std::min(piece, bytes.size() - pos);
    state = GetParam().update(state, bytes.data() + pos, take);
    pos += take;
  }
  EXPECT_EQ(state, whole);
}

INSTANTIATE_TEST_SUITE_P(Crc32c, Crc32cWays, ::testing::ValuesIn(kWays),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
