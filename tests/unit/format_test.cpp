// vformat/format against the host C library's vsnprintf as the reference
// for everything both define, plus the parts that are ours (%p width,
// 64-bit decimal without division, truncation).
// These tests hand libc's snprintf and ours null strings and short buffers
// on purpose: GCC's warnings about exactly that are expected here.
#pragma GCC diagnostic ignored "-Wformat-overflow"
#pragma GCC diagnostic ignored "-Wformat-truncation"

#include <gtest/gtest.h>

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>

#include <climits>
#include <string>

#include "common/format.h"

namespace {

struct Both {
  std::string ours;
  size_t ours_length;
  std::string libc;
  int libc_length;
};

__attribute__((format(printf, 1, 2))) Both both(const char* fmt, ...) {
  char ours[512];
  char libc[512];
  va_list ap;
  va_start(ap, fmt);
  va_list ap2;
  va_copy(ap2, ap);
  Both result;
  result.ours_length = vformat(ours, sizeof ours, fmt, ap);
  result.libc_length = vsnprintf(libc, sizeof libc, fmt, ap2);
  va_end(ap2);
  va_end(ap);
  result.ours = ours;
  result.libc = libc;
  return result;
}

#define EXPECT_LIKE_LIBC(...)                                       \
  do {                                                              \
    Both b = both(__VA_ARGS__);                                     \
    EXPECT_EQ(b.ours, b.libc) << "format " << #__VA_ARGS__;         \
    EXPECT_EQ(b.ours_length, static_cast<size_t>(b.libc_length));   \
  } while (0)

TEST(Format, PlainTextAndPercent) {
  EXPECT_LIKE_LIBC("hello");
  EXPECT_LIKE_LIBC("100%% sure");
  EXPECT_LIKE_LIBC("%s", "");
}

TEST(Format, SignedDecimal) {
  EXPECT_LIKE_LIBC("%d %i", 0, 42);
  EXPECT_LIKE_LIBC("%d", -1);
  EXPECT_LIKE_LIBC("%d %d", INT_MIN, INT_MAX);
  EXPECT_LIKE_LIBC("%ld %ld", LONG_MIN, LONG_MAX);
  EXPECT_LIKE_LIBC("%lld %lld", LLONG_MIN, LLONG_MAX);
  EXPECT_LIKE_LIBC("%zd", static_cast<ptrdiff_t>(-12345));
  EXPECT_LIKE_LIBC("%hhd %hd", static_cast<signed char>(-5), static_cast<short>(-300));
}

TEST(Format, UnsignedDecimalCoversAll64Bits) {
  EXPECT_LIKE_LIBC("%u %u", 0u, UINT_MAX);
  EXPECT_LIKE_LIBC("%llu", ULLONG_MAX);
  EXPECT_LIKE_LIBC("%llu", 10000000000000000000ull);
  EXPECT_LIKE_LIBC("%llu", 9999999999999999999ull);
  EXPECT_LIKE_LIBC("%llu", 0x100000000ull);
  EXPECT_LIKE_LIBC("%lu", 4294967296ul * 10 + 7);
  EXPECT_LIKE_LIBC("%zu", static_cast<size_t>(SIZE_MAX));
  // Every power of ten and its neighbours: the digit loop's boundaries.
  uint64_t power = 1;
  for (int i = 0; i < 20; ++i) {
    EXPECT_LIKE_LIBC("%llu %llu %llu", static_cast<unsigned long long>(power - 1),
                     static_cast<unsigned long long>(power),
                     static_cast<unsigned long long>(power + 1));
    if (i < 19) power *= 10;
  }
}

TEST(Format, Hex) {
  EXPECT_LIKE_LIBC("%x %X", 0xdeadbeefu, 0xdeadbeefu);
  EXPECT_LIKE_LIBC("%llx %llX", 0x0123456789abcdefull, 0xfedcba9876543210ull);
  EXPECT_LIKE_LIBC("%x", 0u);
  EXPECT_LIKE_LIBC("%08x|%-8x|%8X", 0xabcu, 0xabcu, 0xabcu);
  EXPECT_LIKE_LIBC("%016llx", 0x1234ull);
  EXPECT_LIKE_LIBC("%hhx %hx", static_cast<unsigned char>(0x1ff & 0xff),
                   static_cast<unsigned short>(0xbeef));
}

TEST(Format, WidthAndFlags) {
  EXPECT_LIKE_LIBC("[%5d][%-5d][%05d]", 42, 42, 42);
  EXPECT_LIKE_LIBC("[%5d][%-5d][%05d]", -42, -42, -42);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat"  // the point is the ignored flag
  EXPECT_LIKE_LIBC("[%-05d]", 7);  // '-' beats '0'
#pragma GCC diagnostic pop
  EXPECT_LIKE_LIBC("[%1d][%2d]", 12345, 12345);  // width never cuts
  EXPECT_LIKE_LIBC("[%10s][%-10s]|", "abc", "abc");
  EXPECT_LIKE_LIBC("[%3c][%-3c]", 'x', 'y');
  EXPECT_LIKE_LIBC("[%*d][%-*d]", 6, 9, 6, 9);
  EXPECT_LIKE_LIBC("[%*d]", -6, 9);
}

TEST(Format, Precision) {
  EXPECT_LIKE_LIBC("[%.3s][%.0s][%.10s]", "abcdef", "abc", "abc");
  EXPECT_LIKE_LIBC("[%.*s]", 4, "FACPxxxx");
  EXPECT_LIKE_LIBC("[%.5d][%8.5d][%-8.3x]", 42, -42, 0xfu);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat"
  EXPECT_LIKE_LIBC("[%08.3d]", 5);  // precision turns off '0'
#pragma GCC diagnostic pop
  EXPECT_LIKE_LIBC("[%.0d][%.0x]", 0, 0u);
}

TEST(Format, Chars) {
  EXPECT_LIKE_LIBC("%c%c%c", 'a', 'b', 'c');
}

TEST(Format, PointerIs0xAnd16HexDigits) {
  char buf[64];
  format(buf, sizeof buf, "%p", reinterpret_cast<void*>(0x1234));
  EXPECT_STREQ(buf, "0x0000000000001234");
  format(buf, sizeof buf, "%p", static_cast<void*>(nullptr));
  EXPECT_STREQ(buf, "0x0000000000000000");
  format(buf, sizeof buf, "[%20p]", reinterpret_cast<void*>(0xffffffff80001000ull));
  EXPECT_STREQ(buf, "[  0xffffffff80001000]");
  format(buf, sizeof buf, "[%-20p]", reinterpret_cast<void*>(0xab));
  EXPECT_STREQ(buf, "[0x00000000000000ab  ]");
}

TEST(Format, NullStringPrintsNullMarker) {
  char buf[32];
  const char* none = nullptr;
  format(buf, sizeof buf, "<%s>", none);
  EXPECT_STREQ(buf, "<(null)>");
}

TEST(Format, UnknownConversionIsShownVerbatim) {
  char buf[32];
  const char* fmt = "a%qb";  // not a literal: keeps -Wformat quiet
  EXPECT_EQ(format(buf, sizeof buf, fmt), 4u);
  EXPECT_STREQ(buf, "a%qb");
  const char* dangling = "x%";
  EXPECT_EQ(format(buf, sizeof buf, dangling), 2u);
  EXPECT_STREQ(buf, "x%");
  const char* dangling_length = "x%l";
  EXPECT_EQ(format(buf, sizeof buf, dangling_length), 3u);
  EXPECT_STREQ(buf, "x%l");
}

TEST(Format, TruncatesAndReturnsFullLength) {
  char buf[8];
  for (size_t i = 0; i < sizeof buf; ++i) buf[i] = '#';
  EXPECT_EQ(format(buf, 6, "%s-%d", "abcd", 1234), 9u);
  EXPECT_STREQ(buf, "abcd-");
  EXPECT_EQ(buf[6], '#');  // nothing written past cap
  EXPECT_EQ(buf[7], '#');

  EXPECT_EQ(format(buf, 1, "%d", 5), 1u);
  EXPECT_EQ(buf[0], '\0');

  buf[0] = '#';
  EXPECT_EQ(format(buf, 0, "%d", 12345), 5u);  // cap 0: nothing touched
  EXPECT_EQ(buf[0], '#');
  EXPECT_EQ(format(nullptr, 0, "%s", "abc"), 3u);

  // Exactly fitting: 7 characters and the NUL in 8 bytes.
  EXPECT_EQ(format(buf, 8, "%07d", 42), 7u);
  EXPECT_STREQ(buf, "0000042");
}

TEST(Format, TruncationMatchesLibc) {
  for (size_t cap = 1; cap < 24; ++cap) {
    char ours[32], libc[32];
    size_t ours_length = format(ours, cap, "[%-6s|%05x|%lld]", "ab", 0xbeefu, -123456789ll);
    int libc_length = snprintf(libc, cap, "[%-6s|%05x|%lld]", "ab", 0xbeefu, -123456789ll);
    EXPECT_EQ(ours_length, static_cast<size_t>(libc_length));
    EXPECT_STREQ(ours, libc) << "cap " << cap;
  }
}

}  // namespace
