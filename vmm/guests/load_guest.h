// The guest as stage2 loaded it (vmm/guests/load_guest_runtime.cpp).
#pragma once

#include "guest_header.h"
#include "layout.h"

namespace guests {

// The guest header copied once from guest memory into `header` and
// checked, the guest's memory tail cleared; else the run ends
// guest-invalid. Returns `header`, the only copy used from then on.
const layout::GuestHeader& load_guest(const layout::BootInfo& boot_info,
                                      layout::GuestHeader& header);

}  // namespace guests
