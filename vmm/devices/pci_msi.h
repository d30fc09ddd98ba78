// A PCI function's MSI capability (PCI Local Bus 3.0, 6.8.1): an MSI is a
// memory write of Message Data to Message Address by the device. A guest
// that owns the machine programs its devices' MSIs itself but for what
// reaches past the VMM, which the PCI mediation refuses
// (devices/pci_mediation.h): Message Data whose delivery mode (bits 10:8,
// SDM Vol. 3, 10.11.2, as in an I/O APIC's redirection entry) is SMI (SMM,
// outside VMX and the EPT) or INIT (a reset of the CPUs it names), and a
// Message Address on memory the VMM keeps (the write would be a DMA there,
// past the EPT, where no DMA remapping stops it). Found by walking the
// capability list from the header's pointer: at most 48 entries (the
// device-specific space holds no more), each inside it. Pure but for the
// ConfigSpace it is given.
#pragma once

#include <stdint.h>

#include "devices/pci_mediation.h"

namespace devices::pci {

inline constexpr uint16_t command_status_dword = 0x04;
inline constexpr uint32_t status_capability_list = 1u << 20;  // Status bit 4, in its dword
inline constexpr uint16_t capability_pointer = 0x34;          // type 0 and 1 headers
inline constexpr uint8_t msi_capability_id = 0x05;
inline constexpr uint32_t msi_control_64bit = 1u << 23;  // Message Control bit 7, in its dword
inline constexpr uint32_t delivery_mode_smi = 2, delivery_mode_init = 5;

// Where the function's MSI capability lies (cap 0: none) and whether its
// Message Address has a high dword (Message Control bit 7).
struct MsiCapability {
  uint16_t cap;
  bool wide;
  uint16_t address_low() const { return static_cast<uint16_t>(cap + 4); }
  uint16_t address_high() const { return wide ? static_cast<uint16_t>(cap + 8) : 0; }
  uint16_t data() const { return static_cast<uint16_t>(cap + (wide ? 0xC : 0x8)); }
};

inline MsiCapability find_msi(const ConfigSpace& s, Function f) {
  if ((s.read(f, command_status_dword) & status_capability_list) == 0) return {};
  uint32_t at = s.read(f, capability_pointer) & 0xFC;
  for (unsigned steps = 0; steps < 48 && at >= 0x40; ++steps) {
    const uint32_t head = s.read(f, static_cast<uint16_t>(at));
    if ((head & 0xFF) == msi_capability_id) {
      return {static_cast<uint16_t>(at), (head & msi_control_64bit) != 0};
    }
    at = (head >> 8) & 0xFC;
  }
  return {};
}

// Whether Message Data (a dword's low 16 bits) sends an SMI or an INIT.
constexpr bool msi_reaches_past_the_vmm(uint32_t data) {
  const uint32_t mode = (data >> 8) & 7;
  return mode == delivery_mode_smi || mode == delivery_mode_init;
}

}  // namespace devices::pci
