// SDM Vol. 3, 26.2.1 "Checks on VMX Controls": a failure here makes
// VMLAUNCH/VMRESUME fail with VM-instruction error 7.
#include "ia32/vmx/capabilities.h"
#include "vmx/checks/entry_checks_internal.h"

namespace vmx::entry_checks {

namespace {

namespace pin = ia32::vmx::pin_based;
namespace primary = ia32::vmx::primary_processor;
namespace secondary = ia32::vmx::secondary_processor;
namespace exit_ctl = ia32::vmx::exit;
namespace entry_ctl = ia32::vmx::entry;
using ia32::vmx::ControlWord;

// ------------------------------------------------ 26.2.1.1 VM-execution control fields

// Every allowed-0 bit set, no bit outside the allowed-1 settings (A.3-A.5).
void control_word_allowed(Checker& c, ControlWord word, Field field) {
  const uint32_t value = static_cast<uint32_t>(c.read(field));
  const ia32::vmx::AllowedSettings allowed = allowed_settings(c.env().msrs, word);
  const uint32_t nearest = (value | allowed.must_be_one) & allowed.may_be_one;
  if (value != nearest) c.fail(field, value, nearest);
}

void pin_based_controls_allowed(Checker& c) {
  control_word_allowed(c, ControlWord::pin_based, Field::pin_based_controls);
}

void primary_controls_allowed(Checker& c) {
  control_word_allowed(c, ControlWord::primary_processor, Field::primary_processor_controls);
}

void secondary_controls_allowed(Checker& c) {
  if ((c.primary_controls() & primary::activate_secondary_controls) == 0) return;
  control_word_allowed(c, ControlWord::secondary_processor, Field::secondary_processor_controls);
}

void cr3_target_count_at_most_4(Checker& c) {
  const uint64_t count = c.read(Field::cr3_target_count);
  if (count > 4) c.fail(Field::cr3_target_count, count, 4);
}

bool uses_io_bitmaps(Checker& c) { return (c.primary_controls() & primary::use_io_bitmaps) != 0; }

void io_bitmap_a_aligned(Checker& c) {
  if (uses_io_bitmaps(c)) require_aligned(c, Field::io_bitmap_a_address, 0xFFF);
}
void io_bitmap_a_width(Checker& c) {
  if (uses_io_bitmaps(c)) require_structure_width(c, Field::io_bitmap_a_address);
}
void io_bitmap_b_aligned(Checker& c) {
  if (uses_io_bitmaps(c)) require_aligned(c, Field::io_bitmap_b_address, 0xFFF);
}
void io_bitmap_b_width(Checker& c) {
  if (uses_io_bitmaps(c)) require_structure_width(c, Field::io_bitmap_b_address);
}

bool uses_msr_bitmaps(Checker& c) { return (c.primary_controls() & primary::use_msr_bitmaps) != 0; }

void msr_bitmap_aligned(Checker& c) {
  if (uses_msr_bitmaps(c)) require_aligned(c, Field::msr_bitmap_address, 0xFFF);
}
void msr_bitmap_width(Checker& c) {
  if (uses_msr_bitmaps(c)) require_structure_width(c, Field::msr_bitmap_address);
}

bool uses_tpr_shadow(Checker& c) { return (c.primary_controls() & primary::use_tpr_shadow) != 0; }

void virtual_apic_aligned(Checker& c) {
  if (uses_tpr_shadow(c)) require_aligned(c, Field::virtual_apic_address, 0xFFF);
}
void virtual_apic_width(Checker& c) {
  if (uses_tpr_shadow(c)) require_structure_width(c, Field::virtual_apic_address);
}

void tpr_threshold_reserved(Checker& c) {
  if (!uses_tpr_shadow(c)) return;
  if ((c.secondary_controls() & secondary::virtual_interrupt_delivery) != 0) return;
  const uint64_t threshold = c.read(Field::tpr_threshold);
  if ((threshold & ~uint64_t{0xF}) != 0) c.fail(Field::tpr_threshold, threshold, threshold & 0xF);
}

void apic_virtualization_needs_tpr_shadow(Checker& c) {
  if (uses_tpr_shadow(c)) return;
  constexpr uint32_t needing = secondary::virtualize_x2apic_mode |
                               secondary::apic_register_virtualization |
                               secondary::virtual_interrupt_delivery;
  const uint32_t value = c.secondary_controls();
  if ((value & needing) != 0) {
    c.fail(Field::secondary_processor_controls, value, value & ~needing);
    c.relate(Field::primary_processor_controls, c.primary_controls());
  }
}

void virtual_nmis_need_nmi_exiting(Checker& c) {
  const uint32_t value = c.pin_controls();
  if ((value & pin::nmi_exiting) == 0 && (value & pin::virtual_nmis) != 0) {
    c.fail(Field::pin_based_controls, value, value & ~pin::virtual_nmis);
  }
}

void nmi_window_needs_virtual_nmis(Checker& c) {
  if ((c.pin_controls() & pin::virtual_nmis) != 0) return;
  const uint32_t value = c.primary_controls();
  if ((value & primary::nmi_window_exiting) != 0) {
    c.fail(Field::primary_processor_controls, value, value & ~primary::nmi_window_exiting);
    c.relate(Field::pin_based_controls, c.pin_controls());
  }
}

bool virtualizes_apic_accesses(Checker& c) {
  return (c.secondary_controls() & secondary::virtualize_apic_accesses) != 0;
}

void apic_access_aligned(Checker& c) {
  if (virtualizes_apic_accesses(c)) require_aligned(c, Field::apic_access_address, 0xFFF);
}
void apic_access_width(Checker& c) {
  if (virtualizes_apic_accesses(c)) require_structure_width(c, Field::apic_access_address);
}

void x2apic_mode_excludes_apic_accesses(Checker& c) {
  const uint32_t value = c.secondary_controls();
  if ((value & secondary::virtualize_x2apic_mode) != 0 &&
      (value & secondary::virtualize_apic_accesses) != 0) {
    c.fail(Field::secondary_processor_controls, value,
           value & ~secondary::virtualize_apic_accesses);
  }
}

void virtual_interrupt_delivery_needs_external_interrupt_exiting(Checker& c) {
  if ((c.secondary_controls() & secondary::virtual_interrupt_delivery) == 0) return;
  const uint32_t value = c.pin_controls();
  if ((value & pin::external_interrupt_exiting) == 0) {
    c.fail(Field::pin_based_controls, value, value | pin::external_interrupt_exiting);
    c.relate(Field::secondary_processor_controls, c.secondary_controls());
  }
}

bool processes_posted_interrupts(Checker& c) {
  return (c.pin_controls() & pin::process_posted_interrupts) != 0;
}

void posted_interrupts_need_virtual_interrupt_delivery(Checker& c) {
  if (!processes_posted_interrupts(c)) return;
  const uint32_t value = c.secondary_controls();
  if ((value & secondary::virtual_interrupt_delivery) == 0) {
    c.fail(Field::secondary_processor_controls, value,
           value | secondary::virtual_interrupt_delivery);
    c.relate(Field::pin_based_controls, c.pin_controls());
  }
}

void posted_interrupts_need_acknowledge_on_exit(Checker& c) {
  if (!processes_posted_interrupts(c)) return;
  const uint32_t value = c.exit_controls();
  if ((value & exit_ctl::acknowledge_interrupt_on_exit) == 0) {
    c.fail(Field::exit_controls, value, value | exit_ctl::acknowledge_interrupt_on_exit);
    c.relate(Field::pin_based_controls, c.pin_controls());
  }
}

void posted_interrupt_vector(Checker& c) {
  if (!processes_posted_interrupts(c)) return;
  const uint64_t vector = c.read(Field::posted_interrupt_notification_vector);
  if ((vector & 0xFF00) != 0)
    c.fail(Field::posted_interrupt_notification_vector, vector, vector & 0xFF);
}

void posted_interrupt_descriptor_aligned(Checker& c) {
  if (processes_posted_interrupts(c))
    require_aligned(c, Field::posted_interrupt_descriptor_address, 0x3F);
}
void posted_interrupt_descriptor_width(Checker& c) {
  if (processes_posted_interrupts(c)) {
    require_structure_width(c, Field::posted_interrupt_descriptor_address);
  }
}

void vpid_nonzero(Checker& c) {
  if ((c.secondary_controls() & secondary::enable_vpid) == 0) return;
  const uint64_t vpid = c.read(Field::virtual_processor_id);
  if (vpid == 0) c.fail(Field::virtual_processor_id, vpid);
}

bool uses_ept(Checker& c) { return (c.secondary_controls() & secondary::enable_ept) != 0; }

// IA32_VMX_EPT_VPID_CAP (A.10): bit 8 UC and bit 14 WB paging-structure
// memory type, bit 21 accessed and dirty flags.
void eptp_memory_type(Checker& c) {
  if (!uses_ept(c)) return;
  const uint64_t eptp = c.read(Field::ept_pointer);
  const uint64_t type = eptp & 7;
  const uint64_t cap = c.env().ept_vpid_capability;
  const bool supported = (type == 0 && bit(cap, 8)) || (type == 6 && bit(cap, 14));
  if (!supported) c.fail(Field::ept_pointer, eptp, (eptp & ~uint64_t{7}) | (bit(cap, 14) ? 6 : 0));
}

void eptp_walk_length(Checker& c) {
  if (!uses_ept(c)) return;
  const uint64_t eptp = c.read(Field::ept_pointer);
  if (((eptp >> 3) & 7) != 3) c.fail(Field::ept_pointer, eptp, (eptp & ~uint64_t{0x38}) | (3 << 3));
}

void eptp_accessed_dirty(Checker& c) {
  if (!uses_ept(c)) return;
  const uint64_t eptp = c.read(Field::ept_pointer);
  if (bit(eptp, 6) && !bit(c.env().ept_vpid_capability, 21)) {
    c.fail(Field::ept_pointer, eptp, eptp & ~uint64_t{1u << 6});
  }
}

void eptp_reserved(Checker& c) {
  if (!uses_ept(c)) return;
  const uint64_t eptp = c.read(Field::ept_pointer);
  const unsigned width = c.physical_address_width();
  const uint64_t nearest = truncate_to_width(eptp, width) & ~uint64_t{0xF80};
  if (eptp != nearest) c.fail(Field::ept_pointer, eptp, nearest);
}

bool uses_pml(Checker& c) { return (c.secondary_controls() & secondary::enable_pml) != 0; }

void pml_needs_ept(Checker& c) {
  const uint32_t value = c.secondary_controls();
  if ((value & secondary::enable_pml) != 0 && (value & secondary::enable_ept) == 0) {
    c.fail(Field::secondary_processor_controls, value, value & ~secondary::enable_pml);
  }
}

void pml_address_aligned(Checker& c) {
  if (uses_pml(c)) require_aligned(c, Field::pml_address, 0xFFF);
}
void pml_address_width(Checker& c) {
  if (uses_pml(c)) require_structure_width(c, Field::pml_address);
}

void unrestricted_guest_needs_ept(Checker& c) {
  const uint32_t value = c.secondary_controls();
  if ((value & secondary::unrestricted_guest) != 0 && (value & secondary::enable_ept) == 0) {
    c.fail(Field::secondary_processor_controls, value, value | secondary::enable_ept);
  }
}

bool shadows_vmcs(Checker& c) { return (c.secondary_controls() & secondary::vmcs_shadowing) != 0; }

void vmread_bitmap_aligned(Checker& c) {
  if (shadows_vmcs(c)) require_aligned(c, Field::vmread_bitmap_address, 0xFFF);
}
void vmread_bitmap_width(Checker& c) {
  if (shadows_vmcs(c)) require_structure_width(c, Field::vmread_bitmap_address);
}
void vmwrite_bitmap_aligned(Checker& c) {
  if (shadows_vmcs(c)) require_aligned(c, Field::vmwrite_bitmap_address, 0xFFF);
}
void vmwrite_bitmap_width(Checker& c) {
  if (shadows_vmcs(c)) require_structure_width(c, Field::vmwrite_bitmap_address);
}

bool uses_ve(Checker& c) { return (c.secondary_controls() & secondary::ept_violation_ve) != 0; }

void ve_info_aligned(Checker& c) {
  if (uses_ve(c)) require_aligned(c, Field::virtualization_exception_info_address, 0xFFF);
}
void ve_info_width(Checker& c) {
  if (uses_ve(c)) require_structure_width(c, Field::virtualization_exception_info_address);
}

// ------------------------------------------------ 26.2.1.2 VM-exit control fields

void exit_controls_allowed(Checker& c) {
  control_word_allowed(c, ControlWord::exit, Field::exit_controls);
}

void save_preemption_timer_needs_activation(Checker& c) {
  if ((c.pin_controls() & pin::activate_preemption_timer) != 0) return;
  const uint32_t value = c.exit_controls();
  if ((value & exit_ctl::save_preemption_timer) != 0) {
    c.fail(Field::exit_controls, value, value & ~exit_ctl::save_preemption_timer);
    c.relate(Field::pin_based_controls, c.pin_controls());
  }
}

// An MSR list of `count` 16-byte entries: the address 16-byte aligned, the
// last byte within the physical-address width.
void msr_list_aligned(Checker& c, Field count_field, Field address_field) {
  if (c.read(count_field) != 0) require_aligned(c, address_field, 0xF);
}

void msr_list_width(Checker& c, Field count_field, Field address_field) {
  const uint64_t count = c.read(count_field);
  if (count == 0) return;
  const uint64_t address = c.read(address_field);
  const uint64_t last = address + count * 16 - 1;
  const unsigned width = c.vmx_structure_address_width();
  if (!fits_width(address, width) || !fits_width(last, width) || last < address) {
    c.fail(address_field, address);
    c.relate(count_field, count);
  }
}

void exit_msr_store_aligned(Checker& c) {
  msr_list_aligned(c, Field::exit_msr_store_count, Field::exit_msr_store_address);
}
void exit_msr_store_width(Checker& c) {
  msr_list_width(c, Field::exit_msr_store_count, Field::exit_msr_store_address);
}
void exit_msr_load_aligned(Checker& c) {
  msr_list_aligned(c, Field::exit_msr_load_count, Field::exit_msr_load_address);
}
void exit_msr_load_width(Checker& c) {
  msr_list_width(c, Field::exit_msr_load_count, Field::exit_msr_load_address);
}

// ------------------------------------------------ 26.2.1.3 VM-entry control fields

void entry_controls_allowed(Checker& c) {
  control_word_allowed(c, ControlWord::entry, Field::entry_controls);
}

// The VM-entry interruption-information field when its valid bit is set;
// 0 otherwise.
uint64_t entry_event_info(Checker& c) {
  const uint64_t info = c.read(Field::entry_interruption_info);
  return (info & entry_event::valid) != 0 ? info : 0;
}

void event_type(Checker& c) {
  const uint64_t info = entry_event_info(c);
  if (info == 0) return;
  const uint32_t type = entry_event::type(info);
  // "Other event" (pending MTF VM exit) needs the monitor-trap-flag control.
  const bool mtf_supported =
      (allowed_settings(c.env().msrs, ControlWord::primary_processor).may_be_one &
       primary::monitor_trap_flag) != 0;
  if (type == entry_event::reserved_type || (type == entry_event::other_event && !mtf_supported)) {
    c.fail(Field::entry_interruption_info, info);
  }
}

void event_vector(Checker& c) {
  const uint64_t info = entry_event_info(c);
  if (info == 0) return;
  const uint32_t type = entry_event::type(info);
  const uint32_t vector = entry_event::vector(info);
  const uint64_t without_vector = info & ~uint64_t{0xFF};
  if (type == entry_event::nmi && vector != 2) {
    c.fail(Field::entry_interruption_info, info, without_vector | 2);
  } else if (type == entry_event::hardware_exception && vector > 31) {
    c.fail(Field::entry_interruption_info, info);
  } else if (type == entry_event::other_event && vector != 0) {
    c.fail(Field::entry_interruption_info, info, without_vector);
  }
}

// Exceptions that push an error code: #DF, #TS, #NP, #SS, #GP, #PF, #AC.
constexpr bool exception_has_error_code(uint32_t vector) {
  return vector == 8 || (vector >= 10 && vector <= 14) || vector == 17;
}

void event_error_code_bit(Checker& c) {
  const uint64_t info = entry_event_info(c);
  if (info == 0) return;
  const bool real_mode = c.unrestricted_guest() && (c.read(Field::guest_cr0) & cr0::pe) == 0;
  const bool hardware_exception = entry_event::type(info) == entry_event::hardware_exception;
  const bool may_deliver = !real_mode && hardware_exception;
  // IA32_VMX_BASIC[56]: hardware exceptions may go with or without an
  // error code, whatever the vector.
  const bool any_vector = bit(c.env().msrs.basic, 56);
  const bool must_deliver =
      may_deliver && !any_vector && exception_has_error_code(entry_event::vector(info));
  const bool delivers = (info & entry_event::deliver_error_code) != 0;
  if (delivers && !may_deliver) {
    c.fail(Field::entry_interruption_info, info, info & ~uint64_t{entry_event::deliver_error_code});
  } else if (!delivers && must_deliver) {
    c.fail(Field::entry_interruption_info, info, info | entry_event::deliver_error_code);
  }
}

void event_reserved(Checker& c) {
  const uint64_t info = entry_event_info(c);
  constexpr uint64_t reserved = 0x7FFFF000;  // bits 30:12
  if ((info & reserved) != 0) c.fail(Field::entry_interruption_info, info, info & ~reserved);
}

void event_error_code(Checker& c) {
  const uint64_t info = entry_event_info(c);
  if ((info & entry_event::deliver_error_code) == 0) return;
  const uint64_t code = c.read(Field::entry_exception_error_code);
  if ((code & 0xFFFF0000) != 0) c.fail(Field::entry_exception_error_code, code, code & 0xFFFF);
}

void event_instruction_length(Checker& c) {
  const uint64_t info = entry_event_info(c);
  if (info == 0) return;
  const uint32_t type = entry_event::type(info);
  if (type != entry_event::software_interrupt && type != entry_event::privileged_software_exception &&
      type != entry_event::software_exception) {
    return;
  }
  const uint64_t length = c.read(Field::entry_instruction_length);
  // IA32_VMX_MISC[30]: an instruction length of 0 is allowed.
  const bool zero_allowed = bit(c.env().msrs.misc, 30);
  if (length > 15 || (length == 0 && !zero_allowed)) {
    c.fail(Field::entry_instruction_length, length);
    c.relate(Field::entry_interruption_info, info);
  }
}

void entry_msr_load_aligned(Checker& c) {
  msr_list_aligned(c, Field::entry_msr_load_count, Field::entry_msr_load_address);
}
void entry_msr_load_width(Checker& c) {
  msr_list_width(c, Field::entry_msr_load_count, Field::entry_msr_load_address);
}

// The VMM never runs in SMM: both SMM-related entry controls must be 0.
void entry_to_smm_outside_smm(Checker& c) {
  const uint32_t value = c.entry_controls();
  if ((value & entry_ctl::entry_to_smm) != 0) {
    c.fail(Field::entry_controls, value, value & ~entry_ctl::entry_to_smm);
  }
}

void deactivate_dual_monitor_outside_smm(Checker& c) {
  const uint32_t value = c.entry_controls();
  if ((value & entry_ctl::deactivate_dual_monitor) != 0) {
    c.fail(Field::entry_controls, value, value & ~entry_ctl::deactivate_dual_monitor);
  }
}

constexpr const char* s_exec = "26.2.1.1";
constexpr const char* s_exit = "26.2.1.2";
constexpr const char* s_entry = "26.2.1.3";

constexpr Check checks[] = {
    {{"pin-based-controls-allowed", s_exec,
      "Pin-based controls must set every allowed-0 bit and no bit outside allowed-1."},
     pin_based_controls_allowed},
    {{"primary-controls-allowed", s_exec,
      "Primary processor-based controls must set every allowed-0 bit and no bit outside "
      "allowed-1."},
     primary_controls_allowed},
    {{"secondary-controls-allowed", s_exec,
      "Secondary processor-based controls (when activated) must respect IA32_VMX_PROCBASED_CTLS2."},
     secondary_controls_allowed},
    {{"cr3-target-count", s_exec, "The CR3-target count must not be greater than 4."},
     cr3_target_count_at_most_4},
    {{"io-bitmap-a-aligned", s_exec,
      "With I/O bitmaps, the address of bitmap A must be 4 KiB aligned."},
     io_bitmap_a_aligned},
    {{"io-bitmap-a-width", s_exec,
      "With I/O bitmaps, the address of bitmap A must fit the physical-address width."},
     io_bitmap_a_width},
    {{"io-bitmap-b-aligned", s_exec,
      "With I/O bitmaps, the address of bitmap B must be 4 KiB aligned."},
     io_bitmap_b_aligned},
    {{"io-bitmap-b-width", s_exec,
      "With I/O bitmaps, the address of bitmap B must fit the physical-address width."},
     io_bitmap_b_width},
    {{"msr-bitmap-aligned", s_exec,
      "With MSR bitmaps, the MSR-bitmap address must be 4 KiB aligned."},
     msr_bitmap_aligned},
    {{"msr-bitmap-width", s_exec,
      "With MSR bitmaps, the MSR-bitmap address must fit the physical-address width."},
     msr_bitmap_width},
    {{"virtual-apic-aligned", s_exec,
      "With a TPR shadow, the virtual-APIC address must be 4 KiB aligned."},
     virtual_apic_aligned},
    {{"virtual-apic-width", s_exec,
      "With a TPR shadow, the virtual-APIC address must fit the physical-address width."},
     virtual_apic_width},
    {{"tpr-threshold-reserved", s_exec,
      "With a TPR shadow and no virtual-interrupt delivery, TPR-threshold bits 31:4 must be 0."},
     tpr_threshold_reserved},
    {{"apic-virtualization-needs-tpr-shadow", s_exec,
      "Without a TPR shadow, virtualize x2APIC, APIC-register virtualization and virtual-interrupt "
      "delivery must be 0."},
     apic_virtualization_needs_tpr_shadow},
    {{"virtual-nmis-need-nmi-exiting", s_exec, "Virtual NMIs must be 0 when NMI exiting is 0."},
     virtual_nmis_need_nmi_exiting},
    {{"nmi-window-needs-virtual-nmis", s_exec,
      "NMI-window exiting must be 0 when virtual NMIs is 0."},
     nmi_window_needs_virtual_nmis},
    {{"apic-access-aligned", s_exec,
      "With virtualized APIC accesses, the APIC-access address must be 4 KiB aligned."},
     apic_access_aligned},
    {{"apic-access-width", s_exec,
      "With virtualized APIC accesses, the APIC-access address must fit the physical-address "
      "width."},
     apic_access_width},
    {{"x2apic-excludes-apic-accesses", s_exec,
      "Virtualize x2APIC mode and virtualize APIC accesses must not both be 1."},
     x2apic_mode_excludes_apic_accesses},
    {{"virtual-interrupt-delivery-needs-external-interrupt-exiting", s_exec,
      "Virtual-interrupt delivery requires external-interrupt exiting."},
     virtual_interrupt_delivery_needs_external_interrupt_exiting},
    {{"posted-interrupts-need-virtual-interrupt-delivery", s_exec,
      "Processing posted interrupts requires virtual-interrupt delivery."},
     posted_interrupts_need_virtual_interrupt_delivery},
    {{"posted-interrupts-need-acknowledge-on-exit", s_exec,
      "Processing posted interrupts requires acknowledge interrupt on exit."},
     posted_interrupts_need_acknowledge_on_exit},
    {{"posted-interrupt-vector", s_exec,
      "Posted-interrupt notification vector bits 15:8 must be 0."},
     posted_interrupt_vector},
    {{"posted-interrupt-descriptor-aligned", s_exec,
      "The posted-interrupt descriptor address must be 64-byte aligned."},
     posted_interrupt_descriptor_aligned},
    {{"posted-interrupt-descriptor-width", s_exec,
      "The posted-interrupt descriptor address must fit the physical-address width."},
     posted_interrupt_descriptor_width},
    {{"vpid-nonzero", s_exec, "With VPIDs enabled, the VPID must not be 0."}, vpid_nonzero},
    {{"eptp-memory-type", s_exec,
      "The EPT paging-structure memory type must be one IA32_VMX_EPT_VPID_CAP supports (0 or 6)."},
     eptp_memory_type},
    {{"eptp-walk-length", s_exec, "EPTP bits 5:3 (page-walk length minus 1) must be 3."},
     eptp_walk_length},
    {{"eptp-accessed-dirty", s_exec,
      "EPTP bit 6 (accessed/dirty flags) may be 1 only if IA32_VMX_EPT_VPID_CAP bit 21 is 1."},
     eptp_accessed_dirty},
    {{"eptp-reserved", s_exec,
      "EPTP bits 11:7 and bits beyond the physical-address width must be 0."},
     eptp_reserved},
    {{"pml-needs-ept", s_exec, "Enable PML requires enable EPT."}, pml_needs_ept},
    {{"pml-address-aligned", s_exec, "With PML, the PML address must be 4 KiB aligned."},
     pml_address_aligned},
    {{"pml-address-width", s_exec,
      "With PML, the PML address must fit the physical-address width."},
     pml_address_width},
    {{"unrestricted-guest-needs-ept", s_exec, "Unrestricted guest requires enable EPT."},
     unrestricted_guest_needs_ept},
    {{"vmread-bitmap-aligned", s_exec,
      "With VMCS shadowing, the VMREAD-bitmap address must be 4 KiB aligned."},
     vmread_bitmap_aligned},
    {{"vmread-bitmap-width", s_exec,
      "With VMCS shadowing, the VMREAD-bitmap address must fit the physical-address width."},
     vmread_bitmap_width},
    {{"vmwrite-bitmap-aligned", s_exec,
      "With VMCS shadowing, the VMWRITE-bitmap address must be 4 KiB aligned."},
     vmwrite_bitmap_aligned},
    {{"vmwrite-bitmap-width", s_exec,
      "With VMCS shadowing, the VMWRITE-bitmap address must fit the physical-address width."},
     vmwrite_bitmap_width},
    {{"ve-info-aligned", s_exec,
      "With EPT-violation #VE, the virtualization-exception information address must be 4 KiB "
      "aligned."},
     ve_info_aligned},
    {{"ve-info-width", s_exec,
      "With EPT-violation #VE, the virtualization-exception information address must fit the "
      "physical-address width."},
     ve_info_width},

    {{"exit-controls-allowed", s_exit,
      "VM-exit controls must set every allowed-0 bit and no bit outside allowed-1."},
     exit_controls_allowed},
    {{"save-preemption-timer-needs-activation", s_exit,
      "Save VMX-preemption-timer value must be 0 when the preemption timer is not activated."},
     save_preemption_timer_needs_activation},
    {{"exit-msr-store-aligned", s_exit,
      "With a VM-exit MSR-store count, its address must be 16-byte aligned."},
     exit_msr_store_aligned},
    {{"exit-msr-store-width", s_exit,
      "The whole VM-exit MSR-store area must lie within the physical-address width."},
     exit_msr_store_width},
    {{"exit-msr-load-aligned", s_exit,
      "With a VM-exit MSR-load count, its address must be 16-byte aligned."},
     exit_msr_load_aligned},
    {{"exit-msr-load-width", s_exit,
      "The whole VM-exit MSR-load area must lie within the physical-address width."},
     exit_msr_load_width},

    {{"entry-controls-allowed", s_entry,
      "VM-entry controls must set every allowed-0 bit and no bit outside allowed-1."},
     entry_controls_allowed},
    {{"entry-interruption-type", s_entry,
      "An event delivered on VM entry must not use the reserved type 1, nor type 7 without "
      "monitor-trap-flag support."},
     event_type},
    {{"entry-interruption-vector", s_entry,
      "An NMI delivered on VM entry must have vector 2, a hardware exception a vector up to 31, "
      "an other event vector 0."},
     event_vector},
    {{"entry-interruption-error-code-bit", s_entry,
      "Deliver-error-code must be 1 exactly for protected-mode hardware exceptions that push an "
      "error code."},
     event_error_code_bit},
    {{"entry-interruption-reserved", s_entry,
      "Bits 30:12 of the VM-entry interruption-information field must be 0."},
     event_reserved},
    {{"entry-exception-error-code", s_entry,
      "When an error code is delivered, its bits 31:16 must be 0."},
     event_error_code},
    {{"entry-instruction-length", s_entry,
      "Software interrupts and exceptions delivered on VM entry need an instruction length of "
      "1 to 15."},
     event_instruction_length},
    {{"entry-msr-load-aligned", s_entry,
      "With a VM-entry MSR-load count, its address must be 16-byte aligned."},
     entry_msr_load_aligned},
    {{"entry-msr-load-width", s_entry,
      "The whole VM-entry MSR-load area must lie within the physical-address width."},
     entry_msr_load_width},
    {{"entry-to-smm-outside-smm", s_entry, "Entry to SMM must be 0 outside SMM."},
     entry_to_smm_outside_smm},
    {{"deactivate-dual-monitor-outside-smm", s_entry,
      "Deactivate dual-monitor treatment must be 0 outside SMM."},
     deactivate_dual_monitor_outside_smm},
};

}  // namespace

constinit const CheckGroup control_field_checks =
    make_group(checks, EntryFailureKind::invalid_control_fields);

}  // namespace vmx::entry_checks
