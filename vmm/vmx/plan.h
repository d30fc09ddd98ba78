// The VMCS plan: every decision the VMM takes before VMLAUNCH, in one pure
// function. From the capability MSRs and a description of the host (the
// state a VM exit loads, the VMM memory the plan may fill) and of the guest
// (its checked header, its clock) it settles the controls, the guest's
// bounds (EPT or a host-held page directory, the VMX-preemption timer or PIT
// ticks, NMI exiting), the guest and host state, and fills the I/O bitmaps,
// the EPT or the page directory. The result is the complete VmcsImage that
// machine[] (vmx/machine.h) writes in one loop: nothing else is written to
// the VMCS before launch.
//
// Pure: no privileged instruction. The VMM (vmx/bringup/build_vmcs.cpp)
// only gathers the inputs and writes the image; the unit tests build the
// same plan from each Bochs model's MSRs and run the VM-entry checker over it.
#pragma once

#include <stdint.h>

#include "guest_header.h"
#include "vmx/chain_ept.h"
#include "vmx/chain_memory_map.h"
#include "vmx/chain_msr.h"
#include "vmx/controls.h"
#include "vmx/ept.h"
#include "vmx/guest_state.h"
#include "vmx/machine.h"

namespace vmx {

// VMM memory the plan fills, and its physical addresses (the VMM runs
// identity-mapped; the tests give any address).
struct PlanMemory {
  uint8_t* io_bitmap_a;
  uint8_t* io_bitmap_b;
  uint64_t io_bitmap_a_physical, io_bitmap_b_physical;
  EptTables* ept;               // used where the CPU has EPT
  uint64_t ept_physical;
  uint32_t* page_directory;     // else the guest's page directory, held by the VMM
  uint64_t page_directory_physical;
};

// The second guest description: chain mode (guest kind GUEST_KIND_CHAIN,
// README "Chain mode"), a real-mode loader run as an unrestricted guest.
struct ChainInputs {
  const layout::E820Entry* e820;  // the firmware's map (the VMM's copy): memory types
  uint32_t e820_count;
  const Mtrrs* mtrrs;           // the MTRRs as read (memory types), null: none (E820's then)
  uint16_t pm1a_cnt;            // ACPI PM1a_CNT (kept: a guest power-off ends the run), 0: none
  ChainEptTables* ept;          // at layout::CHAIN_EPT_ADDR
  uint64_t ept_physical;
  uint64_t vmm_first, vmm_end;  // the VMM's memory, which the EPT leaves out
  // The BDA's KiB of conventional memory (40:13) before the loader ran,
  // and where the map its INT 15h stub asks about goes (vmx/chain_memory_map.h).
  uint32_t base_memory_kib;
  GuestMemoryMap* memory_map;
  // The firmware is an emulator's (ACPI OEM ID "BOCHS "): its BIOS reports
  // a panic by writing ports 0x400/0x401, which stops the emulator; kept
  // there so that the run still ends with its result. On a PC those ports
  // are the chipset's (often the ACPI PM block): never kept.
  bool emulator_panic_ports;
  // The guest's bound in seconds, 0 = none (guest_timer::chain_limit_seconds).
  uint32_t limit_seconds;
  uint8_t* msr_bitmap;          // msr_bitmap_bytes, 4 KiB aligned (vmx/chain_msr.h)
  uint64_t msr_bitmap_physical;
};
inline constexpr uint16_t emulator_bios_panic_port = 0x400;  // and 0x401

// The ports chain mode keeps (traps); every other port is the guest's.
// COM1 as in the V86 demo (vmx/port_policy.h); the others the chain exit
// handlers (vmx/exit_chain_runtime.cpp) carry out after a look.
inline constexpr uint16_t chain_kept_ports[] = {0xCF9, 0x64, 0x92, 0xB2};

struct PlanInputs {
  CapabilityMsrs msrs;
  HostState host;               // the VMM as it runs in VMX operation (RSP and RIP: below)
  uint64_t exit_stub;           // vmx_exit_stub: where every VM exit enters the VMM
  uint64_t exit_stack_end;      // the end of the stack the exit handlers run on
  layout::GuestHeader guest;    // the VMM's checked copy (vmx/guest_header_check.h)
  uint32_t guest_base;          // where the guest is loaded (layout::GUEST_ADDR)
  uint64_t tsc_ticks_in_limit;  // the guest's time bound in TSC ticks (vmx/guest_timer.h)
  PlanMemory memory;
  ChainInputs chain;            // used when guest.kind == GUEST_KIND_CHAIN
};

// Which decision failed, for the VMM's message and result line.
enum class PlanError : uint8_t {
  none, controls, guest_cr0, guest_cr4, ept,
  // chain mode only: the BDA's conventional memory size leaves no KiB for
  // the loader's INT 15h stub below 640 KiB
  memory_map,
  // chain mode only: the CPU cannot run real mode as a guest (no unrestricted
  // guest, or no EPT it can use); no VMX-preemption timer to bound it
  no_unrestricted_guest, no_preemption_timer,
};

struct VmcsPlan {
  PlanError error;
  ControlError control_error;   // PlanError::controls
  FixedResult fixed_error;      // guest_cr0 / guest_cr4: the forbidden bits
  VmcsImage image;              // complete when error == none
  bool ept;                     // guest-physical memory through memory.ept
  bool preemption_timer;        // else PIT ticks through external-interrupt exiting
  bool nmi_exiting;             // host NMIs exit instead of reaching the guest
  uint32_t timer_shift;         // the preemption timer's rate: 2^shift TSC ticks a step
  uint64_t tsc_ticks_in_limit;  // as given
  bool reports_ins_outs_info;   // IA32_VMX_BASIC bit 54: for the exit handlers
  const EptTables* ept_tables;  // memory.ept when ept, else nullptr
  bool chain;                   // the chain guest (guest.kind): its own exit handlers
  bool hlt_activity;            // chain: the CPU can put the guest in the HLT activity state
  uint16_t pm1a_cnt;            // chain: as given
  bool emulator_panic_ports;    // chain: as given
  const GuestMemoryMap* memory_map;  // chain: what INT 15h tells the guest
  uint32_t limit_seconds;       // chain: as given (0 = none)
};

// The controls wanted for the guest on this CPU (before the CPU's must-be-1
// bits are added): demo_wanted_controls, plus EPT where the CPU has it (else
// CR3-load exiting), NMI exiting where allowed, and the VMX-preemption timer
// where the CPU has it (else external-interrupt exiting and acknowledge on
// exit, for the PIT's ticks).
struct GuestBounds {
  bool ept;
  bool preemption_timer;
  bool nmi_exiting;
  ControlWords wanted;
};
GuestBounds choose_bounds(const CapabilityMsrs& msrs);

VmcsPlan plan_vmcs(const PlanInputs& inputs);

}  // namespace vmx
