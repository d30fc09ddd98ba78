#include "devices/piix4_pm.h"

#include "common/piix4_power.h"
#include "devices/pci_chipset.h"
#include "devices/port_io.h"

namespace devices {

namespace {

PortVerdict glbctl_access(void* state, PortAccess& a, vmx::GuestEnd&) {
  Piix4PmBlock& block = *static_cast<Piix4PmBlock*>(state);
  if (a.in) return PortVerdict::pass;
  const uint32_t glbctl = uint32_t{block.base} + pci::piix4_glbctl;
  // SMI_EN is bit 0 of GLBCTL's first port; an access from below reaches
  // it at its own byte (the port map hands a wide one to the range it touches).
  if (!touches(a.port, a.bytes, static_cast<uint16_t>(glbctl), 1)) return PortVerdict::pass;
  const uint32_t smi_en = pci::piix4_glbctl_smi_en << (8 * (glbctl - a.port));
  if ((a.value & smi_en) == 0) return PortVerdict::pass;
  ++block.smi_enables_kept;
  port_out(a.port, a.bytes, a.value & ~smi_en);
  return PortVerdict::done;
}

}  // namespace

PortDevice piix4_glbctl_device(Piix4PmBlock& block) {
  return {"PIIX4 GLBCTL", glbctl_access, &block, passes::in_any};
}

bool follow_pm_block(Piix4PmBlock& block, PortMap& ports, uint16_t new_base) {
  const uint8_t glbctl = ports.slot_of(static_cast<uint16_t>(block.base + pci::piix4_glbctl));
  const uint8_t pm1 = block.pm1 != nullptr ? ports.slot_of(block.pm1->pm1a_cnt) : 0;
  const uint16_t pm1a_cnt = static_cast<uint16_t>(new_base + piix4_power::pmcntrl_offset);
  // Both lie in the block and move by the same multiple of 64: neither
  // lands on the other's old place.
  if (glbctl != 0 && !ports.move(glbctl, static_cast<uint16_t>(new_base + pci::piix4_glbctl))) {
    return false;
  }
  if (pm1 != 0 && !ports.move(pm1, pm1a_cnt)) return false;
  if (block.pm1 != nullptr) block.pm1->pm1a_cnt = pm1a_cnt;
  if (block.vmm_power_off != nullptr) *block.vmm_power_off = pm1a_cnt;
  if (block.apm != nullptr) block.apm->pm1a_cnt = pm1a_cnt;
  block.base = new_base;
  return true;
}

}  // namespace devices
