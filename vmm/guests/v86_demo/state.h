// What the V86 demo keeps in the Machine (vmm/machine.h): its devices and
// their state, its memory (EPT tables or the page directory the VMM holds
// for it), the PIC masks its PIT ticks replaced.
#pragma once

#include <stdint.h>

#include "devices/com1.h"
#include "devices/port_device.h"
#include "vmx/ept.h"
#include "vmx/guest_timer.h"

namespace guests::v86_demo {

struct State {
  devices::Com1 com1;
  devices::PortDevice com1_device;
  devices::PortDevice bench_device;
  // Guest-physical memory where the CPU has EPT (vmx/ept.h).
  vmx::EptTables ept;
  // Without EPT, the guest's page directory: above 4 MiB, outside the
  // guest's one 4 MiB page, so the guest cannot edit its own paging to reach
  // beyond it (CR3 loads exit; CR0/CR4 belong to the host).
  alignas(4096) uint32_t page_directory[1024];
  vmx::guest_timer::PicMasks pic_masks;  // while the PIT ticks
};

}  // namespace guests::v86_demo
