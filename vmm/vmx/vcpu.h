// One logical CPU under the VMM: everything that belongs to it and to no
// other CPU. Its VMXON region and VMCS, its I/O and MSR bitmaps, its own
// GDT/TSS/IDT, the plan its VMCS was written from (the EPT pointer in it),
// its stacks, the guest context of the current exit, its exit statistics,
// its time bound and the handler table of the guest's profile. What the
// whole virtual machine shares (the EPT, the devices and their port map,
// the console) is the Machine's (vmm/machine.h).
//
// The exit stub finds the Vcpu from its host stack, as SimpleVisor and hvpp
// find their per-processor data: the VMCS's host RSP is the Vcpu's
// ExitContext, right above its exit stack, so the stub stores the guest's
// registers there and hands the dispatcher the Vcpu at a fixed offset below
// (vmx/exit_stub.asm, with the offsets abi/gen_layout_inc.cpp prints).
// Plain data, no constructor: the VMM's .bss, zeroed at entry.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "cpu_tables.h"
#include "devices/port_map.h"
#include "vmx/exit_context.h"
#include "vmx/exit_handlers.h"
#include "vmx/exits.h"
#include "vmx/guest_memory.h"
#include "vmx/guest_timer.h"
#include "vmx/plan.h"

namespace vmx {

struct Vcpu {
  alignas(4096) uint8_t vmxon_region[4096];
  alignas(4096) uint8_t vmcs_region[4096];
  alignas(4096) uint8_t io_bitmap_a[4096];
  alignas(4096) uint8_t io_bitmap_b[4096];
  alignas(4096) uint8_t msr_bitmap[4096];
  cpu_tables::HostTables tables;
  uint32_t index;             // in the Machine's array
  bool in_vmx_operation;      // VMXON done, VMXOFF not yet
  bool vmcs_current;          // VMPTRLD done, VMCLEAR not yet
  VmcsPlan plan;              // what the VMCS was written from
  // The exit path's: the guest profile's handlers, the machine's ports,
  // what the VMM may touch for the guest, its clock and what the exits left.
  const HandlerTable* handlers;
  const devices::PortMap* ports;
  GuestMemory memory;
  bool nmi_pending;           // an NMI for the guest waits for its NMI window
  guest_timer::TimeBound bound;
  ExitLog log;
  uint64_t launch_rsp;        // vmx_enter_guest's stack, for the way back
  alignas(16) uint8_t stack[32768];       // the VMM's own, outside the exits (vmm/entry.asm)
  alignas(16) uint8_t exit_stack[16384];  // the exit handlers'
  alignas(16) ExitContext context;        // at the host RSP (the stub's call is 16-aligned)
};

}  // namespace vmx
