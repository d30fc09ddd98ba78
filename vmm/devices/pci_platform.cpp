#include "devices/pci_platform.h"

#include "common/piix4_power.h"
#include "devices/pci_bar.h"
#include "devices/pci_chipset.h"
#include "devices/port_io.h"

namespace devices {

namespace {

constexpr uint32_t no_function = 0xFFFFFFFF;  // what an absent function's ID dword reads
constexpr uint32_t multi_function = 1u << 23;  // header type bit 7, in the dword at 0x0C

// A byte of configuration space, alone: a dword would write its
// neighbours too (write-1-to-clear bits among them).
uint8_t read_byte(pci::Function f, uint16_t offset) {
  port_out(pci::config_address_port, 4, pci::config_address(f, offset));
  return static_cast<uint8_t>(port_in(static_cast<uint16_t>(pci::config_data_port + (offset & 3)), 1));
}
void write_byte(pci::Function f, uint16_t offset, uint8_t value) {
  port_out(pci::config_address_port, 4, pci::config_address(f, offset));
  port_out(static_cast<uint16_t>(pci::config_data_port + (offset & 3)), 1, value);
}

void lock_smram(pci::Platform& p, PciPlatformReport& report) {
  p.smram = pci::smram_control_offset(report.host_ids);
  if (p.smram == 0) return;
  report.smram_before = read_byte(pci::host_bridge, p.smram);
  const uint8_t locked = pci::smram_locked(report.smram_before);
  if (locked != report.smram_before) write_byte(pci::host_bridge, p.smram, locked);
  report.smram_after = read_byte(pci::host_bridge, p.smram);
}

void close_piix4_smis(const pci::ConfigSpace& space, const pci::Platform& p,
                      const Piix4PmBlock& pm, PciPlatformReport& report) {
  const uint32_t devactb = space.read(p.pm, pci::piix4_devactb);
  if ((devactb & pci::piix4_devactb_apmc_en) != 0) {
    space.write(p.pm, pci::piix4_devactb, devactb & ~pci::piix4_devactb_apmc_en);
    report.apmc_en_cleared = true;
  }
  if (pm.base == 0) return;
  const uint16_t glbctl = static_cast<uint16_t>(pm.base + pci::piix4_glbctl);
  const uint32_t value = port_in(glbctl, 4);
  if ((value & pci::piix4_glbctl_smi_en) != 0) {
    port_out(glbctl, 4, value & ~pci::piix4_glbctl_smi_en);
    report.smi_en_cleared = true;
  }
}

// Bus 0's functions the mediation knows by their IDs (the IDE bus master
// is devices/bus_master.h's to find).
void scan_bus0(const pci::ConfigSpace& space, pci::Platform& p, PciPlatformReport& report) {
  for (uint8_t device = 0; device < 32; ++device) {
    const pci::Function first{0, device, 0};
    const uint32_t ids = space.read(first, 0);
    if (device == 0) report.host_ids = ids;
    if (ids == no_function) continue;
    const bool multi = (space.read(first, pci::header_type_dword) & multi_function) != 0;
    for (uint8_t function = 0; function < (multi ? 8 : 1); ++function) {
      const pci::Function f{0, device, function};
      const uint32_t id = function == 0 ? ids : space.read(f, 0);
      if (id == piix4_power::pm_ids && !p.has_pm) {
        p.has_pm = true;
        p.pm = f;
      }
    }
  }
}

}  // namespace

void take_pci_platform(PciConfig& pci, Piix4PmBlock& pm, uint16_t vmm_power_off,
                       PciPlatformReport& report) {
  report = {};
  const uint32_t firmware_address = port_in(pci::config_address_port, 4);
  const pci::ConfigSpace space = port_config_space();
  pci::Platform& p = pci.platform;
  p = {};
  scan_bus0(space, p, report);
  lock_smram(p, report);
  p.ecam_base = pci::ecam_base_offset(report.host_ids);
  pm.base = 0;
  if (p.has_pm) {
    pm.base = static_cast<uint16_t>(space.read(p.pm, piix4_power::config_pmba) &
                                    piix4_power::pmba_base_bits);
    p.pm_power_off = pm.base != 0 && vmm_power_off == pm.base + piix4_power::pmcntrl_offset;
    p.pm_home = pm.base;
    close_piix4_smis(space, p, pm, report);
  }
  pci.bus_master_base = 0;
  port_out(pci::config_address_port, 4, firmware_address);
  pci.address = firmware_address;
}

}  // namespace devices
