// piix4_power::find over a fake PCI configuration space.
#include "common/piix4_power.h"

#include <gtest/gtest.h>

#include <map>
#include <tuple>

namespace {

using Key = std::tuple<int, int, int, int>;  // bus, device, function, offset
std::map<Key, uint32_t> config;

uint32_t fake_read(uint8_t bus, uint8_t device, uint8_t function, uint8_t offset) {
  auto it = config.find({bus, device, function, offset});
  return it == config.end() ? 0xFFFFFFFFu : it->second;  // no device: all ones
}

// The PIIX4 PM function where Bochs and QEMU put it, PMBA 0xB000, enabled.
void bochs_like(uint32_t pmba = 0xB001, uint32_t pmregmisc = 1) {
  config.clear();
  config[{0, 1, 0, 0}] = 0x70008086;  // the ISA bridge, function 0
  config[{0, 1, 3, 0}] = 0x71138086;
  config[{0, 1, 3, 0x40}] = pmba;
  config[{0, 1, 3, 0x80}] = pmregmisc;
}

TEST(Piix4Power, FindsPm1aControlAtPmbaPlus4) {
  bochs_like();
  const acpi::PowerOff p = piix4_power::find(fake_read);
  ASSERT_TRUE(p.found) << p.error;
  EXPECT_EQ(p.pm1a_cnt, 0xB004);
  EXPECT_EQ(p.pm1b_cnt, 0);
  EXPECT_EQ(p.slp_typ_a, 0) << "SUS_TYP 0: soft off";
}

TEST(Piix4Power, AnotherBaseIsFollowed) {
  bochs_like(0x0601);
  EXPECT_EQ(piix4_power::find(fake_read).pm1a_cnt, 0x604);
}

TEST(Piix4Power, DisabledByTheFirmwareIsNotUsed) {
  bochs_like(0xB001, 0);
  const acpi::PowerOff p = piix4_power::find(fake_read);
  EXPECT_FALSE(p.found);
  EXPECT_STREQ(p.error, "no ACPI tables; the PIIX4 power management is disabled");
  bochs_like(0x0001, 1);  // enabled, but no base assigned
  EXPECT_FALSE(piix4_power::find(fake_read).found);
}

TEST(Piix4Power, NoPiix4NoPowerOff) {
  config.clear();
  config[{0, 0, 0, 0}] = 0x12378086;  // a host bridge only
  const acpi::PowerOff p = piix4_power::find(fake_read);
  EXPECT_FALSE(p.found);
  EXPECT_STREQ(p.error, "no ACPI tables and no PIIX4 power management");
}

}  // namespace
