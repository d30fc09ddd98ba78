// VMCS field encodings (SDM Vol. 3, appendix B). An encoding is itself a
// record: bit 0 access type (full / high half of a 64-bit field), bits 9:1
// index, bits 11:10 type, bits 14:13 width. Every field below is computed
// from those parts, so its width is known at compile time from the encoding
// alone, and the static_asserts at the end pin a few to the SDM's tables.
#pragma once

#include <stdint.h>

namespace ia32::vmx {

enum class FieldWidth : uint32_t { bits16 = 0, bits64 = 1, bits32 = 2, natural = 3 };
enum class FieldType : uint32_t { control = 0, exit_information = 1, guest = 2, host = 3 };
enum class FieldAccess : uint32_t { full = 0, high = 1 };

constexpr uint32_t field_encoding(FieldWidth width, FieldType type, uint32_t index,
                                  FieldAccess access = FieldAccess::full) {
  return static_cast<uint32_t>(access) | (index << 1) |
         (static_cast<uint32_t>(type) << 10) | (static_cast<uint32_t>(width) << 13);
}

constexpr FieldWidth field_width(uint32_t encoding) {
  return static_cast<FieldWidth>((encoding >> 13) & 3);
}
constexpr FieldType field_type(uint32_t encoding) {
  return static_cast<FieldType>((encoding >> 10) & 3);
}
constexpr uint32_t field_index(uint32_t encoding) { return (encoding >> 1) & 0x1FF; }

// Bytes VMREAD/VMWRITE move for the field in 64-bit mode: natural-width
// fields are 64 bits there (the 2007 demo stored them in 32-bit variables).
constexpr unsigned field_bytes(uint32_t encoding) {
  switch (field_width(encoding)) {
    case FieldWidth::bits16: return 2;
    case FieldWidth::bits32: return 4;
    case FieldWidth::bits64:
    case FieldWidth::natural: return 8;
  }
  return 0;
}

namespace detail {
using W = FieldWidth;
using T = FieldType;
constexpr uint32_t f(W w, T t, uint32_t index) { return field_encoding(w, t, index); }
}  // namespace detail

// Every field this project reads or writes. Names follow the SDM's.
enum class VmcsField : uint32_t {
  // 16-bit control (B.1.1)
  virtual_processor_id = detail::f(detail::W::bits16, detail::T::control, 0),
  posted_interrupt_notification_vector = detail::f(detail::W::bits16, detail::T::control, 1),
  // 16-bit guest state (B.1.2)
  guest_es_selector = detail::f(detail::W::bits16, detail::T::guest, 0),
  guest_cs_selector = detail::f(detail::W::bits16, detail::T::guest, 1),
  guest_ss_selector = detail::f(detail::W::bits16, detail::T::guest, 2),
  guest_ds_selector = detail::f(detail::W::bits16, detail::T::guest, 3),
  guest_fs_selector = detail::f(detail::W::bits16, detail::T::guest, 4),
  guest_gs_selector = detail::f(detail::W::bits16, detail::T::guest, 5),
  guest_ldtr_selector = detail::f(detail::W::bits16, detail::T::guest, 6),
  guest_tr_selector = detail::f(detail::W::bits16, detail::T::guest, 7),
  // 16-bit host state (B.1.3)
  host_es_selector = detail::f(detail::W::bits16, detail::T::host, 0),
  host_cs_selector = detail::f(detail::W::bits16, detail::T::host, 1),
  host_ss_selector = detail::f(detail::W::bits16, detail::T::host, 2),
  host_ds_selector = detail::f(detail::W::bits16, detail::T::host, 3),
  host_fs_selector = detail::f(detail::W::bits16, detail::T::host, 4),
  host_gs_selector = detail::f(detail::W::bits16, detail::T::host, 5),
  host_tr_selector = detail::f(detail::W::bits16, detail::T::host, 6),

