// PCI configuration space reached through memory (ECAM: the ACPI MCFG
// table's windows, common/mcfg.h): the second way a guest reaches what
// devices/pci_config.h mediates at ports 0xCF8/0xCFC, decided the same way
// (devices/pci_mediation.h) and counted and logged with it. Each window is
// a range of the MMIO map (devices/mmio_map.h): the guest reads its
// functions' registers itself, its stores exit and come here as MmioWrites
// of 1, 2 or 4 bytes within one dword (others are no configuration access
// a chipset defines: dropped, counted). The VMM carries a store out with
// the size the guest gave it: a dword read-modify-write would write back
// status bits that clear when written with 1 (the Status register shares
// the Command register's dword). Bochs' i440FX has no ECAM; QEMU's q35
// has, without VMX: the unit tests hold this on a faked bus. Pure: the
// memory through the EcamAccess it is given.
#pragma once

#include <stdint.h>

#include "common/mcfg.h"
#include "layout.h"
#include "devices/mmio_map.h"
#include "devices/pci_config.h"

namespace devices {

// The configuration registers by physical address (the VMM: its identity
// map; the tests: a faked bus).
struct EcamAccess {
  void* context;
  uint32_t (*read)(void* context, uint64_t physical, unsigned bytes);
  void (*write)(void* context, uint64_t physical, unsigned bytes, uint32_t value);
};

inline constexpr unsigned ecam_max_windows = 2;

struct PciEcam {
  PciConfig* pci;  // the decisions' platform, ports and movers, and the counts and log
  EcamAccess access;
  acpi::McfgWindow windows[ecam_max_windows];
  unsigned count;
  uint32_t misshapen_writes;  // 8 bytes, or across a dword: dropped
};

// A window as a chipset can decode it. Some firmware lists more buses than
// its chipset decodes (256 at 0xF8000000: the window would run over the
// APICs at 0xFEC00000 and past 4 GiB). Where a window reaches 0xFEC00000,
// it is cut, as Linux cuts it, to the whole buses from its first on that
// an E820 reserved entry holding its start covers, if those are at least
// 16 (16 MiB); otherwise it is left as listed (ecam_unkeepable and the
// memory map then judge it). `trimmed` says whether it was cut.
inline constexpr uint64_t ecam_interrupt_range = 0xFEC00000;  // the APICs' fixed addresses on
acpi::McfgWindow decodable_window(const acpi::McfgWindow& window, const layout::E820Entry* map,
                                  uint32_t count, bool& trimmed);

// Why the VMM cannot keep the MCFG's windows (nullptr: it can): more than
// it keeps, or one that reaches 4 GiB, where the VMM's identity map ends
// and the EPT has no read-only pages (vmx/identity_ept_high.h).
const char* ecam_unkeepable(const acpi::Mcfg& mcfg);

// Attaches the windows of `mcfg` (checked by ecam_unkeepable) to `mmio`,
// one range each, the device's stores decided through `pci`. False when
// the map refuses a claim.
bool attach_pci_ecam(PciEcam& ecam, MmioDevice& device, MmioMap& mmio, PciConfig& pci,
                     const acpi::Mcfg& mcfg, EcamAccess access);

// The MMIO device's write function (MmioDevice::write; state: PciEcam).
MmioVerdict write_ecam(void* state, MmioWrite& write, vmx::GuestEnd& end);

// The VMM's: the windows' registers through its identity map.
EcamAccess identity_ecam_access();

}  // namespace devices
