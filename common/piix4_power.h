// Power-off without ACPI tables, where the chipset says how: firmware that
// publishes no RSDP (Bochs' legacy BIOS) may still have enabled the Intel
// PIIX4 power-management function (PCI 8086:7113, found at bus 0 by its
// IDs). Its PMBA register says where its I/O block is; PM1a control lies at
// PMBA + 4, and S5 ("soft off") is SUS_TYP 0 (PIIX4 datasheet 7.2.4, 11.7.3).
// Nothing is assumed: no PIIX4 PM function, or one the firmware left
// disabled, and this finds nothing.
#pragma once

#include <stdint.h>

#include "common/acpi.h"

namespace piix4_power {

// The PIIX4 power-management function's registers (datasheet 11.1, 11.7):
// PMBA (config 0x40) bits 15:6 place its 64-port I/O block, bit 0 reads 1;
// PMREGMISC (config 0x80) bit 0, PMIOSE, enables that block; PM1a control
// (PMCNTRL) is the block's port 4.
inline constexpr uint32_t pm_ids = 0x71138086;  // device 7113, vendor 8086
inline constexpr uint8_t config_pmba = 0x40;
inline constexpr uint16_t pmba_base_bits = 0xFFC0;
inline constexpr uint16_t pm_block_ports = 64;
inline constexpr uint8_t config_pmregmisc = 0x80;
inline constexpr uint8_t pmregmisc_pmiose = 1u << 0;
inline constexpr uint16_t pmcntrl_offset = 0x04;

// Reads the 32-bit PCI configuration dword at `offset` (4-aligned).
using ConfigRead = uint32_t (*)(uint8_t bus, uint8_t device, uint8_t function, uint8_t offset);

acpi::PowerOff find(ConfigRead read);

// ConfigRead through I/O ports 0xCF8/0xCFC (PCI configuration mechanism #1).
uint32_t read_config_io(uint8_t bus, uint8_t device, uint8_t function, uint8_t offset);

// Where firmware put the PM block: the function and the PMBA it set.
struct Home {
  bool known;
  uint8_t bus, device, function;
  uint16_t base;  // PMBA's block
};

// The block back at `home`, its I/O space enabled (mechanism #1). The
// VMM's last resort at the end of a run whose guest moved the block where
// its PM1a_CNT does not decode: under Bochs 2.7 a port another device
// holds (its ACPI debug port 0xB044 among them) keeps that device, and a
// power-off written there goes nowhere.
void put_back(const Home& home);

}  // namespace piix4_power