  // 64-bit control (B.2.1)
  io_bitmap_a_address = detail::f(detail::W::bits64, detail::T::control, 0),
  io_bitmap_b_address = detail::f(detail::W::bits64, detail::T::control, 1),
  msr_bitmap_address = detail::f(detail::W::bits64, detail::T::control, 2),
  exit_msr_store_address = detail::f(detail::W::bits64, detail::T::control, 3),
  exit_msr_load_address = detail::f(detail::W::bits64, detail::T::control, 4),
  entry_msr_load_address = detail::f(detail::W::bits64, detail::T::control, 5),
  executive_vmcs_pointer = detail::f(detail::W::bits64, detail::T::control, 6),
  pml_address = detail::f(detail::W::bits64, detail::T::control, 7),
  tsc_offset = detail::f(detail::W::bits64, detail::T::control, 8),
  virtual_apic_address = detail::f(detail::W::bits64, detail::T::control, 9),
  apic_access_address = detail::f(detail::W::bits64, detail::T::control, 10),
  posted_interrupt_descriptor_address = detail::f(detail::W::bits64, detail::T::control, 11),
  ept_pointer = detail::f(detail::W::bits64, detail::T::control, 13),
  vmread_bitmap_address = detail::f(detail::W::bits64, detail::T::control, 19),
  vmwrite_bitmap_address = detail::f(detail::W::bits64, detail::T::control, 20),
  virtualization_exception_info_address = detail::f(detail::W::bits64, detail::T::control, 21),
  // 64-bit read-only data (B.2.2)
  guest_physical_address = detail::f(detail::W::bits64, detail::T::exit_information, 0),
  // 64-bit guest state (B.2.3)
  vmcs_link_pointer = detail::f(detail::W::bits64, detail::T::guest, 0),
  guest_ia32_debugctl = detail::f(detail::W::bits64, detail::T::guest, 1),
  guest_ia32_pat = detail::f(detail::W::bits64, detail::T::guest, 2),
  guest_ia32_efer = detail::f(detail::W::bits64, detail::T::guest, 3),
  guest_ia32_perf_global_ctrl = detail::f(detail::W::bits64, detail::T::guest, 4),
  guest_pdpte0 = detail::f(detail::W::bits64, detail::T::guest, 5),
  guest_pdpte1 = detail::f(detail::W::bits64, detail::T::guest, 6),
  guest_pdpte2 = detail::f(detail::W::bits64, detail::T::guest, 7),
  guest_pdpte3 = detail::f(detail::W::bits64, detail::T::guest, 8),
  // 64-bit host state (B.2.4)
  host_ia32_pat = detail::f(detail::W::bits64, detail::T::host, 0),
  host_ia32_efer = detail::f(detail::W::bits64, detail::T::host, 1),
  host_ia32_perf_global_ctrl = detail::f(detail::W::bits64, detail::T::host, 2),

