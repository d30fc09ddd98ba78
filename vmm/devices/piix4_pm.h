// The PIIX4 power-management function's I/O block (PMBA, 64 ports;
// common/piix4_power.h) as chain mode follows it: the guest may move the
// block (devices/pci_mediation.h decides whether), and what the VMM keeps
// in it moves along:
//   - the PM1a_CNT trap (devices/platform_ports.h), the port where the APM
//     control device answers the ACPI enable handshake (SCI_EN) and the
//     VMM's own power-off port (common/end_run.h keeps it from before the
//     guest ran), where the VMM powers off through this block (PM1a_CNT =
//     PMBA + 4):
//     else a guest that moved the block would power off unseen, and the
//     VMM's own power-off would write a port nothing decodes;
//   - GLBCTL (ports 0x28-0x2B): its SMI_EN (bit 0) gates every SMI the PIIX4
//     raises. The VMM clears it before the guest runs and clears it in
//     every write of the guest's (devices/pci_platform.h says why no SMI is
//     let through).
// Pure but for devices/port_io.h.
#pragma once

#include <stdint.h>

#include "devices/platform_ports.h"
#include "devices/port_device.h"
#include "devices/port_map.h"

namespace devices {

struct Piix4PmBlock {
  uint16_t base;                     // where the hardware decodes the block now
  AcpiPm1* pm1;                      // the PM1a_CNT trap when it is base + 4, else nullptr
  const PortDevice* pm1_device;      // and its device
  const PortDevice* glbctl_device;   // GLBCTL's (piix4_glbctl_device)
  uint16_t* vmm_power_off;           // the VMM's own PM1a_CNT when it is base + 4, else nullptr
  ApmControl* apm;                   // the ACPI enable handshake's PM1a_CNT, likewise
  uint32_t smi_enables_kept;         // the guest's GLBCTL writes whose SMI_EN the VMM cleared
};

// GLBCTL's 4 ports at base + 0x28: reads pass unseen, a write that sets
// SMI_EN is carried out with it clear.
PortDevice piix4_glbctl_device(Piix4PmBlock& block);

// The block now decodes at `new_base` (the mediation checked that it
// overlaps no port another device keeps): the GLBCTL and PM1a_CNT traps and
// the VMM's power-off port move with it. False (nothing moved) when the
// port map refuses a move.
bool follow_pm_block(Piix4PmBlock& block, PortMap& ports, uint16_t new_base);

}  // namespace devices
