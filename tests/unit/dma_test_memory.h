// The RAM the DMA tests' guests have: the E820 map the Bochs BIOS reports
// for 64 MiB (docs/bochs.md), less the VMM's memory, as devices/dma_ram.h
// builds it.
#pragma once

#include <memory>

#include "devices/dma_ram.h"
#include "layout.h"

namespace dma_test {

inline constexpr layout::E820Entry bochs_64m[] = {
    {0x00000000, 0x0009F000, 1, 0},  {0x0009F000, 0x00001000, 2, 0},
    {0x000E8000, 0x00018000, 2, 0},  {0x00100000, 0x03EF0000, 1, 0},
    {0x03FF0000, 0x00010000, 3, 0},  {0xFFFC0000, 0x00040000, 2, 0}};
inline constexpr uint64_t vmm_first = layout::VMM_ADDR, vmm_end = layout::VMM_MEMORY_END;

inline std::unique_ptr<devices::DmaRam> bochs_ram() {
  auto ram = std::make_unique<devices::DmaRam>();
  devices::build_dma_ram(bochs_64m, 6, vmm_first, vmm_end, *ram);
  return ram;
}

}  // namespace dma_test
