// The VMCS plans (vmm/vmx/plan.h and each profile's part) made from the
// inputs the VMM gathers (vmm/vmx/bringup/build_vmcs.cpp, the profiles'
// runtime), for the tests that check what the VMM launches: the guest's
// header from the assembled build/guest.bin (or build/chain-loader.bin),
// checked by the VMM's own copy_guest_header; the host as the VMM's
// cpu_tables and stage2 leave it; the profile's devices attached to a port
// map by the profile's own function, the I/O bitmaps filled from it; the
// VMM's memory at addresses above 4 MiB.
#pragma once

#include <memory>
#include <string>

#include "devices/mmio_map.h"
#include "devices/port_map.h"
#include "guests/bios_chain/devices.h"
#include "guests/bios_chain/plan.h"
#include "guests/bios_chain/state.h"
#include "guests/v86_demo/plan.h"
#include "guests/v86_demo/state.h"
#include "vmx/plan.h"

namespace vmm_plan {

// The VMM memory the plans fill (its .bss), at these physical addresses.
struct VmmMemory {
  alignas(4096) uint8_t io_bitmap_a[4096];
  alignas(4096) uint8_t io_bitmap_b[4096];
  alignas(4096) uint8_t msr_bitmap[4096];
  vmx::IdentityEptTables chain_ept;
  devices::PortMap ports;
  devices::MmioMap mmio;
  guests::v86_demo::State v86_demo;
  guests::bios_chain::State bios_chain;
};
inline constexpr uint64_t io_bitmap_a_physical = 0x430000;
inline constexpr uint64_t io_bitmap_b_physical = 0x431000;
inline constexpr uint64_t ept_physical = 0x432000;
inline constexpr uint64_t page_directory_physical = 0x436000;
inline constexpr uint64_t msr_bitmap_physical = 0x437000;
inline constexpr uint64_t ept_high_physical = 0x480000;
inline constexpr uint64_t exit_stub = 0x402340;
inline constexpr uint64_t exit_context = 0x440000;
// A TSC rate: 2 s of guest time at 1 GHz.
inline constexpr uint64_t tsc_ticks_in_limit = 2000000000ull;

// build/guest.bin ($VMXBOOT_GUEST_BIN), its header as the VMM's check
// copies it; a test failure names what is wrong.
std::string guest_path();
layout::GuestHeader checked_guest_header();

// The host state the VMM reads in VMX operation: its own GDT/TSS/IDT
// (cpu_tables), CR0 = ET | PE | PG and CR4 = PAE from stage2 plus what VMX
// operation needs (the FIXED0 bits, VMXE), long mode.
vmx::HostState vmm_host_state(const vmx::CapabilityMsrs& msrs);

vmx::PlanInputs vmm_plan_inputs(const vmx::CapabilityMsrs& msrs);

struct Planned {
  std::unique_ptr<VmmMemory> memory;
  vmx::VmcsPlan plan;
};
Planned plan_as_the_vmm_does(const vmx::CapabilityMsrs& msrs);

// Chain mode: the header of build/chain-loader.bin ($VMXBOOT_BUILD), a
// memory map as the Bochs BIOS reports 64 MiB, PM1a_CNT 0xb004, the
// emulator's firmware.
layout::GuestHeader checked_chain_header();
extern const layout::E820Entry bochs_e820[5];
// base_memory_kib: the BDA's 40:13 as the VMM would read it (the Bochs BIOS's 636).
Planned plan_chain_as_the_vmm_does(const vmx::CapabilityMsrs& msrs, uint32_t base_memory_kib = 636,
                                   const guests::bios_chain::MemoryRegisters& registers = {});

}  // namespace vmm_plan
