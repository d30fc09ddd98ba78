// The chain guest's part of the VMCS plan (vmx/plan.h has the common
// part): a real-mode loader that boots another BIOS disk, run as an
// unrestricted guest (docs/chain-mode.md). It needs unrestricted guest
// with EPT and the VMX-preemption timer; its EPT identity-maps the 4 GiB
// but the VMM's memory (vmx/identity_ept.h), its interrupts and exceptions
// are its own (no external-interrupt exiting, an empty exception bitmap),
// the pages its devices claim are read-only in the EPT (vmx/mmio_ept.h),
// its MSRs are its own but the few the VMM keeps (msr.h), HLT exits, and
// only the ports the profile's devices claim exit. Pure.
#pragma once

#include <stdint.h>

#include "guest_header.h"
#include "devices/mmio_map.h"
#include "guests/bios_chain/memory_map.h"
#include "vmx/ept.h"
#include "vmx/identity_ept.h"
#include "vmx/identity_ept_high.h"
#include "vmx/mtrr.h"
#include "vmx/plan.h"

namespace guests::bios_chain {

// VmcsPlan::profile_error with PlanError::profile.
enum class Refusal : uint8_t {
  none,
  // the CPU cannot run real mode as a guest (no unrestricted guest, or no
  // EPT it can use); no VMX-preemption timer to bound it
  no_unrestricted_guest,
  no_preemption_timer,
  // the BDA's conventional memory size leaves no KiB for the loader's
  // INT 15h stub below 640 KiB
  base_memory,
};

struct Inputs {
  layout::GuestHeader guest;      // the VMM's checked copy
  const layout::E820Entry* e820;  // the firmware's map (the VMM's copy): memory types
  uint32_t e820_count;
  const vmx::Mtrrs* mtrrs;        // the MTRRs as read (memory types), null: none (E820's then)
  vmx::IdentityEptTables* ept;    // at layout::IDENTITY_EPT_ADDR
  uint64_t ept_physical;
  uint64_t vmm_first, vmm_end;    // the VMM's memory, which the EPT leaves out
  // The BDA's KiB of conventional memory (40:13) before the loader ran,
  // and where the map its INT 15h stub asks about goes (memory_map.h).
  uint32_t base_memory_kib;
  GuestMemoryMap* memory_map;
  uint8_t* msr_bitmap;            // msr_bitmap_bytes, 4 KiB aligned (msr.h)
  uint64_t msr_bitmap_physical;
  // The EPT above 4 GiB (vmx/identity_ept_high.h), as far as the CPU's
  // address width and the tables' pool reach; the memory map says where.
  vmx::IdentityEptHigh* ept_high;
  uint64_t ept_high_physical;
  vmx::EptReach reach;
  // The devices' memory ranges (the local APIC's page): read-only and not
  // executable in the EPT, so that the guest's stores there exit.
  const devices::MmioMap* mmio;
};

// The guest's bound in seconds, from its header's limit_seconds
// (GUEST_LIMIT=, 0 = none): without GUEST_LIMIT= (the platform default),
// CHAIN_LIMIT_EMULATOR_SECONDS under an emulator's firmware, where a test
// must end, and none on a PC, where the guest is the machine's own system.
constexpr uint32_t limit_seconds(uint32_t header_value, bool emulator) {
  if (header_value != layout::CHAIN_LIMIT_PLATFORM_DEFAULT) return header_value;
  return emulator ? layout::CHAIN_LIMIT_EMULATOR_SECONDS : 0;
}

// Whether the CPU can run the chain guest at all, before anything else.
Refusal check_cpu(const vmx::CapabilityMsrs& msrs);

vmx::VmcsPlan plan(const vmx::PlanInputs& in, const Inputs& chain);

}  // namespace guests::bios_chain
