// The state the chain loader starts in: real mode as an unrestricted guest
// (SDM 26.3.1 with "unrestricted guest": CR0.PE and PG may be 0, SS.DPL must
// be 0, CS may be a code segment with DPL 0). The guest owns CR0 and CR4 but
// the bits VMX operation fixes that unrestricted guest does not free
// (CR0.NE, CR4.VMXE): those the host owns (guest/host masks) and the guest
// reads its own values through the shadows. Pure.
#pragma once

#include <stdint.h>

#include "ia32/registers.h"

#include "guest_header.h"
#include "vmx/vmcs_image.h"

namespace guests::bios_chain {

inline constexpr uint32_t access_rights_real_code = 0x9B;  // present, code RX accessed, DPL 0
inline constexpr uint32_t access_rights_real_data = 0x93;  // present, data RW accessed, DPL 0
inline constexpr uint64_t cr0_shadow = cr0::et;            // CR0 after a BIOS in real mode
inline constexpr uint64_t rflags_at_entry = rflags::reserved_1;
// The CR0 bits VMX operation keeps at 1 that the chain guest may not
// change: FIXED0, less PE and PG (free with unrestricted guest).
constexpr uint64_t cr0_host_bits(uint64_t cr0_fixed0) {
  return cr0_fixed0 & ~(cr0::pe | cr0::pg);
}

// The guest-state area for the chain loader: real mode at entry_cs:entry_ip
// with the machine's IVT (IDTR 0, limit 0x3FF). `cr0`/`cr4` are the values
// the guest runs with (the host bits set).
void build_guest_state(const layout::GuestHeader& header, uint64_t guest_cr0,
                       uint64_t guest_cr4, vmx::GuestState& guest);

}  // namespace guests::bios_chain
