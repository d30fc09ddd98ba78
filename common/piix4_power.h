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

// Reads the 32-bit PCI configuration dword at `offset` (4-aligned).
using ConfigRead = uint32_t (*)(uint8_t bus, uint8_t device, uint8_t function, uint8_t offset);

acpi::PowerOff find(ConfigRead read);

// ConfigRead through I/O ports 0xCF8/0xCFC (PCI configuration mechanism #1).
uint32_t read_config_io(uint8_t bus, uint8_t device, uint8_t function, uint8_t offset);

}  // namespace piix4_power
