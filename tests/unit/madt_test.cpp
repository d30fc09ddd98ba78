// The MADT as the chain guest finds it (common/madt.h): one processor.
#include <gtest/gtest.h>

#include <algorithm>
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

uint32_t length_of(const std::vector<uint8_t>& t) {
  return uint32_t(t[4]) | uint32_t(t[5]) << 8 | uint32_t(t[6]) << 16 | uint32_t(t[7]) << 24;
}

TEST(Madt, EveryProcessorButTheVmmsIsTakenOutTheLengthAndChecksumFixed) {
  std::vector<uint8_t> t = madt({local_apic(0, 0, 1), local_apic(1, 1, 1), io_apic(),
                                 local_x2apic(2, 1), local_apic(3, 3, 2)});
  const uint32_t before = static_cast<uint32_t>(t.size());
  const madt::Result r = madt::keep_one_processor(t.data(), before, 0);
  EXPECT_TRUE(r.ok);
  EXPECT_EQ(r.processors, 4u);
  EXPECT_EQ(r.removed, 3u) << "one enabled, one x2APIC, one online-capable";
  EXPECT_EQ(length_of(t), 44u + 8 + 12) << "the VMM's processor and the I/O APIC";
  const std::vector<uint8_t> vmms = local_apic(0, 0, 1), io = io_apic();
  EXPECT_TRUE(std::equal(vmms.begin(), vmms.end(), t.begin() + 44));
  EXPECT_TRUE(std::equal(io.begin(), io.end(), t.begin() + 52)) << "moved up, untouched";
  EXPECT_EQ(std::vector<uint8_t>(t.begin() + 64, t.end()), std::vector<uint8_t>(before - 64, 0))
      << "the freed tail zeroed";
  EXPECT_EQ(sum(std::vector<uint8_t>(t.begin(), t.begin() + length_of(t))), 0)
      << "the checksum holds over the new length";
}

TEST(Madt, ADisabledEntryIsTakenOutToo) {
  // Linux counts a disabled Local APIC entry as a CPU it may hot-add.
  std::vector<uint8_t> t = madt({local_apic(0, 0, 1), local_apic(1, 1, 0)});
  const madt::Result r = madt::keep_one_processor(t.data(), static_cast<uint32_t>(t.size()), 0);
  EXPECT_TRUE(r.ok);
  EXPECT_EQ(r.removed, 1u);
  EXPECT_EQ(length_of(t), 52u);
}

TEST(Madt, AlreadyOneProcessorChangesNothing) {
  std::vector<uint8_t> t = madt({local_apic(0, 0, 1), io_apic()});
  const std::vector<uint8_t> before = t;
  const madt::Result r = madt::keep_one_processor(t.data(), static_cast<uint32_t>(t.size()), 0);
  EXPECT_TRUE(r.ok);
  EXPECT_EQ(r.removed, 0u);
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

// ---------------------------------------------------------------- I/O APICs

namespace {

std::vector<uint8_t> io_apic_at(uint8_t id, uint32_t address, uint32_t gsi_base) {
  std::vector<uint8_t> e = {1, 12, id, 0};
  for (uint32_t v : {address, gsi_base}) {
    for (int i = 0; i < 4; ++i) e.push_back(static_cast<uint8_t>(v >> (8 * i)));
  }
  return e;
}

TEST(MadtIoApics, EachListedWithItsAddressAndFirstGsi) {
  const std::vector<uint8_t> t = madt({local_apic(0, 0, 1), io_apic_at(2, 0xFEC00000, 0),
                                       local_x2apic(1, 1), io_apic_at(3, 0xFEC01000, 24)});
  const madt::IoApics a = madt::io_apics(t.data(), static_cast<uint32_t>(t.size()));
  ASSERT_TRUE(a.ok);
  ASSERT_EQ(a.count, 2u);
  EXPECT_EQ(a.entries[0].id, 2);
  EXPECT_EQ(a.entries[0].address, 0xFEC00000u);
  EXPECT_EQ(a.entries[1].address, 0xFEC01000u);
  EXPECT_EQ(a.entries[1].gsi_base, 24u);
}

TEST(MadtIoApics, MoreThanKeptAreCountedAndAMalformedTableIsNotOk) {
  std::vector<std::vector<uint8_t>> entries;
  for (uint8_t i = 0; i < madt::max_io_apics + 1; ++i) {
    entries.push_back(io_apic_at(i, 0xFEC00000u + i * 0x1000u, i * 24u));
  }
  std::vector<uint8_t> t = madt(entries);
  const madt::IoApics many = madt::io_apics(t.data(), static_cast<uint32_t>(t.size()));
  EXPECT_TRUE(many.ok);
  EXPECT_EQ(many.count, madt::max_io_apics + 1) << "counted, so the VMM can refuse them";
  t = madt({io_apic_at(2, 0xFEC00000, 0)});
  t[44 + 1] = 200;  // an entry longer than the table
  EXPECT_FALSE(madt::io_apics(t.data(), static_cast<uint32_t>(t.size())).ok);
  EXPECT_FALSE(madt::io_apics(t.data(), 20).ok) << "shorter than the header";
}

}  // namespace
