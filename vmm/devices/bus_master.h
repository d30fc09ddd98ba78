// The bus-master IDE controller's DMA engine (SFF-8038i, the PIIX's IDE
// function, PCI 0:1.1 in Bochs; docs/platform.md), mediated for a guest
// that owns the disks: without it, a guest that points a PRD entry at the
// VMM and issues ATA READ DMA has the disk write over the VMM's code (the
// EPT does not see a bus master). Its 16 ports (BAR4; the primary channel
// at +0, the secondary at +8) are the VMM's:
//   +0 command: bit 0 starts the engine, bit 3 its direction (1: the device
//      writes memory). The guest reads back what it wrote. When it sets the
//      start bit (0 -> 1, as the controller starts), the VMM copies the
//      guest's PRD table once into its own memory (devices/prd_table.h),
//      checks every entry and region, points the controller at the copy
//      and starts it. A table it refuses does not start: the engine stays
//      stopped and the guest reads the status of a failed transfer (error
//      and interrupt set, not active), as a driver expects of a controller
//      that gave up; the refusal is counted for the run's report;
//   +2 status: read from the controller, with the VMM's error and interrupt
//      bits of a refusal until the guest clears them (write one to clear);
//      writes go to the controller;
//   +4 PRD table address (dword; bits 1:0 read 0): the guest's own, kept by
//      the VMM and read back, never given to the controller.
// Other offsets (reserved) pass; an access that spans two registers is
// denied (the PIIX takes the command and status bytes alone, the address
// as a dword). Pure but for devices/port_io.h and devices/guest_physical.h.
#pragma once

#include <stdint.h>

#include "devices/dma_ram.h"
#include "devices/port_device.h"
#include "devices/port_map.h"
#include "devices/prd_table.h"

namespace devices {

inline constexpr uint16_t bus_master_ports = 16;
inline constexpr uint8_t bm_command_start = 1u << 0;
inline constexpr uint8_t bm_command_device_writes = 1u << 3;
inline constexpr uint8_t bm_status_active = 1u << 0;
inline constexpr uint8_t bm_status_error = 1u << 1;
inline constexpr uint8_t bm_status_interrupt = 1u << 2;

struct BusMasterChannel {
  uint8_t command;        // as the guest last wrote it (start, direction)
  bool engine_started;    // the VMM started the controller and the guest has not stopped it
  uint8_t status_kept;    // error and interrupt of a refused start, until cleared
  uint32_t prd_address;   // the guest's, as it wrote it (bits 1:0 clear)
  uint32_t started;       // transfers started from a checked copy
  uint32_t refused;       // starts refused
  PrdCheck last_refusal;
};

struct BusMaster {
  // Each channel's copy of its PRD table, which the controller reads: 2 KiB
  // each, so aligned none crosses a 64 KiB boundary (which SFF-8038i
  // forbids a table).
  alignas(2048) PrdEntry tables[2][prd_max_entries];
  BusMasterChannel channel[2];
  uint32_t pci_function;  // bus << 8 | device << 3 | function; none found: no_pci_function
  uint16_t base;          // the block's first port (BAR4); 0: no block to keep
  uint8_t slot;           // its range in the port map (0: not claimed)
  const DmaRam* ram;
  uint64_t vmm_first, vmm_end;
};
inline constexpr uint32_t no_pci_function = 0xFFFFFFFF;

// The first PCI IDE controller on bus 0 that can master the bus (class
// 01h, subclass 01h, programming interface bit 7) with an I/O BAR4, through
// PCI configuration mechanism #1 (0xCF8/0xCFC; the address register put
// back as found): its function and its bus-master block (BAR4, an I/O BAR;
// 0 when unassigned). False when there is none.
bool find_bus_master_ide(uint32_t& pci_function, uint16_t& base);

// The device for `state`, found at `base` (0: none) of `pci_function`:
// before the guest runs, the VMM reads each channel's command and PRD
// address as the firmware left them (the guest reads them back) and stops
// an engine the firmware left started, so that no transfer runs from a
// table the VMM did not check.
PortDevice bus_master_device(BusMaster& state, uint32_t pci_function, uint16_t base,
                             const DmaRam& ram, uint64_t vmm_first, uint64_t vmm_end);

// Claims the block for `device` (nothing to claim without a block: true).
bool claim_bus_master(PortMap& ports, BusMaster& state, const PortDevice& device);

// For the guest's PCI configuration writes (the PCI mediation calls it):
// BAR4 of state.pci_function now puts the block at `new_base` (bits 3:0
// ignored, as the BAR's are). The ports move with it in the map (claimed
// there if the block had none); 0 (unassigned) leaves the old ports kept,
// every access there denied. The map keeps the VMX I/O bitmaps in step
// (PortMap::move, claim). False (nothing changed) when the new block would
// overlap ports another device keeps: the BAR write must not reach the
// controller then, or its engine would answer at ports the VMM does not
// see.
bool move_bus_master_block(PortMap& ports, BusMaster& state, const PortDevice& device,
                           uint16_t new_base);

}  // namespace devices
