// What the VMM finds on PCI bus 0 and sets there before a guest that owns
// the machine runs (chain mode):
//   - the host bridge's SMRAM control (devices/pci_chipset.h), closed and
//     locked as firmware does before it boots an OS: D_OPEN clear, D_LCK
//     set. The guest's writes to it are the VMM's from then on
//     (devices/pci_mediation.h);
//   - no SMI from the PIIX4: APMC_EN and GLBCTL's SMI_EN cleared, and kept
//     clear. Where firmware set SMRAM up (G_SMRAME, the Bochs BIOS), its SMI
//     handler is locked away from the guest; where it did not (SeaBIOS in
//     Bochs leaves 0x02), SMBASE is still 0x30000, in the guest's RAM, and
//     an SMI would run the guest's code in SMM, outside VMX and the EPT. And
//     an SMI taken by a real-mode unrestricted guest comes back broken in
//     Bochs 2.7 (docs/bochs.md). So the VMM lets none through in either
//     case: no handler of its own to install, nothing to trust. (The local
//     APIC's SMI IPIs are the APIC mediation's to refuse.)
//   - where the PIIX4's power-management block is, for the mediation to
//     follow its moves (the IDE bus master's the chain profile takes from
//     devices/bus_master.h).
// CONFIG_ADDRESS is put back as the firmware left it: the guest's first
// value. Pure but for devices/port_io.h.
#pragma once

#include <stdint.h>

#include "devices/pci_config.h"
#include "devices/piix4_pm.h"

namespace devices {

// What take_pci_platform found and did, for the run's report.
struct PciPlatformReport {
  uint32_t host_ids;      // 0:0.0's device << 16 | vendor (all ones: no PCI)
  uint8_t smram_before;   // SMRAM control as firmware left it (when known)
  uint8_t smram_after;    // as the VMM left it
  bool apmc_en_cleared;   // firmware had set APMC_EN
  bool smi_en_cleared;    // and SMI_EN
};

// Fills pci.platform (no IDE function: the caller's), pci.address and
// pm.base (0: no PIIX4 PM function, or its block at 0); locks SMRAM and
// closes the PIIX4's SMIs. `vmm_power_off`: the port the VMM powers off
// through (0: none), which says whether that is the PM block's.
void take_pci_platform(PciConfig& pci, Piix4PmBlock& pm, uint16_t vmm_power_off,
                       PciPlatformReport& report);

}  // namespace devices