  // 32-bit control (B.3.1)
  pin_based_controls = detail::f(detail::W::bits32, detail::T::control, 0),
  primary_processor_controls = detail::f(detail::W::bits32, detail::T::control, 1),
  exception_bitmap = detail::f(detail::W::bits32, detail::T::control, 2),
  page_fault_error_code_mask = detail::f(detail::W::bits32, detail::T::control, 3),
  page_fault_error_code_match = detail::f(detail::W::bits32, detail::T::control, 4),
  cr3_target_count = detail::f(detail::W::bits32, detail::T::control, 5),
  exit_controls = detail::f(detail::W::bits32, detail::T::control, 6),
  exit_msr_store_count = detail::f(detail::W::bits32, detail::T::control, 7),
  exit_msr_load_count = detail::f(detail::W::bits32, detail::T::control, 8),
  entry_controls = detail::f(detail::W::bits32, detail::T::control, 9),
  entry_msr_load_count = detail::f(detail::W::bits32, detail::T::control, 10),
  entry_interruption_info = detail::f(detail::W::bits32, detail::T::control, 11),
  entry_exception_error_code = detail::f(detail::W::bits32, detail::T::control, 12),
  entry_instruction_length = detail::f(detail::W::bits32, detail::T::control, 13),
  tpr_threshold = detail::f(detail::W::bits32, detail::T::control, 14),
  secondary_processor_controls = detail::f(detail::W::bits32, detail::T::control, 15),
  // 32-bit read-only data (B.3.2)
  vm_instruction_error = detail::f(detail::W::bits32, detail::T::exit_information, 0),
  exit_reason = detail::f(detail::W::bits32, detail::T::exit_information, 1),
  exit_interruption_info = detail::f(detail::W::bits32, detail::T::exit_information, 2),
  exit_interruption_error_code = detail::f(detail::W::bits32, detail::T::exit_information, 3),
  idt_vectoring_info = detail::f(detail::W::bits32, detail::T::exit_information, 4),
  idt_vectoring_error_code = detail::f(detail::W::bits32, detail::T::exit_information, 5),
  exit_instruction_length = detail::f(detail::W::bits32, detail::T::exit_information, 6),
  exit_instruction_info = detail::f(detail::W::bits32, detail::T::exit_information, 7),
  // 32-bit guest state (B.3.3)
  guest_es_limit = detail::f(detail::W::bits32, detail::T::guest, 0),
  guest_cs_limit = detail::f(detail::W::bits32, detail::T::guest, 1),
  guest_ss_limit = detail::f(detail::W::bits32, detail::T::guest, 2),
  guest_ds_limit = detail::f(detail::W::bits32, detail::T::guest, 3),
  guest_fs_limit = detail::f(detail::W::bits32, detail::T::guest, 4),
  guest_gs_limit = detail::f(detail::W::bits32, detail::T::guest, 5),
  guest_ldtr_limit = detail::f(detail::W::bits32, detail::T::guest, 6),
  guest_tr_limit = detail::f(detail::W::bits32, detail::T::guest, 7),
  guest_gdtr_limit = detail::f(detail::W::bits32, detail::T::guest, 8),
  guest_idtr_limit = detail::f(detail::W::bits32, detail::T::guest, 9),
  guest_es_access_rights = detail::f(detail::W::bits32, detail::T::guest, 10),
  guest_cs_access_rights = detail::f(detail::W::bits32, detail::T::guest, 11),
  guest_ss_access_rights = detail::f(detail::W::bits32, detail::T::guest, 12),
  guest_ds_access_rights = detail::f(detail::W::bits32, detail::T::guest, 13),
  guest_fs_access_rights = detail::f(detail::W::bits32, detail::T::guest, 14),
  guest_gs_access_rights = detail::f(detail::W::bits32, detail::T::guest, 15),
  guest_ldtr_access_rights = detail::f(detail::W::bits32, detail::T::guest, 16),
  guest_tr_access_rights = detail::f(detail::W::bits32, detail::T::guest, 17),
  guest_interruptibility_state = detail::f(detail::W::bits32, detail::T::guest, 18),
  guest_activity_state = detail::f(detail::W::bits32, detail::T::guest, 19),
  guest_smbase = detail::f(detail::W::bits32, detail::T::guest, 20),
  guest_ia32_sysenter_cs = detail::f(detail::W::bits32, detail::T::guest, 21),
  guest_preemption_timer_value = detail::f(detail::W::bits32, detail::T::guest, 23),
  // 32-bit host state (B.3.4)
  host_ia32_sysenter_cs = detail::f(detail::W::bits32, detail::T::host, 0),

