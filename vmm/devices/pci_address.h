// Where a PCI configuration access lands (PCI Local Bus 3.0, 3.2.2.3.2;
// PCI Express 7.2.2), by either way a guest reaches configuration space:
//   - mechanism #1: a dword written to CONFIG_ADDRESS (port 0xCF8) selects
//     the function and register (bit 31 enable, bus 23:16, device 15:11,
//     function 10:8, register 7:2; bits 30:24 and 1:0 are not decoded: the
//     Bochs 2.7 chipset ignores them as Intel's do), then the data ports
//     0xCFC-0xCFF carry a byte, word or dword at the register plus the
//     port's offset;
//   - ECAM (the ACPI MCFG table's windows, common/mcfg.h): every function's
//     4 KiB at base + bus << 20 | device << 15 | function << 12.
// A decoded access lies within one dword of the function's space, as the
// mediation (devices/pci_mediation.h) needs it: an access that reaches past
// its dword (a dword at 0xCFD, a word store at offset 3) is not a
// configuration access the VMM carries out. Pure.
#pragma once

#include <stdint.h>

#include "common/mcfg.h"

namespace devices::pci {

struct Function {
  uint8_t bus, device, function;
  constexpr bool operator==(const Function&) const = default;
};

inline constexpr uint16_t config_address_port = 0xCF8;
inline constexpr uint16_t config_data_port = 0xCFC;  // to 0xCFF
inline constexpr uint32_t config_enable = 1u << 31;
// Type 0 and 1 headers and the chipset registers lie in the first 256
// bytes; ECAM adds the extended space up to 4 KiB.
inline constexpr uint16_t config_bytes = 0x100;
inline constexpr uint16_t ecam_function_bytes = 0x1000;

// CONFIG_ADDRESS for the dword holding `offset` of `f`.
constexpr uint32_t config_address(Function f, uint16_t offset) {
  return config_enable | uint32_t{f.bus} << 16 | uint32_t{f.device & 31u} << 11 |
         uint32_t{f.function & 7u} << 8 | (offset & 0xFCu);
}

// An access of `bytes` at `offset` of a function's configuration space,
// within one dword; valid false: no configuration access.
struct ConfigTarget {
  bool valid;
  uint16_t segment;  // 0 but for a second MCFG segment: the platform's functions are in 0
  Function function;
  uint16_t offset;
  uint8_t bytes;
};

constexpr bool within_one_dword(uint32_t offset, unsigned bytes) {
  return (bytes == 1 || bytes == 2 || bytes == 4) && (offset & 3) + bytes <= 4;
}

// An access to the data port `port` (0xCFC-0xCFF) with CONFIG_ADDRESS
// `address`: invalid with bit 31 clear (the data ports then reach no
// configuration space), for a port outside the data ports, and for an
// access that reaches past 0xCFF.
constexpr ConfigTarget mechanism1_target(uint32_t address, uint16_t port, unsigned bytes) {
  if ((address & config_enable) == 0 || port < config_data_port) return {};
  const uint32_t within = uint32_t{port} - config_data_port;
  if (within > 3 || !within_one_dword(within, bytes)) return {};
  const Function f{static_cast<uint8_t>(address >> 16), static_cast<uint8_t>(address >> 11 & 31),
                   static_cast<uint8_t>(address >> 8 & 7)};
  return {true, 0, f, static_cast<uint16_t>((address & 0xFC) + within), static_cast<uint8_t>(bytes)};
}

// MCFG window `w`'s buses first_bus..last_bus in memory: [first, end) (its
// base is bus 0's; the end within 64 bits, checked by parse_mcfg).
constexpr uint64_t ecam_first(const acpi::McfgWindow& w) {
  return w.base + (uint64_t{w.first_bus} << 20);
}
constexpr uint64_t ecam_end(const acpi::McfgWindow& w) {
  return w.base + ((uint64_t{w.last_bus} + 1) << 20);
}

// Where `offset` of function `f` lies in window `w`.
constexpr uint64_t ecam_address(const acpi::McfgWindow& w, Function f, uint16_t offset) {
  return w.base + (uint64_t{f.bus} << 20 | uint64_t{f.device & 31u} << 15 |
                   uint64_t{f.function & 7u} << 12 | (offset & (ecam_function_bytes - 1u)));
}

// A store of `bytes` at physical `address` inside MCFG window `w`: invalid
// outside the window and for a store that crosses a dword.
constexpr ConfigTarget ecam_target(const acpi::McfgWindow& w, uint64_t address, unsigned bytes) {
  if (address < ecam_first(w) || address >= ecam_end(w)) return {};
  const uint64_t within = address - w.base;
  const uint32_t offset = static_cast<uint32_t>(within & (ecam_function_bytes - 1));
  if (!within_one_dword(offset, bytes)) return {};
  const Function f{static_cast<uint8_t>(within >> 20), static_cast<uint8_t>(within >> 15 & 31),
                   static_cast<uint8_t>(within >> 12 & 7)};
  return {true, w.segment, f, static_cast<uint16_t>(offset), static_cast<uint8_t>(bytes)};
}

}  // namespace devices::pci
