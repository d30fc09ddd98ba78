#include "vmx/guest_state.h"

namespace vmx {

FixedResult apply_fixed_bits(uint64_t wanted, ia32::vmx::FixedBits fixed) {
  uint64_t forbidden = wanted & ~fixed.fixed1;
  if (forbidden != 0) return {false, 0, forbidden};
  return {true, fixed.apply(wanted), 0};
}

namespace {

SegmentState v86_segment(uint16_t segment) {
  return {segment, 0xFFFF, access_rights_v86_segment, static_cast<uint64_t>(segment) << 4};
}

}  // namespace

void build_v86_guest_state(const layout::GuestHeader& header, uint32_t guest_base,
                           uint64_t guest_cr0, uint64_t guest_cr4, GuestState& guest) {
  guest = GuestState{};
  guest.cs = v86_segment(header.entry_cs);
  guest.ss = v86_segment(header.entry_ss);
  guest.ds = v86_segment(header.entry_ds);
  guest.es = v86_segment(header.entry_ds);
  guest.fs = v86_segment(header.entry_ds);
  guest.gs = v86_segment(header.entry_ds);
  guest.ldtr = {header.ldt_selector, header.ldt_limit, access_rights_ldt,
                static_cast<uint64_t>(guest_base) + header.ldt_offset};
  guest.tr = {header.tss_selector, header.tss_limit, access_rights_busy_tss_32,
              static_cast<uint64_t>(guest_base) + header.tss_offset};
  guest.gdtr_base = static_cast<uint64_t>(guest_base) + header.gdt_offset;
  guest.gdtr_limit = header.gdt_limit;
  guest.idtr_base = static_cast<uint64_t>(guest_base) + header.idt_offset;
  guest.idtr_limit = header.idt_limit;
  guest.cr0 = guest_cr0;
  guest.cr3 = static_cast<uint64_t>(guest_base) + header.page_directory_offset;
  guest.cr4 = guest_cr4;
  guest.dr7 = guest_dr7;
  guest.rsp = header.entry_sp;
  guest.rip = header.entry_ip;
  guest.rflags = guest_rflags;
  guest.pending_debug_exceptions = 0;
  guest.interruptibility_state = 0;
  guest.activity_state = 0;  // active
  guest.vmcs_link_pointer = ~0ull;  // no shadow VMCS (SDM 27.3.1.5)
  guest.ia32_debugctl = 0;
  guest.ia32_pat = guest_pat;
  guest.ia32_efer = 0;
}

void build_chain_guest_state(const layout::GuestHeader& header, uint64_t guest_cr0,
                             uint64_t guest_cr4, GuestState& guest) {
  auto real = [](uint16_t segment, uint32_t access_rights) -> SegmentState {
    return {segment, 0xFFFF, access_rights, static_cast<uint64_t>(segment) << 4};
  };
  guest = GuestState{};
  guest.cs = real(header.entry_cs, access_rights_real_code);
  guest.ss = real(header.entry_ss, access_rights_real_data);
  guest.ds = real(header.entry_ds, access_rights_real_data);
  guest.es = real(header.entry_ds, access_rights_real_data);
  guest.fs = real(header.entry_ds, access_rights_real_data);
  guest.gs = real(header.entry_ds, access_rights_real_data);
  guest.ldtr = {0, 0, access_rights_unusable, 0};
  // TR must be a usable busy TSS even in real mode (SDM 26.3.1.2); nothing
  // uses it until the guest loads its own.
  guest.tr = {0, 0xFFFF, access_rights_busy_tss_32, 0};
  guest.gdtr_base = 0;
  guest.gdtr_limit = 0xFFFF;
  guest.idtr_base = 0;  // the real-mode IVT
  guest.idtr_limit = 0x3FF;
  guest.cr0 = guest_cr0;
  guest.cr3 = 0;
  guest.cr4 = guest_cr4;
  guest.dr7 = guest_dr7;
  guest.rsp = header.entry_sp;
  guest.rip = header.entry_ip;
  guest.rflags = chain_rflags;
  guest.activity_state = 0;  // active
  guest.vmcs_link_pointer = ~0ull;
  guest.ia32_pat = guest_pat;
  guest.ia32_efer = 0;
}

void build_control_state(const ControlWords& words, uint64_t io_bitmap_a,
                         uint64_t io_bitmap_b, const GuestState& guest, ControlState& controls) {
  controls = ControlState{};
  controls.words = words;
  controls.exception_bitmap = guest_exception_bitmap;
  // Mask 0 / match 0 with bit 14 set in the bitmap: every #PF exits.
  controls.page_fault_error_code_mask = 0;
  controls.page_fault_error_code_match = 0;
  controls.io_bitmap_a_address = io_bitmap_a;
  controls.io_bitmap_b_address = io_bitmap_b;
  controls.cr0_guest_host_mask = guest_host_mask_all;
  controls.cr4_guest_host_mask = guest_host_mask_all;
  controls.cr0_read_shadow = guest.cr0;
  controls.cr4_read_shadow = guest.cr4 & ~cr4::vmxe;
}

void trap_ports(uint8_t* bitmap_a, uint8_t* bitmap_b, uint16_t first, uint16_t last) {
  for (uint32_t port = first; port <= last; ++port) {
    uint8_t* bitmap = port < 0x8000 ? bitmap_a : bitmap_b;
    uint32_t bit = port & 0x7FFF;
    bitmap[bit >> 3] = static_cast<uint8_t>(bitmap[bit >> 3] | (1u << (bit & 7)));
  }
}

void trap_all_ports(uint8_t* bitmap_a, uint8_t* bitmap_b) {
  for (uint32_t i = 0; i < 4096; ++i) {
    bitmap_a[i] = 0xFF;
    bitmap_b[i] = 0xFF;
  }
}

}  // namespace vmx
