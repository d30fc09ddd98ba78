// The chipset registers in PCI configuration space that reach past the EPT
// (docs/platform.md), as chain mode's mediation needs them:
//   - SMRAM control of the host bridge (0:0.0): i440FX at 0x72 (82441FX
//     datasheet 3.2.24; Q35's MCH has the same bits at 0x9D). D_OPEN (bit
//     6) makes the SMRAM window (0xA0000-0xBFFFF with C_BASE_SEG 010b)
//     DRAM for every access, so the guest could write the SMI handler; SMM
//     itself runs with neither VMX nor EPT. D_LCK (bit 4) clears D_OPEN and
//     makes it read-only until reset: firmware sets it before booting an OS,
//     the VMM sets it before the guest runs. G_SMRAME (bit 3) says firmware
//     set SMRAM up at all;
//   - the PIIX4 power-management function's SMI sources (datasheet 11.1,
//     11.7): APMC_EN (DEVACTB, config 0x58, bit 25) makes a write to the APM
//     control port 0xB2 an SMI; SMI_EN (GLBCTL, port 0x28 of the PM block,
//     bit 0) gates every SMI the PIIX4 raises. Its PM block itself is
//     common/piix4_power.h's;
//   - the IDE function's BAR4 (0x20): the 16-port bus-master block, whose
//     DMA reaches any memory (devices/bus_master.h finds the function).
// Pure.
#pragma once

#include <stdint.h>

#include "devices/pci_address.h"

namespace devices::pci {

inline constexpr Function host_bridge{0, 0, 0};

// The SMRAM control register's offset at 0:0.0 for the host bridge with
// these IDs (device << 16 | vendor), 0 for one the VMM does not know.
constexpr uint16_t smram_control_offset(uint32_t ids) {
  switch (ids) {
    case 0x12378086: return 0x72;  // 82441FX (i440FX): Bochs, QEMU pc
    case 0x29C08086: return 0x9D;  // 82G33/P35 MCH: QEMU q35
    default: return 0;
  }
}
inline constexpr uint8_t smram_d_open = 1u << 6;
inline constexpr uint8_t smram_d_cls = 1u << 5;
inline constexpr uint8_t smram_d_lck = 1u << 4;
inline constexpr uint8_t smram_g_smrame = 1u << 3;

// What the VMM writes before the guest runs: closed and locked, the rest as
// firmware left it.
constexpr uint8_t smram_locked(uint8_t firmware) {
  return static_cast<uint8_t>((firmware & ~smram_d_open) | smram_d_lck);
}
constexpr bool smram_set_up(uint8_t value) { return (value & smram_g_smrame) != 0; }

inline constexpr uint16_t piix4_devactb = 0x58;
inline constexpr uint32_t piix4_devactb_apmc_en = 1u << 25;
inline constexpr uint16_t piix4_smbba = 0x90;  // the SMBus block: 16 ports at bits 15:4
inline constexpr uint32_t piix4_smbba_base_bits = 0xFFF0;
inline constexpr uint16_t piix4_smbus_ports = 16;
inline constexpr uint16_t piix4_glbctl = 0x28;  // in the PM block, 4 ports
inline constexpr uint16_t piix4_glbctl_ports = 4;
inline constexpr uint32_t piix4_glbctl_smi_en = 1u << 0;

inline constexpr uint16_t ide_bar4 = 0x20;

// The host bridge's register that places the ECAM window (PCIEXBAR, 64
// bits) for these IDs, 0 for one the VMM does not know (the i440FX has no
// ECAM).
constexpr uint16_t ecam_base_offset(uint32_t ids) {
  return ids == 0x29C08086 ? 0x60 : 0;  // 82G33/P35 MCH: QEMU q35
}

}  // namespace devices::pci
