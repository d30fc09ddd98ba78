// Guest-physical memory as a device reads it, and the VMM's own memory as
// a device hands it to the hardware: the one way from the device layer to
// memory, as devices/port_io.h is to the ports. guest_physical_runtime.cpp
// carries it out in the VMM; the unit tests link a fake guest memory
// (tests/unit/fake_guest_physical.cpp).
#pragma once

#include <stdint.h>

namespace devices {

// Copies `bytes` from guest-physical `address` into the VMM's `to`, once:
// the device decides on its copy, never on the guest's bytes, which the
// guest may change at any time. The caller has checked that the range is
// the guest's RAM; false (nothing copied) for a range that touches the
// VMM's memory or passes 4 GiB all the same.
bool copy_from_guest_physical(uint64_t address, void* to, uint32_t bytes);

// The physical address of the VMM's `object` (the VMM's memory is
// identity-mapped), which a device gives a bus master to read.
uint64_t vmm_physical_address(const void* object);

}  // namespace devices
