// The state the V86 guest starts in, built from the guest binary's header
// (abi/guest_header.h), and the controls around it. Pure: the VMM fills a
// VmcsImage with these, the tests check them against the SDM's rules for
// entering virtual-8086 mode (SDM Vol. 3, 27.3.1.2 "Checks on Guest Segment
// Registers", 27.3.1.4 "Checks on Guest RIP, RFLAGS and SSP").
#pragma once

#include <stdint.h>

#include "ia32/registers.h"

#include "guest_header.h"
#include "ia32/vmx/capabilities.h"
#include "ia32/vmx/controls.h"
#include "vmx/machine.h"

namespace vmx {

// Access rights in the VMX format (descriptor bits 47:40 in 7:0, 55:52 in
// 15:12, bit 16 = unusable).
inline constexpr uint32_t access_rights_v86_segment = 0xF3;  // present, DPL 3, data RW accessed
inline constexpr uint32_t access_rights_ldt = 0x82;          // present, LDT
inline constexpr uint32_t access_rights_busy_tss_32 = 0x8B;  // present, busy 32-bit TSS
inline constexpr uint32_t access_rights_unusable = 1u << 16;

// Protected mode with paging for the V86 task; ET and NE as every CPU since
// the 486 runs. IF stays 0: the guest IDT handles #GP only, an external
// interrupt delivered into it would end in a double fault.
inline constexpr uint64_t guest_cr0_wanted = cr0::pe | cr0::et | cr0::ne | cr0::pg;
// 4 MiB pages (PSE) for the one-entry page directory, no PAE.
inline constexpr uint64_t guest_cr4_wanted = cr4::pse;
inline constexpr uint64_t guest_rflags = rflags::vm | rflags::iopl_3 | rflags::reserved_1;
inline constexpr uint64_t guest_dr7 = 0x400;  // reset value
inline constexpr uint64_t guest_pat = 0x0007040600070406ull;  // reset value
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
// (every port exits; the VMM's port policy decides) and a 64-bit host.
inline constexpr ControlWords demo_wanted_controls = {
    0,
    ia32::vmx::primary_processor::use_io_bitmaps,
    0,
    ia32::vmx::exit::host_address_space_size,
    0,
};

// Host NMIs exit (pin-based "NMI exiting") wherever the CPU allows it:
// without it an NMI that arrives while the guest runs is delivered through
// the guest's IDT (SDM Vol. 3, 25.3), the guest's to handle or to lose. With
// it the NMI is a VM exit (reason 0, interruption type NMI), and the VMM
// ends the run (result host-nmi), as it ends it for an NMI outside the guest
// (host-exception vector=2): the VMM has no NMI source of its own, so on a
// PC an NMI is the hardware's alarm (a parity or bus error, a watchdog).
constexpr uint32_t host_nmi_pin_control(uint32_t pin_may_be_one) {
  return pin_may_be_one & ia32::vmx::pin_based::nmi_exiting;
}

// A control-register value under FIXED0/FIXED1: `value` when ok; else
// `forbidden` holds the wanted bits FIXED1 does not allow.
struct FixedResult {
  bool ok;
  uint64_t value;
  uint64_t forbidden;
};
FixedResult apply_fixed_bits(uint64_t wanted, ia32::vmx::FixedBits fixed);

// The guest-state area for entering guest_task in V86 mode. `guest_base`
// is the physical (= guest-linear) address the image is loaded at; `header`
// is the VMM's checked copy (vmx/guest_header_check.h).
void build_v86_guest_state(const layout::GuestHeader& header, uint32_t guest_base,
                           uint64_t guest_cr0, uint64_t guest_cr4, GuestState& guest);

// Chain mode (README "Chain mode"): the loader starts in real mode as an
// unrestricted guest (SDM 26.3.1 with "unrestricted guest": CR0.PE and PG
// may be 0, SS.DPL must be 0, CS may be a code segment with DPL 0). The
// guest owns CR0 and CR4 but the bits VMX operation fixes that unrestricted
// guest does not free (CR0.NE, CR4.VMXE): those the host owns (guest/host
// masks) and the guest reads its own values through the shadows.
inline constexpr uint32_t access_rights_real_code = 0x9B;  // present, code RX accessed, DPL 0
inline constexpr uint32_t access_rights_real_data = 0x93;  // present, data RW accessed, DPL 0
inline constexpr uint64_t chain_cr0_shadow = cr0::et;      // CR0 after a BIOS in real mode
inline constexpr uint64_t chain_rflags = rflags::reserved_1;
// The CR0 and CR4 bits VMX operation keeps at 1 that the chain guest may
// not change: FIXED0, less PE and PG (free with unrestricted guest).
constexpr uint64_t chain_cr0_host_bits(uint64_t cr0_fixed0) {
  return cr0_fixed0 & ~(cr0::pe | cr0::pg);
}

// The guest-state area for the chain loader: real mode at entry_cs:entry_ip
// with the machine's IVT (IDTR 0, limit 0x3FF). `cr0`/`cr4` are the values
// the guest runs with (the host bits set).
void build_chain_guest_state(const layout::GuestHeader& header, uint64_t guest_cr0,
                             uint64_t guest_cr4, GuestState& guest);

// The control area: final control words, the exception bitmap, I/O bitmap
// addresses, and CR0/CR4 guest/host masks covering every bit (the guest
// reads its own CR0/CR4 values through the shadows, minus CR4.VMXE).
void build_control_state(const ControlWords& words, uint64_t io_bitmap_a,
                         uint64_t io_bitmap_b, const GuestState& guest, ControlState& controls);

// Sets the bits of ports [first, last] in the two 4 KiB VMX I/O bitmaps
// (A: ports 0x0000-0x7FFF, B: 0x8000-0xFFFF): those ports exit (chain mode
// keeps a few ports, vmx/plan.cpp).
void trap_ports(uint8_t* bitmap_a, uint8_t* bitmap_b, uint16_t first, uint16_t last);
// Every port exits (the demo): the VMM's port policy (vmx/port_policy.h)
// decides.
void trap_all_ports(uint8_t* bitmap_a, uint8_t* bitmap_b);

}  // namespace vmx
