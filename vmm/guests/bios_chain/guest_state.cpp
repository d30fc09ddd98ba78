#include "guests/bios_chain/guest_state.h"

#include "vmx/plan.h"

namespace guests::bios_chain {

void build_guest_state(const layout::GuestHeader& header, uint64_t guest_cr0,
                       uint64_t guest_cr4, vmx::GuestState& guest) {
  auto real = [](uint16_t segment, uint32_t access_rights) -> vmx::SegmentState {
    return {segment, 0xFFFF, access_rights, static_cast<uint64_t>(segment) << 4};
  };
  guest = vmx::GuestState{};
  guest.cs = real(header.entry_cs, access_rights_real_code);
  guest.ss = real(header.entry_ss, access_rights_real_data);
  guest.ds = real(header.entry_ds, access_rights_real_data);
  guest.es = real(header.entry_ds, access_rights_real_data);
  guest.fs = real(header.entry_ds, access_rights_real_data);
  guest.gs = real(header.entry_ds, access_rights_real_data);
  guest.ldtr = {0, 0, vmx::access_rights_unusable, 0};
  // TR must be a usable busy TSS even in real mode (SDM 26.3.1.2); nothing
  // uses it until the guest loads its own.
  guest.tr = {0, 0xFFFF, vmx::access_rights_busy_tss_32, 0};
  guest.gdtr_base = 0;
  guest.gdtr_limit = 0xFFFF;
  guest.idtr_base = 0;  // the real-mode IVT
  guest.idtr_limit = 0x3FF;
  guest.cr0 = guest_cr0;
  guest.cr3 = 0;
  guest.cr4 = guest_cr4;
  guest.dr7 = vmx::guest_dr7;
  guest.rsp = header.entry_sp;
  guest.rip = header.entry_ip;
  guest.rflags = rflags_at_entry;
  guest.activity_state = 0;  // active
  guest.vmcs_link_pointer = ~0ull;
  guest.ia32_pat = vmx::guest_pat;
  guest.ia32_efer = 0;
}

}  // namespace guests::bios_chain
