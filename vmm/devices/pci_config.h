// PCI configuration mechanism #1 (ports 0xCF8-0xCFF) for a guest that owns
// the machine: the guest reads configuration space unseen and writes it
// through the VMM, which decides each write (devices/pci_mediation.h) and
// carries out what follows from it (a moved PM block, bus-master block).
//   - 0xCF8-0xCFB: a dword written to 0xCF8 is CONFIG_ADDRESS: kept here as
//     the guest wrote it, and carried out. The VMM's own configuration
//     accesses inside an exit (the BAR sizing, its reads) change the
//     register, and put the guest's value back before the exit ends. Every
//     other access there is the port's own: a byte at 0xCF9 is the reset
//     control register (devices/platform_ports.h's reset rule);
//   - 0xCFC-0xCFF: reads pass unseen (the hardware holds the guest's
//     CONFIG_ADDRESS); a write is decided: refused (dropped, counted, logged
//     for the run's report), or carried out with the bits the VMM keeps.
// Pure but for devices/port_io.h.
#pragma once

#include <stdint.h>

#include "devices/pci_mediation.h"
#include "devices/piix4_pm.h"
#include "devices/port_device.h"
#include "devices/port_map.h"

namespace devices {

// The hook the IDE bus-master device gives (devices/ide_bus_master.h, the
// DMA work), called inside the exit of a guest's write that moves the PIIX
// IDE function's bus-master block (BAR4, 16 ports), before the write is
// carried out: it moves its port ranges in `ports` (PortMap::move, which
// keeps the I/O bitmaps in step) and returns true, or returns false to have
// the write refused. The VMM has checked that the new block touches no port
// another device keeps (`device`'s own ranges excepted) and lies below port
// 0x10000. A sizing probe (all ones) moves nothing and calls nothing.
// Bounded work. No hook (moved == nullptr): the write is carried out.
struct BusMasterHook {
  void* state;
  bool (*moved)(void* state, PortMap& ports, uint16_t old_base, uint16_t new_base);
  const PortDevice* device;  // whose ranges are the block's
};

// A write the VMM refused or changed, for the run's report.
struct PciWriteLog {
  pci::Function function;
  uint16_t offset;
  uint8_t bytes;
  bool refused;
  uint32_t value;    // as the guest wrote it
  const char* why;
};
inline constexpr unsigned pci_write_log_size = 8;

struct PciConfig {
  uint32_t address;          // CONFIG_ADDRESS as the guest last wrote it
  pci::Platform platform;
  PortMap* ports;            // the machine's: moved traps move here
  Piix4PmBlock* pm_block;    // the PM block's follower, nullptr without a PIIX4 PM function
  BusMasterHook bus_master;
  uint16_t bus_master_base;  // BAR4's block as the hardware decodes it (0: none)
  uint32_t writes;           // the guest's configuration writes decided
  uint32_t refused;
  uint32_t kept;             // carried out with bits the VMM keeps
  uint32_t moves;            // PM and bus-master block moves followed
  PciWriteLog log[pci_write_log_size];  // the first refused or changed ones
};

// 0xCF8-0xCFB and 0xCFC-0xCFF.
PortDevice pci_address_device(PciConfig& pci);
PortDevice pci_data_device(PciConfig& pci);

// A guest's write to configuration space, by either way (`space`: how the
// VMM reaches it for its own reads and the BAR sizing): decided
// (pci_mediation.h), the block it moves followed, counted, and logged where
// refused or changed. The caller carries out what is not refused, with the
// decision's value.
pci::Decision decide_config_write(PciConfig& pci, const pci::ConfigSpace& space,
                                  const pci::ConfigTarget& target, uint32_t value);

// The VMM's own dword accesses through 0xCF8/0xCFC (the caller puts the
// guest's CONFIG_ADDRESS back).
pci::ConfigSpace port_config_space();

// The devices that move with a block (pci_mediation.h's Movers), from what
// `pci` follows.
pci::Movers movers(const PciConfig& pci);

}  // namespace devices
