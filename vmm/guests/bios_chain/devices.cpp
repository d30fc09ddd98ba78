#include "guests/bios_chain/devices.h"

#include "devices/bus_master.h"
#include "devices/isa_dma.h"
#include "devices/local_apic.h"
#include "devices/platform_ports.h"
#include "devices/system_control.h"
#include "guests/bios_chain/kept_memory.h"

namespace guests::bios_chain {

bool attach_devices(devices::PortMap& ports, devices::MmioMap& mmio, State& s,
                    uint64_t byte_wait_ticks, const AcpiPorts& acpi, bool emulator,
                    const DmaInputs& dma, const ApicFound& apic) {
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
  s.reset_device = devices::reset_device();
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
  claimed = claimed &&
            ports.claim(devices::reset_control_port, 1, s.reset_device, "0xcf9", "0xcf9") &&
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
  return claimed && devices::claim_bus_master(ports, s.bus_master, s.bus_master_device) &&
         devices::claim_isa_dma(ports, s.isa_dma_device, s.isa_dma_page_device);
}

}  // namespace guests::bios_chain