  // natural-width control (B.4.1)
  cr0_guest_host_mask = detail::f(detail::W::natural, detail::T::control, 0),
  cr4_guest_host_mask = detail::f(detail::W::natural, detail::T::control, 1),
  cr0_read_shadow = detail::f(detail::W::natural, detail::T::control, 2),
  cr4_read_shadow = detail::f(detail::W::natural, detail::T::control, 3),
  // natural-width read-only data (B.4.2)
  exit_qualification = detail::f(detail::W::natural, detail::T::exit_information, 0),
  io_rcx = detail::f(detail::W::natural, detail::T::exit_information, 1),
  io_rsi = detail::f(detail::W::natural, detail::T::exit_information, 2),
  io_rdi = detail::f(detail::W::natural, detail::T::exit_information, 3),
  io_rip = detail::f(detail::W::natural, detail::T::exit_information, 4),
  guest_linear_address = detail::f(detail::W::natural, detail::T::exit_information, 5),
  // natural-width guest state (B.4.3)
  guest_cr0 = detail::f(detail::W::natural, detail::T::guest, 0),
  guest_cr3 = detail::f(detail::W::natural, detail::T::guest, 1),
  guest_cr4 = detail::f(detail::W::natural, detail::T::guest, 2),
  guest_es_base = detail::f(detail::W::natural, detail::T::guest, 3),
  guest_cs_base = detail::f(detail::W::natural, detail::T::guest, 4),
  guest_ss_base = detail::f(detail::W::natural, detail::T::guest, 5),
  guest_ds_base = detail::f(detail::W::natural, detail::T::guest, 6),
  guest_fs_base = detail::f(detail::W::natural, detail::T::guest, 7),
  guest_gs_base = detail::f(detail::W::natural, detail::T::guest, 8),
  guest_ldtr_base = detail::f(detail::W::natural, detail::T::guest, 9),
  guest_tr_base = detail::f(detail::W::natural, detail::T::guest, 10),
  guest_gdtr_base = detail::f(detail::W::natural, detail::T::guest, 11),
  guest_idtr_base = detail::f(detail::W::natural, detail::T::guest, 12),
  guest_dr7 = detail::f(detail::W::natural, detail::T::guest, 13),
  guest_rsp = detail::f(detail::W::natural, detail::T::guest, 14),
  guest_rip = detail::f(detail::W::natural, detail::T::guest, 15),
  guest_rflags = detail::f(detail::W::natural, detail::T::guest, 16),
  guest_pending_debug_exceptions = detail::f(detail::W::natural, detail::T::guest, 17),
  guest_ia32_sysenter_esp = detail::f(detail::W::natural, detail::T::guest, 18),
  guest_ia32_sysenter_eip = detail::f(detail::W::natural, detail::T::guest, 19),
  // natural-width host state (B.4.4)
  host_cr0 = detail::f(detail::W::natural, detail::T::host, 0),
  host_cr3 = detail::f(detail::W::natural, detail::T::host, 1),
  host_cr4 = detail::f(detail::W::natural, detail::T::host, 2),
  host_fs_base = detail::f(detail::W::natural, detail::T::host, 3),
  host_gs_base = detail::f(detail::W::natural, detail::T::host, 4),
  host_tr_base = detail::f(detail::W::natural, detail::T::host, 5),
  host_gdtr_base = detail::f(detail::W::natural, detail::T::host, 6),
  host_idtr_base = detail::f(detail::W::natural, detail::T::host, 7),
  host_ia32_sysenter_esp = detail::f(detail::W::natural, detail::T::host, 8),
  host_ia32_sysenter_eip = detail::f(detail::W::natural, detail::T::host, 9),
  host_rsp = detail::f(detail::W::natural, detail::T::host, 10),
  host_rip = detail::f(detail::W::natural, detail::T::host, 11),
};

constexpr uint32_t encoding(VmcsField field) { return static_cast<uint32_t>(field); }
constexpr unsigned field_bytes(VmcsField field) { return field_bytes(encoding(field)); }

// Spot checks against the encodings printed in SDM appendix B: a slip in the
// index arithmetic above shows up here, not as VM-instruction error 12.
static_assert(encoding(VmcsField::guest_es_selector) == 0x0800);
static_assert(encoding(VmcsField::host_tr_selector) == 0x0C0C);
static_assert(encoding(VmcsField::io_bitmap_b_address) == 0x2002);
static_assert(encoding(VmcsField::tsc_offset) == 0x2010);
static_assert(encoding(VmcsField::ept_pointer) == 0x201A);
static_assert(encoding(VmcsField::vmcs_link_pointer) == 0x2800);
static_assert(encoding(VmcsField::host_ia32_efer) == 0x2C02);
static_assert(encoding(VmcsField::secondary_processor_controls) == 0x401E);
static_assert(encoding(VmcsField::vm_instruction_error) == 0x4400);
static_assert(encoding(VmcsField::exit_instruction_info) == 0x440E);
static_assert(encoding(VmcsField::guest_tr_access_rights) == 0x4822);
static_assert(encoding(VmcsField::guest_preemption_timer_value) == 0x482E);
static_assert(encoding(VmcsField::host_ia32_sysenter_cs) == 0x4C00);
static_assert(encoding(VmcsField::cr4_read_shadow) == 0x6006);
static_assert(encoding(VmcsField::guest_linear_address) == 0x640A);
static_assert(encoding(VmcsField::guest_rip) == 0x681E);
static_assert(encoding(VmcsField::guest_ia32_sysenter_eip) == 0x6826);
static_assert(encoding(VmcsField::host_rip) == 0x6C16);
static_assert(field_bytes(VmcsField::guest_rflags) == 8);
static_assert(field_bytes(VmcsField::guest_cs_selector) == 2);
static_assert(field_width(0x2001) == FieldWidth::bits64);  // high half of io_bitmap_a
static_assert(encoding(VmcsField::posted_interrupt_notification_vector) == 0x0002);
static_assert(encoding(VmcsField::pml_address) == 0x200E);
static_assert(encoding(VmcsField::posted_interrupt_descriptor_address) == 0x2016);
static_assert(encoding(VmcsField::vmread_bitmap_address) == 0x2026);
static_assert(encoding(VmcsField::virtualization_exception_info_address) == 0x202A);
static_assert(encoding(VmcsField::guest_pdpte0) == 0x280A);
static_assert(encoding(VmcsField::guest_pdpte3) == 0x2810);

}  // namespace ia32::vmx
