#include "guests/v86_demo/guest_state.h"

#include "vmx/plan.h"

namespace guests::v86_demo {

using vmx::SegmentState;

namespace {

SegmentState v86_segment(uint16_t segment) {
  return {segment, 0xFFFF, access_rights_v86_segment, static_cast<uint64_t>(segment) << 4};
}

}  // namespace

void build_guest_state(const layout::GuestHeader& header, uint32_t guest_base,
                       uint64_t guest_cr0, uint64_t guest_cr4, vmx::GuestState& guest) {
  guest = vmx::GuestState{};
  guest.cs = v86_segment(header.entry_cs);
  guest.ss = v86_segment(header.entry_ss);
  guest.ds = v86_segment(header.entry_ds);
  guest.es = v86_segment(header.entry_ds);
  guest.fs = v86_segment(header.entry_ds);
  guest.gs = v86_segment(header.entry_ds);
  guest.ldtr = {header.ldt_selector, header.ldt_limit, access_rights_ldt,
                static_cast<uint64_t>(guest_base) + header.ldt_offset};
  guest.tr = {header.tss_selector, header.tss_limit, vmx::access_rights_busy_tss_32,
              static_cast<uint64_t>(guest_base) + header.tss_offset};
  guest.gdtr_base = static_cast<uint64_t>(guest_base) + header.gdt_offset;
  guest.gdtr_limit = header.gdt_limit;
  guest.idtr_base = static_cast<uint64_t>(guest_base) + header.idt_offset;
  guest.idtr_limit = header.idt_limit;
  guest.cr0 = guest_cr0;
  guest.cr3 = static_cast<uint64_t>(guest_base) + header.page_directory_offset;
  guest.cr4 = guest_cr4;
  guest.dr7 = vmx::guest_dr7;
  guest.rsp = header.entry_sp;
  guest.rip = header.entry_ip;
  guest.rflags = guest_rflags;
  guest.pending_debug_exceptions = 0;
  guest.interruptibility_state = 0;
  guest.activity_state = 0;  // active
  guest.vmcs_link_pointer = ~0ull;  // no shadow VMCS (SDM 27.3.1.5)
  guest.ia32_debugctl = 0;
  guest.ia32_pat = vmx::guest_pat;
  guest.ia32_efer = 0;
}

void build_control_state(const vmx::GuestState& guest, vmx::ControlState& controls) {
  controls.exception_bitmap = guest_exception_bitmap;
  // Mask 0 / match 0 with bit 14 set in the bitmap: every #PF exits.
  controls.page_fault_error_code_mask = 0;
  controls.page_fault_error_code_match = 0;
  controls.cr0_guest_host_mask = guest_host_mask_all;
  controls.cr4_guest_host_mask = guest_host_mask_all;
  controls.cr0_read_shadow = guest.cr0;
  controls.cr4_read_shadow = guest.cr4 & ~cr4::vmxe;
}

}  // namespace guests::v86_demo
