// The ACPI DMAR table ("DMA Remapping Reporting", Intel VT-d specification
// chapter 8): where the platform's DMA-remapping units are and what they
// cover. After the 36-byte ACPI header: the host address width (N means
// N + 1 bits), flags, 10 reserved bytes, then remapping structures, each
// starting with a 16-bit type and a 16-bit length:
//   type 0 DRHD  a remapping unit: flags (bit 0 INCLUDE_PCI_ALL: every PCI
//                device of its segment not listed under another unit), a
//                size (its register set is 2^size 4 KiB pages), the PCI
//                segment, the 64-bit register base, then device scopes
//   type 1 RMRR  memory a device may use for DMA behind the OS's back (USB
//                keyboard emulation, graphics): segment, base, inclusive
//                limit, device scopes
//   other types (ATSR, RHSA, ANDD, SATC, ...) are skipped by their length.
// A device scope: type (1 PCI endpoint, 2 PCI sub-hierarchy, 3 I/O APIC,
// 4 HPET, 5 ACPI namespace device), length (6 + 2 per path element),
// 2 reserved bytes, an enumeration ID, the start bus, then the path as
// (device, function) pairs.
//
// Every length is checked against its container before anything inside it
// is read, in 32-bit arithmetic on values below 2^16 (no sum can wrap).
// Pure: the tests run it over constructed tables and QEMU's.
#pragma once

#include <stdint.h>

namespace vtd {

inline constexpr uint32_t max_units = 8;
inline constexpr uint32_t max_rmrrs = 16;

enum ScopeType : uint8_t {
  scope_pci_endpoint = 1,
  scope_pci_subhierarchy = 2,
  scope_ioapic = 3,
  scope_hpet = 4,
  scope_acpi_device = 5,
  scope_types = 6,
};

struct Drhd {
  uint64_t register_base;     // 4 KiB aligned, below 4 GiB (the VMM maps no more)
  uint32_t register_pages;    // 2^size (1 where the field is 0, as in older tables)
  uint16_t segment;
  bool include_pci_all;
  uint8_t scopes[scope_types];  // device scopes by type (index 0: unknown types)
};

struct Rmrr {
  uint64_t base;   // 4 KiB aligned
  uint64_t end;    // exclusive: the table's limit + 1, 4 KiB aligned
  uint16_t segment;
  uint8_t scope_count;
};

struct Dmar {
  uint8_t host_address_width;  // bits (the table's value + 1)
  uint8_t flags;               // bit 0 INTR_REMAP, bit 1 X2APIC_OPT_OUT, bit 2 DMA_CTRL_PLATFORM_OPT_IN_FLAG
  uint32_t unit_count;
  Drhd units[max_units];
  uint32_t rmrr_count;
  Rmrr rmrrs[max_rmrrs];
  uint32_t other_structures;   // ATSR, RHSA, ... (not used)
};

// Parses a DMAR whose ACPI header (signature, length, checksum) was checked
// (acpi::find_table): `length` bytes at `table`. Returns nullptr, or what is
// wrong (static) and leaves `out` partly filled.
const char* parse_dmar(const uint8_t* table, uint32_t length, Dmar& out);

const char* scope_type_name(uint32_t type);

}  // namespace vtd
