// The state the V86 demo's guest starts in, built from the guest binary's
// header (abi/guest_header.h), and the controls around it. Pure: the
// profile's plan fills a VmcsImage with these, the tests check them against
// the SDM's rules for entering virtual-8086 mode (SDM Vol. 3, 27.3.1.2
// "Checks on Guest Segment Registers", 27.3.1.4 "Checks on Guest RIP,
// RFLAGS and SSP").
#pragma once

#include <stdint.h>

#include "ia32/registers.h"

#include "guest_header.h"
#include "vmx/controls.h"
#include "vmx/vmcs_image.h"

namespace guests::v86_demo {

inline constexpr uint32_t access_rights_v86_segment = 0xF3;  // present, DPL 3, data RW accessed
inline constexpr uint32_t access_rights_ldt = 0x82;          // present, LDT

// Protected mode with paging for the V86 task; ET and NE as every CPU since
// the 486 runs. IF stays 0: the guest IDT handles #GP only, an external
// interrupt delivered into it would end in a double fault.
inline constexpr uint64_t guest_cr0_wanted = cr0::pe | cr0::et | cr0::ne | cr0::pg;
// 4 MiB pages (PSE) for the one-entry page directory, no PAE.
inline constexpr uint64_t guest_cr4_wanted = cr4::pse;
inline constexpr uint64_t guest_rflags = rflags::vm | rflags::iopl_3 | rflags::reserved_1;
// The exception bitmap: every exception exits to the VMM except #GP, which
// the guest handles itself (its HLT ends in guest_isrGPF), and #DF: a double
// fault the guest cannot deliver either is a shutdown, which the CPU reports
// as a triple-fault VM exit (SDM 26.2 / 27.2), as a real machine would reset.
inline constexpr uint32_t guest_exception_bitmap = ~((1u << 13) | (1u << 8));
// The host owns every CR0 and CR4 bit (guest/host masks all ones): the
// guest reads its values through the shadows, and a write that would change
// any bit exits (cr-access) and ends it. Without EPT, CR0.PG, CR4.PSE and
// CR4.PAE decide which physical memory the guest's page tables reach.
inline constexpr uint64_t guest_host_mask_all = ~0ull;

// The controls the demo wants beyond what each CPU insists on: I/O bitmaps
// (every port exits; the devices decide) and a 64-bit host.
inline constexpr vmx::ControlWords wanted_controls = {
    0,
    ia32::vmx::primary_processor::use_io_bitmaps,
    0,
    ia32::vmx::exit::host_address_space_size,
    0,
};

// The guest-state area for entering guest_task in V86 mode. `guest_base`
// is the physical (= guest-linear) address the image is loaded at; `header`
// is the VMM's checked copy (guests/guest_header_check.h).
void build_guest_state(const layout::GuestHeader& header, uint32_t guest_base,
                       uint64_t guest_cr0, uint64_t guest_cr4, vmx::GuestState& guest);

// The rest of the control area once the words are settled: the exception
// bitmap, and CR0/CR4 guest/host masks covering every bit (the guest reads
// its own CR0/CR4 values through the shadows, minus CR4.VMXE).
void build_control_state(const vmx::GuestState& guest, vmx::ControlState& controls);

}  // namespace guests::v86_demo
