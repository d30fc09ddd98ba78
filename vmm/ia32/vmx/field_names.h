// The name of each VMCS field this project knows (vmm/ia32/vmx/fields.h),
// spelled as its VmcsField enumerator, for diagnostics that print a field
// by name (the VM-entry checker, VMREAD/VMWRITE failures).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "ia32/vmx/fields.h"

namespace ia32::vmx {

struct FieldName {
  VmcsField field;
  const char* name;
};

#define VMX_FIELD_NAME(field) \
  FieldName { VmcsField::field, #field }

inline constexpr FieldName field_names[] = {
    // 16-bit control (B.1.1)
    VMX_FIELD_NAME(virtual_processor_id),
    VMX_FIELD_NAME(posted_interrupt_notification_vector),
    // 16-bit guest state (B.1.2)
    VMX_FIELD_NAME(guest_es_selector),
    VMX_FIELD_NAME(guest_cs_selector),
    VMX_FIELD_NAME(guest_ss_selector),
    VMX_FIELD_NAME(guest_ds_selector),
    VMX_FIELD_NAME(guest_fs_selector),
    VMX_FIELD_NAME(guest_gs_selector),
    VMX_FIELD_NAME(guest_ldtr_selector),
    VMX_FIELD_NAME(guest_tr_selector),
    // 16-bit host state (B.1.3)
    VMX_FIELD_NAME(host_es_selector),
    VMX_FIELD_NAME(host_cs_selector),
    VMX_FIELD_NAME(host_ss_selector),
    VMX_FIELD_NAME(host_ds_selector),
    VMX_FIELD_NAME(host_fs_selector),
    VMX_FIELD_NAME(host_gs_selector),
    VMX_FIELD_NAME(host_tr_selector),
    // 64-bit control (B.2.1)
    VMX_FIELD_NAME(io_bitmap_a_address),
    VMX_FIELD_NAME(io_bitmap_b_address),
    VMX_FIELD_NAME(msr_bitmap_address),
    VMX_FIELD_NAME(exit_msr_store_address),
    VMX_FIELD_NAME(exit_msr_load_address),
    VMX_FIELD_NAME(entry_msr_load_address),
    VMX_FIELD_NAME(executive_vmcs_pointer),
    VMX_FIELD_NAME(pml_address),
    VMX_FIELD_NAME(tsc_offset),
    VMX_FIELD_NAME(virtual_apic_address),
    VMX_FIELD_NAME(apic_access_address),
    VMX_FIELD_NAME(posted_interrupt_descriptor_address),
    VMX_FIELD_NAME(ept_pointer),
    VMX_FIELD_NAME(vmread_bitmap_address),
    VMX_FIELD_NAME(vmwrite_bitmap_address),
    VMX_FIELD_NAME(virtualization_exception_info_address),
    // 64-bit read-only data (B.2.2)
    VMX_FIELD_NAME(guest_physical_address),
    // 64-bit guest state (B.2.3)
    VMX_FIELD_NAME(vmcs_link_pointer),
    VMX_FIELD_NAME(guest_ia32_debugctl),
    VMX_FIELD_NAME(guest_ia32_pat),
    VMX_FIELD_NAME(guest_ia32_efer),
    VMX_FIELD_NAME(guest_ia32_perf_global_ctrl),
    VMX_FIELD_NAME(guest_pdpte0),
    VMX_FIELD_NAME(guest_pdpte1),
    VMX_FIELD_NAME(guest_pdpte2),
    VMX_FIELD_NAME(guest_pdpte3),
    // 64-bit host state (B.2.4)
    VMX_FIELD_NAME(host_ia32_pat),
    VMX_FIELD_NAME(host_ia32_efer),
    VMX_FIELD_NAME(host_ia32_perf_global_ctrl),
    // 32-bit control (B.3.1)
    VMX_FIELD_NAME(pin_based_controls),
    VMX_FIELD_NAME(primary_processor_controls),
    VMX_FIELD_NAME(exception_bitmap),
    VMX_FIELD_NAME(page_fault_error_code_mask),
    VMX_FIELD_NAME(page_fault_error_code_match),
    VMX_FIELD_NAME(cr3_target_count),
    VMX_FIELD_NAME(exit_controls),
    VMX_FIELD_NAME(exit_msr_store_count),
    VMX_FIELD_NAME(exit_msr_load_count),
    VMX_FIELD_NAME(entry_controls),
    VMX_FIELD_NAME(entry_msr_load_count),
    VMX_FIELD_NAME(entry_interruption_info),
    VMX_FIELD_NAME(entry_exception_error_code),
    VMX_FIELD_NAME(entry_instruction_length),
    VMX_FIELD_NAME(tpr_threshold),
    VMX_FIELD_NAME(secondary_processor_controls),
    // 32-bit read-only data (B.3.2)
    VMX_FIELD_NAME(vm_instruction_error),
    VMX_FIELD_NAME(exit_reason),
    VMX_FIELD_NAME(exit_interruption_info),
    VMX_FIELD_NAME(exit_interruption_error_code),
    VMX_FIELD_NAME(idt_vectoring_info),
    VMX_FIELD_NAME(idt_vectoring_error_code),
    VMX_FIELD_NAME(exit_instruction_length),
    VMX_FIELD_NAME(exit_instruction_info),
    // 32-bit guest state (B.3.3)
    VMX_FIELD_NAME(guest_es_limit),
    VMX_FIELD_NAME(guest_cs_limit),
    VMX_FIELD_NAME(guest_ss_limit),
    VMX_FIELD_NAME(guest_ds_limit),
    VMX_FIELD_NAME(guest_fs_limit),
    VMX_FIELD_NAME(guest_gs_limit),
    VMX_FIELD_NAME(guest_ldtr_limit),
    VMX_FIELD_NAME(guest_tr_limit),
    VMX_FIELD_NAME(guest_gdtr_limit),
    VMX_FIELD_NAME(guest_idtr_limit),
    VMX_FIELD_NAME(guest_es_access_rights),
    VMX_FIELD_NAME(guest_cs_access_rights),
    VMX_FIELD_NAME(guest_ss_access_rights),
    VMX_FIELD_NAME(guest_ds_access_rights),
    VMX_FIELD_NAME(guest_fs_access_rights),
    VMX_FIELD_NAME(guest_gs_access_rights),
    VMX_FIELD_NAME(guest_ldtr_access_rights),
    VMX_FIELD_NAME(guest_tr_access_rights),
    VMX_FIELD_NAME(guest_interruptibility_state),
    VMX_FIELD_NAME(guest_activity_state),
    VMX_FIELD_NAME(guest_smbase),
    VMX_FIELD_NAME(guest_ia32_sysenter_cs),
    VMX_FIELD_NAME(guest_preemption_timer_value),
    // 32-bit host state (B.3.4)
    VMX_FIELD_NAME(host_ia32_sysenter_cs),
    // natural-width control (B.4.1)
    VMX_FIELD_NAME(cr0_guest_host_mask),
    VMX_FIELD_NAME(cr4_guest_host_mask),
    VMX_FIELD_NAME(cr0_read_shadow),
    VMX_FIELD_NAME(cr4_read_shadow),
    // natural-width read-only data (B.4.2)
    VMX_FIELD_NAME(exit_qualification),
    VMX_FIELD_NAME(io_rcx),
    VMX_FIELD_NAME(io_rsi),
    VMX_FIELD_NAME(io_rdi),
    VMX_FIELD_NAME(io_rip),
    VMX_FIELD_NAME(guest_linear_address),
    // natural-width guest state (B.4.3)
    VMX_FIELD_NAME(guest_cr0),
    VMX_FIELD_NAME(guest_cr3),
    VMX_FIELD_NAME(guest_cr4),
    VMX_FIELD_NAME(guest_es_base),
    VMX_FIELD_NAME(guest_cs_base),
    VMX_FIELD_NAME(guest_ss_base),
    VMX_FIELD_NAME(guest_ds_base),
    VMX_FIELD_NAME(guest_fs_base),
    VMX_FIELD_NAME(guest_gs_base),
    VMX_FIELD_NAME(guest_ldtr_base),
    VMX_FIELD_NAME(guest_tr_base),
    VMX_FIELD_NAME(guest_gdtr_base),
    VMX_FIELD_NAME(guest_idtr_base),
    VMX_FIELD_NAME(guest_dr7),
    VMX_FIELD_NAME(guest_rsp),
    VMX_FIELD_NAME(guest_rip),
    VMX_FIELD_NAME(guest_rflags),
    VMX_FIELD_NAME(guest_pending_debug_exceptions),
    VMX_FIELD_NAME(guest_ia32_sysenter_esp),
    VMX_FIELD_NAME(guest_ia32_sysenter_eip),
    // natural-width host state (B.4.4)
    VMX_FIELD_NAME(host_cr0),
    VMX_FIELD_NAME(host_cr3),
    VMX_FIELD_NAME(host_cr4),
    VMX_FIELD_NAME(host_fs_base),
    VMX_FIELD_NAME(host_gs_base),
    VMX_FIELD_NAME(host_tr_base),
    VMX_FIELD_NAME(host_gdtr_base),
    VMX_FIELD_NAME(host_idtr_base),
    VMX_FIELD_NAME(host_ia32_sysenter_esp),
    VMX_FIELD_NAME(host_ia32_sysenter_eip),
    VMX_FIELD_NAME(host_rsp),
    VMX_FIELD_NAME(host_rip),
};

#undef VMX_FIELD_NAME

inline constexpr size_t field_name_count = sizeof(field_names) / sizeof(field_names[0]);

// The name of the field with `encoding` (full access), or nullptr for an
// encoding not in VmcsField (including the high half of a 64-bit field).
constexpr const char* field_name(uint32_t encoding) {
  for (const FieldName& entry : field_names) {
    if (static_cast<uint32_t>(entry.field) == encoding) return entry.name;
  }
  return nullptr;
}

constexpr const char* field_name(VmcsField field) {
  return field_name(static_cast<uint32_t>(field));
}

namespace detail {
constexpr bool field_names_unique() {
  for (size_t i = 0; i < field_name_count; ++i) {
    for (size_t j = i + 1; j < field_name_count; ++j) {
      if (field_names[i].field == field_names[j].field) return false;
    }
  }
  return true;
}
}  // namespace detail

static_assert(detail::field_names_unique(), "field_names[]: a field twice");
static_assert(field_name(0x681E)[6] == 'r');  // guest_rip
static_assert(field_name(0x2001) == nullptr);

}  // namespace ia32::vmx
