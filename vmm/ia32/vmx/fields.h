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

// Every field this project reads or writes, in appendix B's order, as
// X(name, width, type, index): the one list from which both the enumerators
// below and their printable names (field_names.h) are made. Names follow the
// SDM's.
#define VMX_VMCS_FIELDS(X)                                              \
  /* 16-bit control (B.1.1) */                                          \
  X(virtual_processor_id, bits16, control, 0)                           \
  X(posted_interrupt_notification_vector, bits16, control, 1)           \
  /* 16-bit guest state (B.1.2) */                                      \
  X(guest_es_selector, bits16, guest, 0)                                \
  X(guest_cs_selector, bits16, guest, 1)                                \
  X(guest_ss_selector, bits16, guest, 2)                                \
  X(guest_ds_selector, bits16, guest, 3)                                \
  X(guest_fs_selector, bits16, guest, 4)                                \
  X(guest_gs_selector, bits16, guest, 5)                                \
  X(guest_ldtr_selector, bits16, guest, 6)                              \
  X(guest_tr_selector, bits16, guest, 7)                                \
  /* 16-bit host state (B.1.3) */                                       \
  X(host_es_selector, bits16, host, 0)                                  \
  X(host_cs_selector, bits16, host, 1)                                  \
  X(host_ss_selector, bits16, host, 2)                                  \
  X(host_ds_selector, bits16, host, 3)                                  \
  X(host_fs_selector, bits16, host, 4)                                  \
  X(host_gs_selector, bits16, host, 5)                                  \
  X(host_tr_selector, bits16, host, 6)                                  \
  /* 64-bit control (B.2.1) */                                          \
  X(io_bitmap_a_address, bits64, control, 0)                            \
  X(io_bitmap_b_address, bits64, control, 1)                            \
  X(msr_bitmap_address, bits64, control, 2)                             \
  X(exit_msr_store_address, bits64, control, 3)                         \
  X(exit_msr_load_address, bits64, control, 4)                          \
  X(entry_msr_load_address, bits64, control, 5)                         \
  X(executive_vmcs_pointer, bits64, control, 6)                         \
  X(pml_address, bits64, control, 7)                                    \
  X(tsc_offset, bits64, control, 8)                                     \
  X(virtual_apic_address, bits64, control, 9)                           \
  X(apic_access_address, bits64, control, 10)                           \
  X(posted_interrupt_descriptor_address, bits64, control, 11)           \
  X(ept_pointer, bits64, control, 13)                                   \
  X(vmread_bitmap_address, bits64, control, 19)                         \
  X(vmwrite_bitmap_address, bits64, control, 20)                        \
  X(virtualization_exception_info_address, bits64, control, 21)         \
  /* 64-bit read-only data (B.2.2) */                                   \
  X(guest_physical_address, bits64, exit_information, 0)                \
  /* 64-bit guest state (B.2.3) */                                      \
  X(vmcs_link_pointer, bits64, guest, 0)                                \
  X(guest_ia32_debugctl, bits64, guest, 1)                              \
  X(guest_ia32_pat, bits64, guest, 2)                                   \
  X(guest_ia32_efer, bits64, guest, 3)                                  \
  X(guest_ia32_perf_global_ctrl, bits64, guest, 4)                      \
  X(guest_pdpte0, bits64, guest, 5)                                     \
  X(guest_pdpte1, bits64, guest, 6)                                     \
  X(guest_pdpte2, bits64, guest, 7)                                     \
  X(guest_pdpte3, bits64, guest, 8)                                     \
  /* 64-bit host state (B.2.4) */                                       \
  X(host_ia32_pat, bits64, host, 0)                                     \
  X(host_ia32_efer, bits64, host, 1)                                    \
  X(host_ia32_perf_global_ctrl, bits64, host, 2)                        \
  /* 32-bit control (B.3.1) */                                          \
  X(pin_based_controls, bits32, control, 0)                             \
  X(primary_processor_controls, bits32, control, 1)                     \
  X(exception_bitmap, bits32, control, 2)                               \
  X(page_fault_error_code_mask, bits32, control, 3)                     \
  X(page_fault_error_code_match, bits32, control, 4)                    \
  X(cr3_target_count, bits32, control, 5)                               \
  X(exit_controls, bits32, control, 6)                                  \
  X(exit_msr_store_count, bits32, control, 7)                           \
  X(exit_msr_load_count, bits32, control, 8)                            \
  X(entry_controls, bits32, control, 9)                                 \
  X(entry_msr_load_count, bits32, control, 10)                          \
  X(entry_interruption_info, bits32, control, 11)                       \
  X(entry_exception_error_code, bits32, control, 12)                    \
  X(entry_instruction_length, bits32, control, 13)                      \
  X(tpr_threshold, bits32, control, 14)                                 \
  X(secondary_processor_controls, bits32, control, 15)                  \
  /* 32-bit read-only data (B.3.2) */                                   \
  X(vm_instruction_error, bits32, exit_information, 0)                  \
  X(exit_reason, bits32, exit_information, 1)                           \
  X(exit_interruption_info, bits32, exit_information, 2)                \
  X(exit_interruption_error_code, bits32, exit_information, 3)          \
  X(idt_vectoring_info, bits32, exit_information, 4)                    \
  X(idt_vectoring_error_code, bits32, exit_information, 5)              \
  X(exit_instruction_length, bits32, exit_information, 6)               \
  X(exit_instruction_info, bits32, exit_information, 7)                 \
  /* 32-bit guest state (B.3.3) */                                      \
  X(guest_es_limit, bits32, guest, 0)                                   \
  X(guest_cs_limit, bits32, guest, 1)                                   \
  X(guest_ss_limit, bits32, guest, 2)                                   \
  X(guest_ds_limit, bits32, guest, 3)                                   \
  X(guest_fs_limit, bits32, guest, 4)                                   \
  X(guest_gs_limit, bits32, guest, 5)                                   \
  X(guest_ldtr_limit, bits32, guest, 6)                                 \
  X(guest_tr_limit, bits32, guest, 7)                                   \
  X(guest_gdtr_limit, bits32, guest, 8)                                 \
  X(guest_idtr_limit, bits32, guest, 9)                                 \
  X(guest_es_access_rights, bits32, guest, 10)                          \
  X(guest_cs_access_rights, bits32, guest, 11)                          \
  X(guest_ss_access_rights, bits32, guest, 12)                          \
  X(guest_ds_access_rights, bits32, guest, 13)                          \
  X(guest_fs_access_rights, bits32, guest, 14)                          \
  X(guest_gs_access_rights, bits32, guest, 15)                          \
  X(guest_ldtr_access_rights, bits32, guest, 16)                        \
  X(guest_tr_access_rights, bits32, guest, 17)                          \
  X(guest_interruptibility_state, bits32, guest, 18)                    \
  X(guest_activity_state, bits32, guest, 19)                            \
  X(guest_smbase, bits32, guest, 20)                                    \
  X(guest_ia32_sysenter_cs, bits32, guest, 21)                          \
  X(guest_preemption_timer_value, bits32, guest, 23)                    \
  /* 32-bit host state (B.3.4) */                                       \
  X(host_ia32_sysenter_cs, bits32, host, 0)                             \
  /* natural-width control (B.4.1) */                                   \
  X(cr0_guest_host_mask, natural, control, 0)                           \
  X(cr4_guest_host_mask, natural, control, 1)                           \
  X(cr0_read_shadow, natural, control, 2)                               \
  X(cr4_read_shadow, natural, control, 3)                               \
  /* natural-width read-only data (B.4.2) */                            \
  X(exit_qualification, natural, exit_information, 0)                   \
  X(io_rcx, natural, exit_information, 1)                               \
  X(io_rsi, natural, exit_information, 2)                               \
  X(io_rdi, natural, exit_information, 3)                               \
  X(io_rip, natural, exit_information, 4)                               \
  X(guest_linear_address, natural, exit_information, 5)                 \
  /* natural-width guest state (B.4.3) */                               \
  X(guest_cr0, natural, guest, 0)                                       \
  X(guest_cr3, natural, guest, 1)                                       \
  X(guest_cr4, natural, guest, 2)                                       \
  X(guest_es_base, natural, guest, 3)                                   \
  X(guest_cs_base, natural, guest, 4)                                   \
  X(guest_ss_base, natural, guest, 5)                                   \
  X(guest_ds_base, natural, guest, 6)                                   \
  X(guest_fs_base, natural, guest, 7)                                   \
  X(guest_gs_base, natural, guest, 8)                                   \
  X(guest_ldtr_base, natural, guest, 9)                                 \
  X(guest_tr_base, natural, guest, 10)                                  \
  X(guest_gdtr_base, natural, guest, 11)                                \
  X(guest_idtr_base, natural, guest, 12)                                \
  X(guest_dr7, natural, guest, 13)                                      \
  X(guest_rsp, natural, guest, 14)                                      \
  X(guest_rip, natural, guest, 15)                                      \
  X(guest_rflags, natural, guest, 16)                                   \
  X(guest_pending_debug_exceptions, natural, guest, 17)                 \
  X(guest_ia32_sysenter_esp, natural, guest, 18)                        \
  X(guest_ia32_sysenter_eip, natural, guest, 19)                        \
  /* natural-width host state (B.4.4) */                                \
  X(host_cr0, natural, host, 0)                                         \
  X(host_cr3, natural, host, 1)                                         \
  X(host_cr4, natural, host, 2)                                         \
  X(host_fs_base, natural, host, 3)                                     \
  X(host_gs_base, natural, host, 4)                                     \
  X(host_tr_base, natural, host, 5)                                     \
  X(host_gdtr_base, natural, host, 6)                                   \
  X(host_idtr_base, natural, host, 7)                                   \
  X(host_ia32_sysenter_esp, natural, host, 8)                           \
  X(host_ia32_sysenter_eip, natural, host, 9)                           \
  X(host_rsp, natural, host, 10)                                        \
  X(host_rip, natural, host, 11)

enum class VmcsField : uint32_t {
#define VMX_FIELD_ENUMERATOR(name, width, type, index) \
  name = field_encoding(FieldWidth::width, FieldType::type, index),
  VMX_VMCS_FIELDS(VMX_FIELD_ENUMERATOR)
#undef VMX_FIELD_ENUMERATOR
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
