// The MADT as the chain guest finds it (common/madt.h): one processor.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "common/madt.h"

namespace {

// A MADT: the 44-byte start, then the entries given.
std::vector<uint8_t> madt(const std::vector<std::vector<uint8_t>>& entries) {
  std::vector<uint8_t> t(44, 0);
  t[0] = 'A'; t[1] = 'P'; t[2] = 'I'; t[3] = 'C';
  for (const auto& e : entries) t.insert(t.end(), e.begin(), e.end());
  const uint32_t length = static_cast<uint32_t>(t.size());
  for (int i = 0; i < 4; ++i) t[4 + i] = static_cast<uint8_t>(length >> (8 * i));
  uint8_t sum = 0;
  for (uint8_t b : t) sum = static_cast<uint8_t>(sum + b);
  t[9] = static_cast<uint8_t>(-sum);
  return t;
}

std::vector<uint8_t> local_apic(uint8_t uid, uint8_t apic_id, uint32_t flags) {
  return {0, 8, uid, apic_id, uint8_t(flags), uint8_t(flags >> 8), 0, 0};
}
std::vector<uint8_t> local_x2apic(uint32_t x2apic_id, uint32_t flags) {
  return {9, 16, 0, 0, uint8_t(x2apic_id), uint8_t(x2apic_id >> 8), 0, 0,
          uint8_t(flags), 0, 0, 0, 1, 0, 0, 0};
}
std::vector<uint8_t> io_apic() { return {1, 12, 0, 0, 0, 0, 0xC0, 0xFE, 0, 0, 0, 0}; }

uint8_t sum(const std::vector<uint8_t>& t) {
  uint8_t s = 0;
  for (uint8_t b : t) s = static_cast<uint8_t>(s + b);
  return s;
}

TEST(Madt, EveryProcessorButTheVmmsIsMarkedDisabledTheChecksumFixed) {
  std::vector<uint8_t> t = madt({local_apic(0, 0, 1), local_apic(1, 1, 1), io_apic(),
                                 local_x2apic(2, 1), local_apic(3, 3, 2)});
  const madt::Result r = madt::keep_one_processor(t.data(), static_cast<uint32_t>(t.size()), 0);
  EXPECT_TRUE(r.ok);
  EXPECT_EQ(r.processors, 4u);
  EXPECT_EQ(r.disabled, 3u) << "one enabled, one x2APIC, one online-capable";
  EXPECT_EQ(t[44 + 4], 1) << "the VMM's processor stays enabled";
  EXPECT_EQ(t[52 + 4], 0);
  EXPECT_EQ(t[60 + 6], 0xC0) << "the I/O APIC untouched";
  EXPECT_EQ(t[72 + 8], 0);
  EXPECT_EQ(t[88 + 4], 0) << "online-capable cleared too";
  EXPECT_EQ(sum(t), 0) << "the checksum holds";
}

TEST(Madt, AlreadyOneProcessorChangesNothing) {
  std::vector<uint8_t> t = madt({local_apic(0, 0, 1), local_apic(1, 1, 0)});
  const std::vector<uint8_t> before = t;
  const madt::Result r = madt::keep_one_processor(t.data(), static_cast<uint32_t>(t.size()), 0);
  EXPECT_TRUE(r.ok);
  EXPECT_EQ(r.disabled, 0u);
  EXPECT_EQ(t, before);
}

TEST(Madt, AMalformedTableIsLeftAsItIs) {
  for (uint8_t bad_length : {uint8_t{0}, uint8_t{1}, uint8_t{200}}) {
    std::vector<uint8_t> t = madt({local_apic(0, 0, 1), local_apic(1, 1, 1)});
    t[52 + 1] = bad_length;  // the second entry's length
    const std::vector<uint8_t> before = t;
    const madt::Result r = madt::keep_one_processor(t.data(), static_cast<uint32_t>(t.size()), 0);
    EXPECT_FALSE(r.ok) << int(bad_length);
    EXPECT_EQ(t, before) << "nothing written: the first entry's state is the firmware's";
  }
  std::vector<uint8_t> short_table(20, 0);
  EXPECT_FALSE(madt::keep_one_processor(short_table.data(), 20, 0).ok);
}

}  // namespace
