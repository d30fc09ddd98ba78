// What the chain guest's profile keeps in the Machine (vmm/machine.h): its
// devices and their state (the DMA engines' too, with the VMM's copies of
// the PRD tables the IDE controller reads, and the RAM a DMA may reach; PCI
// configuration space and the chipset's blocks it follows),
// the memory map its INT 15h is told, the MTRRs its EPT's memory types
// come from, and what its exits counted beyond the core's (the CPUID
// leaves it asked, its INT 15h calls).
#pragma once

#include <stdint.h>

#include "devices/bus_master.h"
#include "devices/com1.h"
#include "devices/dma_ram.h"
#include "devices/isa_dma.h"
#include "devices/io_apic.h"
#include "devices/kept_registers.h"
#include "devices/local_apic.h"
#include "devices/mmio_map.h"
#include "devices/pci_ecam.h"
#include "devices/pci_config.h"
#include "devices/pci_platform.h"
#include "devices/piix4_pm.h"
#include "devices/platform_ports.h"
#include "devices/port_device.h"
#include "devices/system_control.h"
#include "guests/bios_chain/memory_map.h"
#include "vmx/identity_ept_high.h"
#include "vmx/mtrr.h"

namespace guests::bios_chain {

struct State {
  vmx::IdentityEptHigh ept_high;        // the EPT above 4 GiB (4 KiB aligned, in .bss)
  devices::BusMaster bus_master;
  devices::DmaRam dma_ram;
  devices::IsaDma isa_dma;
  devices::PortDevice bus_master_device, isa_dma_device, isa_dma_page_device;
  devices::Com1 com1;
  devices::AcpiPm1 pm1;
  devices::ApmControl apm;
  devices::SystemControl system_control;
  devices::PciConfig pci;               // configuration space (0xCF8-0xCFF)
  devices::PciPlatformReport pci_platform;
  devices::Piix4PmBlock pm_block;       // the PIIX4's PM block, which the guest may move
  devices::PortDevice com1_device, pm1_device, pci_address_device, pci_data_device,
      glbctl_device, system_control_device, apm_device, panic_device, shutdown_device;
  devices::LocalApic apic;       // when the CPU has one (CPUID.1:EDX.APIC)
  devices::MmioDevice apic_device;
  bool has_apic;
  devices::IoApics io_apics;     // the MADT's I/O APICs
  devices::MmioDevice io_apic_device;
  devices::PciEcam ecam;         // the MCFG's windows, where there is one
  devices::MmioDevice ecam_device;
  devices::KeptRegisters remapping_registers;  // the VT-d units', where the VMM programmed them
  devices::MmioDevice remapping_device;
  bool emulator;                 // the firmware is an emulator's (ACPI OEM ID "BOCHS ")
  uint32_t limit_seconds;        // the guest's bound (0: none)
  bool hlt_activity;             // the CPU can put the guest in the HLT activity state
  uint32_t base_memory_kib;      // the BDA's 40:13 before the loader ran
  GuestMemoryMap memory_map;     // what INT 15h tells the guest
  vmx::Mtrrs mtrrs;              // as read, when has_mtrrs
  bool has_mtrrs;
  vmx::Mtrrs guest_mtrrs;        // the guest's view: what it wrote (msr.h)
  // Counted by its handlers, for the report.
  uint32_t cpuid_leaves[16];     // the distinct leaves asked, first ones
  uint32_t cpuid_leaf_count;
  uint32_t int15_calls;          // the loader's INT 15h stub's VMCALLs
  uint32_t int15_refused;        // of those, E820 buffers int15_buffer() refused
};

}  // namespace guests::bios_chain
