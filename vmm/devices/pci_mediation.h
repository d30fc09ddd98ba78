// What becomes of a guest's write to PCI configuration space, however it
// reaches it (ports 0xCF8/0xCFC, devices/pci_config.h; or an ECAM store,
// devices/pci_address.h's ecam_target): one decision for both. The guest
// owns the machine's PCI functions but for what would reach past the EPT
// or end the run unseen (docs/platform.md):
//   - a memory BAR or an expansion ROM BAR that would decode over memory
//     the VMM uses (devices/pci_bar.h: protected_memory) is refused: the
//     write is dropped. The BAR's size is found as the PCI spec finds it,
//     the VMM writing all ones and reading back itself, inside the exit;
//     a 64-bit BAR is taken whole (its two dwords). The guest's own sizing
//     writes pass: all ones decodes nowhere the VMM is (pci_bar.h);
//   - an I/O BAR that would decode over a port another device keeps (COM1,
//     0xCF8-0xCFF, PM1a_CNT, ...) is refused, and so is one (or the PIIX4's
//     SMBus block, config 0x90) over the PM block's home: where firmware
//     put it, where the VMM puts it back to power off when the guest moved
//     it somewhere its PM1a_CNT does not decode (common/end_run.h);
//   - SMRAM control (the host bridge's) is the VMM's: the guest's bits in it
//     are put back as the register holds them (locked by the VMM before the
//     guest ran, devices/pci_platform.h); so is the host bridge's PCIEXBAR,
//     which would move the ECAM window the VMM keeps (devices/pci_ecam.h);
//   - the PIIX4 power-management function: APMC_EN (SMI at 0xB2) stays
//     clear; PMIOSE stays set while the VMM's power-off is in the block; a
//     move of the PM block (PMBA) is followed (Follow::pm_block) unless the
//     block would reach a port another device keeps, the PC's fixed ports
//     below 0x100, or past port 0xFFFF, or lie at 0xFFC0 (which Bochs takes
//     for a sizing probe and does not move: the trap would part from the
//     block);
//   - an MSI whose Message Data would send an SMI or an INIT
//     (devices/pci_msi.h) is refused;
//   - the IDE function's BAR4, the bus-master block: a move is followed
//     (Follow::bus_master; to 0 where the guest unassigns it), a sizing
//     probe (every address bit 1: Bochs keeps the block, QEMU unmaps it)
//     moves nothing.
// Everything else is carried out as the guest wrote it. Bounded work: at
// most the header type, six BAR dwords, a sizing (four writes, two reads,
// two restores) and the port map's ranges, or for a write past the header
// the capability list's 48 entries. Pure but for the ConfigSpace it
// is given.
#pragma once

#include <stdint.h>

#include "devices/pci_address.h"
#include "devices/port_device.h"
#include "devices/port_map.h"

namespace devices::pci {

// The configuration space as the VMM reaches it for its own reads and the
// BAR sizing: dwords at 4-aligned offsets of a function (through
// 0xCF8/0xCFC in the VMM, devices/pci_config.h; ECAM once that is wired; a
// fake bus in the tests).
struct ConfigSpace {
  void* context;
  uint32_t (*read_dword)(void* context, Function f, uint16_t offset);
  void (*write_dword)(void* context, Function f, uint16_t offset, uint32_t value);
  uint32_t read(Function f, uint16_t offset) const { return read_dword(context, f, offset); }
  void write(Function f, uint16_t offset, uint32_t value) const {
    write_dword(context, f, offset, value);
  }
};

// What the VMM found on bus 0 before the guest ran (devices/pci_platform.h).
struct Platform {
  uint16_t smram;      // SMRAM control's offset at 0:0.0, 0: a host bridge the VMM does not know
  uint16_t ecam_base;  // PCIEXBAR's offset at 0:0.0 (its two dwords), 0: none the VMM knows
  bool has_pm;
  Function pm;         // the PIIX4 power-management function
  bool pm_power_off;   // the VMM's power-off is its block's PM1a_CNT
  uint16_t pm_home;    // where firmware put its block (the VMM's last resort to power off)
  bool has_ide;
  Function ide;        // the bus-master IDE function (devices/bus_master.h's)
};

// The devices whose ports move with a block the guest moves: for that
// block, not ports someone else keeps. nullptr where there is none.
struct Movers {
  const PortDevice* pm_block[2];  // PM1a_CNT's trap, GLBCTL's
  const PortDevice* bus_master;   // the bus-master block's
};

enum class Follow : uint8_t { none, pm_block, bus_master };

struct Decision {
  bool refused;     // the write is dropped
  uint32_t value;   // else carried out with this value, in the guest's access's size
  const char* why;  // refused: why; carried out with bits the VMM keeps: which; else nullptr
  Follow follow;    // carried out: a block that moves with it, to new_base
  uint16_t new_base;
};

Decision decide_write(const Platform& platform, const ConfigSpace& space, const PortMap& ports,
                      const Movers& movers, const ConfigTarget& target, uint32_t value);

// Whether ports [first, first + count) (count >= 1, within 0x10000) touch a
// range of the map whose device is none of `own`.
bool kept_by_others(const PortMap& ports, uint32_t first, uint32_t count,
                    const PortDevice* const* own, unsigned own_count);

}  // namespace devices::pci
