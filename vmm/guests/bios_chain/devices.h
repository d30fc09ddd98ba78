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
// Every other port is the guest's own: not trapped. On the memory map: the
// local APIC's register page (devices/local_apic.h), the I/O APICs', the
// ECAM windows of
// PCI configuration space and the DMA-remapping units' registers, whose
// stores the VMM sees. Pure but for devices/port_io.h (the PCI bus and the DMA engines are
// found and taken
// over before the guest runs): the profile and the tests attach the same
// ones.
#pragma once

#include <stdint.h>

#include "common/madt.h"
#include "common/mcfg.h"
#include "common/phys_range.h"
#include "devices/pci_ecam.h"
#include "devices/port_map.h"
#include "layout.h"
#include "guests/bios_chain/state.h"

namespace guests::bios_chain {

// What the firmware's ACPI tables say (the VMM's copy, found before the
// guest ran): PM1a_CNT (0: none), SMI_CMD (0: none) and its handshake bytes.
struct AcpiPorts {
  uint16_t pm1a_cnt;
  uint16_t smi_cmd;
  uint8_t acpi_enable, acpi_disable;
  // The VMM's own copy of pm1a_cnt, which end_run() powers off through: a
  // guest that moves the PIIX4's PM block moves it too (nullptr: none).
  uint16_t* power_off_port;
};

// What a DMA may reach: the firmware's E820 map (the VMM's copy) and the
// VMM's memory.
struct DmaInputs {
  const layout::E820Entry* e820;
  uint32_t e820_count;
  uint64_t vmm_first, vmm_end;
};

// The CPU's local APIC as the VMM found it: none, or IA32_APIC_BASE as the
// firmware left it, MAXPHYADDR and whether x2APIC mode exists.
struct ApicFound {
  bool present;  // CPUID.1:EDX.APIC
  uint64_t base_msr;
  unsigned physical_address_bits;
  bool has_x2apic;  // CPUID.1:ECX.x2APIC
};

// Registers in memory the guest may read but whose stores the VMM sees:
// the I/O APICs' (devices/io_apic.h), the MCFG's ECAM windows (PCI configuration, devices/pci_ecam.h; the
// caller has checked that the VMM can keep them: ecam_unkeepable) and the
// DMA-remapping units' register windows the VMM programmed
// (devices/kept_registers.h).
struct MemoryRegisters {
  const madt::IoApic* io_apics;  // each I/O APIC's page below 4 GiB (the caller has checked)
  uint32_t io_apic_count;
  const acpi::Mcfg* mcfg;  // nullptr: none
  devices::EcamAccess ecam_access;
  const PhysRange* remapping_units;
  uint32_t remapping_unit_count;
};

// Before the guest runs it also locks SMRAM and closes the PIIX4's SMIs
// (devices/pci_platform.h). False when a map refuses a claim.
// `emulator`: the firmware is an emulator's (its panic, shutdown and
// debugger ports kept).
bool attach_devices(devices::PortMap& ports, devices::MmioMap& mmio, State& state,
                    uint64_t byte_wait_ticks, const AcpiPorts& acpi, bool emulator,
                    const DmaInputs& dma, const ApicFound& apic,
                    const MemoryRegisters& registers = {});

}  // namespace guests::bios_chain
