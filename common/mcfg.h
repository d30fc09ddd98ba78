// The ACPI MCFG table (PCI Firmware 3.0, 4.1.2): where a PCI Express
// platform maps configuration space into memory (ECAM), one window per
// segment and bus range. Chain mode's PCI mediation (vmm/devices/pci_*.h)
// decides an ECAM store as it decides a write through ports 0xCF8/0xCFC;
// this says where the windows are. Bochs' i440FX has none (no MCFG); QEMU's
// q35 has one (0xB0000000, segment 0, buses 0-255: tests/data/acpi/
// qemu-q35-iommu). Pure: the tests read captured and constructed tables.
#pragma once

#include <stdint.h>

#include "common/acpi.h"

namespace acpi {

// One window: segment `segment`'s buses first_bus..last_bus, bus n's 1 MiB
// at base + (n << 20) (the base is bus 0's, whatever the first bus).
struct McfgWindow {
  uint64_t base;
  uint16_t segment;
  uint8_t first_bus, last_bus;
};

inline constexpr unsigned mcfg_max_windows = 8;

struct Mcfg {
  const char* error;  // nullptr: the windows below are every one the table lists
  unsigned count;
  McfgWindow windows[mcfg_max_windows];
};

// The table's windows, each checked: buses in order, the base 1 MiB
// aligned, the window's end within 64 bits. A table the VMM cannot describe
// whole (a bad entry, a length that is no whole number of entries, more
// windows than it keeps) is an error naming why: a window it did not keep
// would be one it cannot mediate.
Mcfg parse_mcfg(const uint8_t* table, uint32_t length);

// The MCFG through the RSDP and the root table an OS uses
// (acpi::find_table), parsed; "no MCFG" where none is listed.
Mcfg find_mcfg(const MemoryView& mem);

}  // namespace acpi
