#include "devices/pci_config.h"

#include "devices/platform_ports.h"
#include "devices/port_io.h"

namespace devices {

namespace {

uint32_t read_dword(void*, pci::Function f, uint16_t offset) {
  port_out(pci::config_address_port, 4, pci::config_address(f, offset));
  return port_in(pci::config_data_port, 4);
}

void write_dword(void*, pci::Function f, uint16_t offset, uint32_t value) {
  port_out(pci::config_address_port, 4, pci::config_address(f, offset));
  port_out(pci::config_data_port, 4, value);
}

void log_write(PciConfig& pci, const pci::ConfigTarget& t, uint32_t value, bool refused,
               const char* why) {
  const uint32_t n = pci.refused + pci.kept;  // counted before this one
  if (n < pci_write_log_size) pci.log[n] = {t.function, t.offset, t.bytes, refused, value, why};
}

// The block the guest's write moves, followed before the write goes out
// (its traps at the new ports from the write on); false: not followed.
bool follow(PciConfig& pci, const pci::Decision& d) {
  if (d.follow == pci::Follow::pm_block) {
    return pci.pm_block != nullptr && follow_pm_block(*pci.pm_block, *pci.ports, d.new_base);
  }
  const BusMasterHook& hook = pci.bus_master;
  if (hook.moved != nullptr &&
      !hook.moved(hook.state, *pci.ports, pci.bus_master_base, d.new_base)) {
    return false;
  }
  pci.bus_master_base = d.new_base;
  return true;
}

PortVerdict address_access(void* state, PortAccess& a, vmx::GuestEnd& end) {
  PciConfig& pci = *static_cast<PciConfig*>(state);
  if (a.in || a.port != pci::config_address_port || a.bytes != 4) {
    const PortDevice reset = reset_device();
    return reset.access(reset.state, a, end);
  }
  pci.address = a.value;
  return PortVerdict::pass;
}

PortVerdict data_access(void* state, PortAccess& a, vmx::GuestEnd&) {
  PciConfig& pci = *static_cast<PciConfig*>(state);
  if (a.in) return PortVerdict::pass;
  const pci::ConfigTarget t = pci::mechanism1_target(pci.address, a.port, a.bytes);
  // Bit 31 clear: no configuration access. Past 0xCFF: what a chipset
  // makes of it is its own (Bochs hands the function bytes past its
  // register's dword), so it goes nowhere.
  if (!t.valid) {
    return (pci.address & pci::config_enable) == 0 ? PortVerdict::pass : PortVerdict::deny;
  }
  const pci::Decision d = decide_config_write(pci, port_config_space(), t, a.value);
  port_out(pci::config_address_port, 4, pci.address);  // the guest's, after the VMM's own
  if (d.refused) return PortVerdict::done;
  port_out(a.port, a.bytes, d.value);
  return PortVerdict::done;
}

}  // namespace

PortDevice pci_address_device(PciConfig& pci) {
  return {"PCI CONFIG_ADDRESS", address_access, &pci, passes::in_any};
}

PortDevice pci_data_device(PciConfig& pci) {
  return {"PCI CONFIG_DATA", data_access, &pci, passes::in_any};
}

pci::Decision decide_config_write(PciConfig& pci, const pci::ConfigSpace& space,
                                  const pci::ConfigTarget& t, uint32_t value) {
  ++pci.writes;
  pci::Decision d = pci::decide_write(pci.platform, space, *pci.ports, movers(pci), t, value);
  if (!d.refused && d.follow != pci::Follow::none && !follow(pci, d)) {
    d = {true, 0, "the block's device refused the move", pci::Follow::none, 0};
  }
  if (d.refused) {
    log_write(pci, t, value, true, d.why);
    ++pci.refused;
    return d;
  }
  if (d.follow != pci::Follow::none) ++pci.moves;
  if (d.why != nullptr) {
    log_write(pci, t, value, false, d.why);
    ++pci.kept;
  }
  return d;
}

pci::ConfigSpace port_config_space() { return {nullptr, read_dword, write_dword}; }

pci::Movers movers(const PciConfig& pci) {
  const Piix4PmBlock* pm = pci.pm_block;
  return {{pm != nullptr && pm->pm1 != nullptr ? pm->pm1_device : nullptr,
           pm != nullptr ? pm->glbctl_device : nullptr},
          pci.bus_master.device};
}

}  // namespace devices
