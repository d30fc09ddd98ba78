#include "guests/bios_chain/devices.h"

#include "devices/bus_master.h"
#include "devices/io_apic.h"
#include "devices/isa_dma.h"
#include "devices/local_apic.h"
#include "devices/pci_address.h"
#include "devices/pci_chipset.h"
#include "devices/pci_platform.h"
#include "devices/platform_ports.h"
#include "devices/system_control.h"
#include "guests/bios_chain/kept_memory.h"

namespace guests::bios_chain {

namespace {

// The PCI mediation's hook (devices/pci_config.h: BusMasterHook) on the
// bus-master device: a guest's BAR4 write that moves the block moves its
// ports first.
bool bus_master_moved(void* state, devices::PortMap& ports, uint16_t, uint16_t new_base) {
  State& s = *static_cast<State*>(state);
  return devices::move_bus_master_block(ports, s.bus_master, s.bus_master_device, new_base);
}

// PCI configuration space and the PIIX4's PM block: found, SMRAM locked and
// the PIIX4's SMIs closed (devices/pci_platform.h), the bus-master block
// followed through its device, then the ports claimed.
bool attach_pci(devices::PortMap& ports, State& s, const AcpiPorts& acpi) {
  devices::take_pci_platform(s.pci, s.pm_block, acpi.pm1a_cnt, s.pci_platform);
  s.pci.ports = &ports;
  s.pci.pm_block = s.pci.platform.has_pm ? &s.pm_block : nullptr;
  const uint32_t ide = s.bus_master.pci_function;
  if (ide != devices::no_pci_function) {
    s.pci.platform.has_ide = true;
    s.pci.platform.ide = {static_cast<uint8_t>(ide >> 8), static_cast<uint8_t>(ide >> 3 & 31),
                          static_cast<uint8_t>(ide & 7)};
    s.pci.bus_master_base = s.bus_master.base;
    s.pci.bus_master = {&s, bus_master_moved, &s.bus_master_device};
  } else {
    s.pci.bus_master = {};
  }
  s.pci_address_device = devices::pci_address_device(s.pci);
  s.pci_data_device = devices::pci_data_device(s.pci);
  devices::Piix4PmBlock& pm = s.pm_block;
  const bool vmm_powers_off_here = s.pci.platform.pm_power_off;
  pm.pm1 = vmm_powers_off_here ? &s.pm1 : nullptr;
  pm.pm1_device = vmm_powers_off_here ? &s.pm1_device : nullptr;
  pm.vmm_power_off = vmm_powers_off_here ? acpi.power_off_port : nullptr;
  pm.apm = vmm_powers_off_here ? &s.apm : nullptr;
  pm.glbctl_device = &s.glbctl_device;
  pm.smi_enables_kept = 0;
  s.glbctl_device = devices::piix4_glbctl_device(pm);
  bool claimed =
      ports.claim(devices::pci::config_address_port, 4, s.pci_address_device, "0xcf8-0xcfb",
                  "0xcf8-0xcfb") &&
      ports.claim(devices::pci::config_data_port, 4, s.pci_data_device, "pci-config",
                  "pci-config");
  if (s.pci.platform.has_pm && pm.base != 0) {
    claimed = claimed && ports.claim(static_cast<uint16_t>(pm.base + devices::pci::piix4_glbctl),
                                     devices::pci::piix4_glbctl_ports, s.glbctl_device, "glbctl",
                                     "glbctl");
  }
  return claimed;
}

}  // namespace

bool attach_devices(devices::PortMap& ports, devices::MmioMap& mmio, State& s,
                    uint64_t byte_wait_ticks, const AcpiPorts& acpi, bool emulator,
                    const DmaInputs& dma, const ApicFound& apic,
                    const MemoryRegisters& registers) {
  ports.reset(devices::PortMap::Unclaimed::guests);
  const uint16_t pm1a_cnt = acpi.pm1a_cnt;
  mmio.reset();
  s.has_apic = apic.present;
  if (apic.present &&
      !devices::attach_local_apic(s.apic, s.apic_device, mmio, apic.base_msr,
                                  apic.physical_address_bits, apic.has_x2apic, kept_memory,
                                  sizeof(kept_memory) / sizeof(kept_memory[0]))) {
    return false;
  }
  s.pm1 = {pm1a_cnt};
  s.apm = {pm1a_cnt, acpi.acpi_enable, acpi.acpi_disable, 0};
  s.emulator = emulator;
  // An OS's 8250 driver is interrupt-driven: its enables reach the UART.
  s.com1_device = devices::com1_device(s.com1, byte_wait_ticks, true);
  s.pm1_device = devices::acpi_pm1_device(s.pm1);
  s.system_control_device = devices::system_control_device(s.system_control);
  s.apm_device = devices::apm_control_device(s.apm);
  s.panic_device = devices::emulator_panic_device();
  s.shutdown_device = devices::emulator_shutdown_device();
  devices::build_dma_ram(dma.e820, dma.e820_count, dma.vmm_first, dma.vmm_end, s.dma_ram);
  uint32_t ide = devices::no_pci_function;
  uint16_t bus_master_base = 0;
  devices::find_bus_master_ide(ide, bus_master_base);
  s.bus_master_device = devices::bus_master_device(s.bus_master, ide, bus_master_base, s.dma_ram,
                                                   dma.vmm_first, dma.vmm_end);
  s.isa_dma_device = devices::isa_dma_device(s.isa_dma, dma.vmm_first, dma.vmm_end);
  s.isa_dma_page_device = devices::isa_dma_page_device(s.isa_dma);
  // (In the order the run's report lists them.)
  bool claimed = devices::claim_com1(ports, s.com1_device);
  if (pm1a_cnt != 0) {
    claimed = claimed && ports.claim(pm1a_cnt, 2, s.pm1_device, "pm1a-cnt", "pm1a-cnt");
  }
  // 0xCF9, the reset control register, is in CONFIG_ADDRESS's range.
  claimed = claimed && attach_pci(ports, s, acpi) &&
            ports.claim(devices::kbc_data_port, 1, s.system_control_device, "0x60", "0x60") &&
            ports.claim(devices::kbc_command_port, 1, s.system_control_device, "0x64", "0x64") &&
            ports.claim(devices::system_control_port_a, 1, s.system_control_device, "0x92",
                        "0x92") &&
            ports.claim(devices::apm_control_port, 1, s.apm_device, "0xb2", "0xb2");
  if (acpi.smi_cmd != 0 && acpi.smi_cmd != devices::apm_control_port) {
    claimed = claimed && ports.claim(acpi.smi_cmd, 1, s.apm_device, "smi-cmd", "smi-cmd");
  }
  // On a PC those ports are the chipset's (often the ACPI PM block).
  if (emulator) {
    claimed = claimed &&
              ports.claim(devices::emulator_bios_panic_port, 2, s.panic_device, "0x400-0x401",
                          "0x400-0x401") &&
              ports.claim(devices::emulator_shutdown_port, 1, s.shutdown_device, "0x8900",
                          "0x8900") &&
              ports.claim(devices::emulator_debugger_port, 1, s.shutdown_device, "0x8a00",
                          "0x8a00");
  }
  claimed = claimed && devices::claim_bus_master(ports, s.bus_master, s.bus_master_device) &&
            devices::claim_isa_dma(ports, s.isa_dma_device, s.isa_dma_page_device);
  s.io_apic_device = devices::io_apic_device(s.io_apics);
  for (uint32_t i = 0; i < registers.io_apic_count; ++i) {
    const uint64_t page = registers.io_apics[i].address & ~(devices::MmioMap::page_bytes - 1);
    const uint8_t slot = mmio.slot_of(page);
    if (slot != 0 && mmio.range(slot).device == &s.io_apic_device) continue;  // two in a page
    claimed = claimed && mmio.claim(page, devices::MmioMap::page_bytes, s.io_apic_device,
                                    "io-apic", true) != 0;
  }
  // After attach_pci: ECAM stores are decided with the ports' writes.
  if (registers.mcfg != nullptr) {
    claimed = claimed && devices::attach_pci_ecam(s.ecam, s.ecam_device, mmio, s.pci,
                                                  *registers.mcfg, registers.ecam_access);
  } else {
    s.ecam = devices::PciEcam{};
  }
  s.remapping_device = devices::kept_registers_device(s.remapping_registers, "DMA remapping unit");
  for (uint32_t i = 0; i < registers.remapping_unit_count; ++i) {
    const PhysRange& unit = registers.remapping_units[i];
    claimed = claimed && mmio.claim(unit.first, unit.end - unit.first, s.remapping_device,
                                    "vtd-unit", true) != 0;
  }
  return claimed;
}

}  // namespace guests::bios_chain
