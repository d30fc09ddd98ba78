// The chain guest's devices on the machine's port map: COM1 (shared with
// the VMM's console, devices/com1.h), ACPI PM1a_CNT (its power-off ends the
// run), PCI configuration space (devices/pci_config.h: CONFIG_ADDRESS with
// the reset control register at 0xCF9, and the data ports), the PIIX4's
// GLBCTL (devices/piix4_pm.h), APM control and, under an emulator's
// firmware only, the Bochs BIOS's panic ports and Bochs' shutdown and
// debugger ports (devices/platform_ports.h); the keyboard controller and
// port 0x92, where A20 stays on and the resets end the run
// (devices/system_control.h); the DMA engines that could write the VMM's
// memory past the EPT: the first bus-master IDE controller's block
// (devices/bus_master.h) and the ISA DMA controllers (devices/isa_dma.h).
// Every other port is the guest's own: not trapped. Pure but for
// devices/port_io.h (the PCI bus and the DMA engines are found and taken
// over before the guest runs): the profile and the tests attach the same
// ones.
#pragma once

#include <stdint.h>

#include "devices/port_map.h"
#include "layout.h"
#include "guests/bios_chain/state.h"

namespace guests::bios_chain {

// What a DMA may reach: the firmware's E820 map (the VMM's copy) and the
// VMM's memory.
struct DmaInputs {
  const layout::E820Entry* e820;
  uint32_t e820_count;
  uint64_t vmm_first, vmm_end;
};

// Before the guest runs it also locks SMRAM and closes the PIIX4's SMIs
// (devices/pci_platform.h). False when the map refuses a claim.
// `power_off_port`: the port the VMM powers off through (the FADT's
// PM1a_CNT, or the PIIX4's), nullptr or 0 for none; it moves with the PM
// block when that is where it lies. `emulator`: the firmware is an
// emulator's (its panic ports kept).
bool attach_devices(devices::PortMap& ports, State& state, uint64_t byte_wait_ticks,
                    uint16_t* power_off_port, bool emulator, const DmaInputs& dma);

}  // namespace guests::bios_chain
