// Memory-mapped registers the VMM keeps for itself while the guest owns
// the rest of the machine: the DMA-remapping units' (VT-d) register pages,
// which the VMM programmed before the guest ran (vtd/remap.h) and which a
// guest's write could turn off (GCMD.TE) or point at its own tables. The
// guest reads them (the DMAR is hidden from it, so an OS does not look);
// each store into them is dropped and counted, as the port map's deny.
// Pure.
#pragma once

#include <stdint.h>

#include "devices/mmio_map.h"

namespace devices {

struct KeptRegisters {
  uint32_t writes_dropped;
  uint64_t last_address;  // the last one dropped
};

// The MMIO device's write function (MmioDevice::write; state: KeptRegisters).
MmioVerdict drop_kept_register_write(void* state, MmioWrite& write, vmx::GuestEnd& end);

inline MmioDevice kept_registers_device(KeptRegisters& kept, const char* whose) {
  kept = KeptRegisters{};
  return {whose, drop_kept_register_write, &kept};
}

}  // namespace devices
