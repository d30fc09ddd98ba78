// Named bits of the five VM-execution/exit/entry control words (SDM Vol. 3,
// 25.6.1, 25.6.2, 25.7.1, 25.8.1 in the 2023 edition; 24.x in older ones).
#pragma once

#include <stdint.h>

#include "ia32/vmx/dashed_name.h"

namespace ia32::vmx {

enum class ControlWord : uint8_t {
  pin_based,
  primary_processor,
  secondary_processor,
  exit,
  entry,
};
inline constexpr unsigned control_word_count = 5;

constexpr const char* control_word_name(ControlWord word) {
  switch (word) {
    case ControlWord::pin_based: return "pin-based";
    case ControlWord::primary_processor: return "primary-processor-based";
    case ControlWord::secondary_processor: return "secondary-processor-based";
    case ControlWord::exit: return "exit";
    case ControlWord::entry: return "entry";
  }
  return "unknown";
}

// Each word's defined bits as X(name, bit, printed name): the one list from
// which both the bit constants (pin_based::nmi_exiting) and the names
// control_bit_name() prints come.
#define VMX_PIN_BASED_CONTROLS(X)                                           \
  X(external_interrupt_exiting, 0, "external-interrupt-exiting")            \
  X(nmi_exiting, 3, "nmi-exiting")                                          \
  X(virtual_nmis, 5, "virtual-nmis")                                        \
  X(activate_preemption_timer, 6, "activate-preemption-timer")              \
  X(process_posted_interrupts, 7, "process-posted-interrupts")

#define VMX_PRIMARY_PROCESSOR_CONTROLS(X)                                   \
  X(interrupt_window_exiting, 2, "interrupt-window-exiting")                \
  X(use_tsc_offsetting, 3, "use-tsc-offsetting")                            \
  X(hlt_exiting, 7, "hlt-exiting")                                          \
  X(invlpg_exiting, 9, "invlpg-exiting")                                    \
  X(mwait_exiting, 10, "mwait-exiting")                                     \
  X(rdpmc_exiting, 11, "rdpmc-exiting")                                     \
  X(rdtsc_exiting, 12, "rdtsc-exiting")                                     \
  X(cr3_load_exiting, 15, "cr3-load-exiting")                               \
  X(cr3_store_exiting, 16, "cr3-store-exiting")                             \
  X(activate_tertiary_controls, 17, "activate-tertiary-controls")           \
  X(cr8_load_exiting, 19, "cr8-load-exiting")                               \
  X(cr8_store_exiting, 20, "cr8-store-exiting")                             \
  X(use_tpr_shadow, 21, "use-tpr-shadow")                                   \
  X(nmi_window_exiting, 22, "nmi-window-exiting")                           \
  X(mov_dr_exiting, 23, "mov-dr-exiting")                                   \
  X(unconditional_io_exiting, 24, "unconditional-io-exiting")               \
  X(use_io_bitmaps, 25, "use-io-bitmaps")                                   \
  X(monitor_trap_flag, 27, "monitor-trap-flag")                             \
  X(use_msr_bitmaps, 28, "use-msr-bitmaps")                                 \
  X(monitor_exiting, 29, "monitor-exiting")                                 \
  X(pause_exiting, 30, "pause-exiting")                                     \
  X(activate_secondary_controls, 31, "activate-secondary-controls")

#define VMX_SECONDARY_PROCESSOR_CONTROLS(X)                                 \
  X(virtualize_apic_accesses, 0, "virtualize-apic-accesses")                \
  X(enable_ept, 1, "enable-ept")                                            \
  X(descriptor_table_exiting, 2, "descriptor-table-exiting")                \
  X(enable_rdtscp, 3, "enable-rdtscp")                                      \
  X(virtualize_x2apic_mode, 4, "virtualize-x2apic-mode")                    \
  X(enable_vpid, 5, "enable-vpid")                                          \
  X(wbinvd_exiting, 6, "wbinvd-exiting")                                    \
  X(unrestricted_guest, 7, "unrestricted-guest")                            \
  X(apic_register_virtualization, 8, "apic-register-virtualization")        \
  X(virtual_interrupt_delivery, 9, "virtual-interrupt-delivery")            \
  X(pause_loop_exiting, 10, "pause-loop-exiting")                           \
  X(rdrand_exiting, 11, "rdrand-exiting")                                   \
  X(enable_invpcid, 12, "enable-invpcid")                                   \
  X(enable_vm_functions, 13, "enable-vm-functions")                         \
  X(vmcs_shadowing, 14, "vmcs-shadowing")                                   \
  X(enable_encls_exiting, 15, "enable-encls-exiting")                       \
  X(rdseed_exiting, 16, "rdseed-exiting")                                   \
  X(enable_pml, 17, "enable-pml")                                           \
  X(ept_violation_ve, 18, "ept-violation-ve")                               \
  X(conceal_vmx_from_pt, 19, "conceal-vmx-from-pt")                         \
  X(enable_xsaves_xrstors, 20, "enable-xsaves-xrstors")                     \
  X(mode_based_execute_control, 22, "mode-based-execute-control")           \
  X(sub_page_write_permissions, 23, "sub-page-write-permissions")           \
  X(pt_uses_guest_physical_addresses, 24, "pt-uses-guest-physical-addresses")\
  X(use_tsc_scaling, 25, "use-tsc-scaling")                                 \
  X(enable_user_wait_and_pause, 26, "enable-user-wait-and-pause")           \
  X(enable_pconfig, 27, "enable-pconfig")                                   \
  X(enable_enclv_exiting, 28, "enable-enclv-exiting")

#define VMX_EXIT_CONTROLS(X)                                                \
  X(save_debug_controls, 2, "save-debug-controls")                          \
  X(host_address_space_size, 9, "host-address-space-size")                  \
  X(load_perf_global_ctrl, 12, "load-perf-global-ctrl")                     \
  X(acknowledge_interrupt_on_exit, 15, "acknowledge-interrupt-on-exit")     \
  X(save_pat, 18, "save-pat")                                               \
  X(load_pat, 19, "load-pat")                                               \
  X(save_efer, 20, "save-efer")                                             \
  X(load_efer, 21, "load-efer")                                             \
  X(save_preemption_timer, 22, "save-preemption-timer")                     \
  X(clear_bndcfgs, 23, "clear-bndcfgs")                                     \
  X(conceal_vmx_from_pt, 24, "conceal-vmx-from-pt")                         \
  X(clear_rtit_ctl, 25, "clear-rtit-ctl")                                   \
  X(load_cet_state, 28, "load-cet-state")                                   \
  X(load_pkrs, 29, "load-pkrs")

#define VMX_ENTRY_CONTROLS(X)                                               \
  X(load_debug_controls, 2, "load-debug-controls")                          \
  X(ia32e_mode_guest, 9, "ia32e-mode-guest")                                \
  X(entry_to_smm, 10, "entry-to-smm")                                       \
  X(deactivate_dual_monitor, 11, "deactivate-dual-monitor")                 \
  X(load_perf_global_ctrl, 13, "load-perf-global-ctrl")                     \
  X(load_pat, 14, "load-pat")                                               \
  X(load_efer, 15, "load-efer")                                             \
  X(load_bndcfgs, 16, "load-bndcfgs")                                       \
  X(conceal_vmx_from_pt, 17, "conceal-vmx-from-pt")                         \
  X(load_rtit_ctl, 18, "load-rtit-ctl")                                     \
  X(load_cet_state, 20, "load-cet-state")                                   \
  X(load_pkrs, 22, "load-pkrs")

#define VMX_CONTROL_BIT(name, bit, text) inline constexpr uint32_t name = 1u << bit;
namespace pin_based { VMX_PIN_BASED_CONTROLS(VMX_CONTROL_BIT) }
namespace primary_processor { VMX_PRIMARY_PROCESSOR_CONTROLS(VMX_CONTROL_BIT) }
namespace secondary_processor { VMX_SECONDARY_PROCESSOR_CONTROLS(VMX_CONTROL_BIT) }
namespace exit { VMX_EXIT_CONTROLS(VMX_CONTROL_BIT) }
namespace entry { VMX_ENTRY_CONTROLS(VMX_CONTROL_BIT) }
#undef VMX_CONTROL_BIT

namespace detail {

struct ControlBitName {
  uint8_t bit;
  const char* name;
};

#define VMX_CONTROL_BIT_NAME(name, bit, text) ControlBitName{bit, text},
inline constexpr ControlBitName pin_based_names[] = {VMX_PIN_BASED_CONTROLS(VMX_CONTROL_BIT_NAME)};
inline constexpr ControlBitName primary_processor_names[] = {
    VMX_PRIMARY_PROCESSOR_CONTROLS(VMX_CONTROL_BIT_NAME)};
inline constexpr ControlBitName secondary_processor_names[] = {
    VMX_SECONDARY_PROCESSOR_CONTROLS(VMX_CONTROL_BIT_NAME)};
inline constexpr ControlBitName exit_names[] = {VMX_EXIT_CONTROLS(VMX_CONTROL_BIT_NAME)};
inline constexpr ControlBitName entry_names[] = {VMX_ENTRY_CONTROLS(VMX_CONTROL_BIT_NAME)};
#undef VMX_CONTROL_BIT_NAME

#define VMX_CONTROL_NAME_CHECK(name, bit, text) static_assert(is_dashed_form(#name, text));
VMX_PIN_BASED_CONTROLS(VMX_CONTROL_NAME_CHECK)
VMX_PRIMARY_PROCESSOR_CONTROLS(VMX_CONTROL_NAME_CHECK)
VMX_SECONDARY_PROCESSOR_CONTROLS(VMX_CONTROL_NAME_CHECK)
VMX_EXIT_CONTROLS(VMX_CONTROL_NAME_CHECK)
VMX_ENTRY_CONTROLS(VMX_CONTROL_NAME_CHECK)
#undef VMX_CONTROL_NAME_CHECK

template <unsigned N>
constexpr const char* find_bit_name(const ControlBitName (&names)[N], unsigned bit) {
  for (const ControlBitName& entry : names) {
    if (entry.bit == bit) return entry.name;
  }
  return nullptr;
}

}  // namespace detail

// The SDM's name for a control bit in dashed lower case; "reserved" for a
// bit the SDM does not define (in the word given).
constexpr const char* control_bit_name(ControlWord word, unsigned bit) {
  const char* name = nullptr;
  switch (word) {
    case ControlWord::pin_based: name = detail::find_bit_name(detail::pin_based_names, bit); break;
    case ControlWord::primary_processor:
      name = detail::find_bit_name(detail::primary_processor_names, bit);
      break;
    case ControlWord::secondary_processor:
      name = detail::find_bit_name(detail::secondary_processor_names, bit);
      break;
    case ControlWord::exit: name = detail::find_bit_name(detail::exit_names, bit); break;
    case ControlWord::entry: name = detail::find_bit_name(detail::entry_names, bit); break;
  }
  return name != nullptr ? name : "reserved";
}

static_assert(primary_processor::use_io_bitmaps == 1u << 25);
static_assert(control_bit_name(ControlWord::primary_processor, 25)[4] == 'i');

}  // namespace ia32::vmx
