#include "common/piix4_power.h"

#include "ia32/io.h"

namespace piix4_power {

acpi::PowerOff find(ConfigRead read) {
  acpi::PowerOff none{false, 0, 0, 0, 0, "no ACPI tables and no PIIX4 power management"};
  for (uint8_t device = 0; device < 32; ++device) {
    for (uint8_t function = 0; function < 8; ++function) {
      if (read(0, device, function, 0) != pm_ids) continue;
      const uint32_t pmba = read(0, device, function, config_pmba);
      const bool enabled = (read(0, device, function, config_pmregmisc) & pmregmisc_pmiose) != 0;
      const uint16_t base = static_cast<uint16_t>(pmba & pmba_base_bits);
      if (!enabled || (pmba & 1) == 0 || base == 0) {
        none.error = "no ACPI tables; the PIIX4 power management is disabled";
        return none;
      }
      return {true, static_cast<uint16_t>(base + pmcntrl_offset), 0, 0, 0, nullptr};
    }
  }
  return none;
}

namespace {

void select(uint8_t bus, uint8_t device, uint8_t function, uint8_t offset) {
  outl(0xCF8, 0x80000000u | (uint32_t{bus} << 16) | (uint32_t{device} << 11) |
                  (uint32_t{function} << 8) | (offset & 0xFCu));
}

}  // namespace

uint32_t read_config_io(uint8_t bus, uint8_t device, uint8_t function, uint8_t offset) {
  select(bus, device, function, offset);
  return inl(0xCFC);
}

void put_back(const Home& home) {
  select(home.bus, home.device, home.function, config_pmba);
  outl(0xCFC, (inl(0xCFC) & ~uint32_t{pmba_base_bits}) | home.base);
  select(home.bus, home.device, home.function, config_pmregmisc);
  outb(0xCFC, static_cast<uint8_t>(inb(0xCFC) | pmregmisc_pmiose));
}

}  // namespace piix4_power
