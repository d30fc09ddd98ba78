// Named bits of the five VM-execution/exit/entry control words (SDM Vol. 3,
// 25.6.1, 25.6.2, 25.7.1, 25.8.1 in the 2023 edition; 24.x in older ones).
#pragma once

#include <stdint.h>

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

namespace pin_based {
inline constexpr uint32_t external_interrupt_exiting = 1u << 0;
inline constexpr uint32_t nmi_exiting = 1u << 3;
inline constexpr uint32_t virtual_nmis = 1u << 5;
inline constexpr uint32_t activate_preemption_timer = 1u << 6;
inline constexpr uint32_t process_posted_interrupts = 1u << 7;
}  // namespace pin_based

namespace primary_processor {
inline constexpr uint32_t interrupt_window_exiting = 1u << 2;
inline constexpr uint32_t use_tsc_offsetting = 1u << 3;
inline constexpr uint32_t hlt_exiting = 1u << 7;
inline constexpr uint32_t invlpg_exiting = 1u << 9;
inline constexpr uint32_t mwait_exiting = 1u << 10;
inline constexpr uint32_t rdpmc_exiting = 1u << 11;
inline constexpr uint32_t rdtsc_exiting = 1u << 12;
inline constexpr uint32_t cr3_load_exiting = 1u << 15;
inline constexpr uint32_t cr3_store_exiting = 1u << 16;
inline constexpr uint32_t activate_tertiary_controls = 1u << 17;
inline constexpr uint32_t cr8_load_exiting = 1u << 19;
inline constexpr uint32_t cr8_store_exiting = 1u << 20;
inline constexpr uint32_t use_tpr_shadow = 1u << 21;
inline constexpr uint32_t nmi_window_exiting = 1u << 22;
inline constexpr uint32_t mov_dr_exiting = 1u << 23;
inline constexpr uint32_t unconditional_io_exiting = 1u << 24;
inline constexpr uint32_t use_io_bitmaps = 1u << 25;
inline constexpr uint32_t monitor_trap_flag = 1u << 27;
inline constexpr uint32_t use_msr_bitmaps = 1u << 28;
inline constexpr uint32_t monitor_exiting = 1u << 29;
inline constexpr uint32_t pause_exiting = 1u << 30;
inline constexpr uint32_t activate_secondary_controls = 1u << 31;
}  // namespace primary_processor

namespace secondary_processor {
inline constexpr uint32_t virtualize_apic_accesses = 1u << 0;
inline constexpr uint32_t enable_ept = 1u << 1;
inline constexpr uint32_t descriptor_table_exiting = 1u << 2;
inline constexpr uint32_t enable_rdtscp = 1u << 3;
inline constexpr uint32_t virtualize_x2apic_mode = 1u << 4;
inline constexpr uint32_t enable_vpid = 1u << 5;
inline constexpr uint32_t wbinvd_exiting = 1u << 6;
inline constexpr uint32_t unrestricted_guest = 1u << 7;
inline constexpr uint32_t apic_register_virtualization = 1u << 8;
inline constexpr uint32_t virtual_interrupt_delivery = 1u << 9;
inline constexpr uint32_t pause_loop_exiting = 1u << 10;
inline constexpr uint32_t rdrand_exiting = 1u << 11;
inline constexpr uint32_t enable_invpcid = 1u << 12;
inline constexpr uint32_t enable_vm_functions = 1u << 13;
inline constexpr uint32_t vmcs_shadowing = 1u << 14;
inline constexpr uint32_t enable_encls_exiting = 1u << 15;
inline constexpr uint32_t rdseed_exiting = 1u << 16;
inline constexpr uint32_t enable_pml = 1u << 17;
inline constexpr uint32_t ept_violation_ve = 1u << 18;
inline constexpr uint32_t conceal_vmx_from_pt = 1u << 19;
inline constexpr uint32_t enable_xsaves_xrstors = 1u << 20;
inline constexpr uint32_t mode_based_execute_control = 1u << 22;
inline constexpr uint32_t sub_page_write_permissions = 1u << 23;
inline constexpr uint32_t pt_uses_guest_physical_addresses = 1u << 24;
inline constexpr uint32_t use_tsc_scaling = 1u << 25;
inline constexpr uint32_t enable_user_wait_and_pause = 1u << 26;
inline constexpr uint32_t enable_pconfig = 1u << 27;
inline constexpr uint32_t enable_enclv_exiting = 1u << 28;
}  // namespace secondary_processor

namespace exit {
inline constexpr uint32_t save_debug_controls = 1u << 2;
inline constexpr uint32_t host_address_space_size = 1u << 9;
inline constexpr uint32_t load_perf_global_ctrl = 1u << 12;
inline constexpr uint32_t acknowledge_interrupt_on_exit = 1u << 15;
inline constexpr uint32_t save_pat = 1u << 18;
inline constexpr uint32_t load_pat = 1u << 19;
inline constexpr uint32_t save_efer = 1u << 20;
inline constexpr uint32_t load_efer = 1u << 21;
inline constexpr uint32_t save_preemption_timer = 1u << 22;
inline constexpr uint32_t clear_bndcfgs = 1u << 23;
inline constexpr uint32_t conceal_vmx_from_pt = 1u << 24;
inline constexpr uint32_t clear_rtit_ctl = 1u << 25;
inline constexpr uint32_t load_cet_state = 1u << 28;
inline constexpr uint32_t load_pkrs = 1u << 29;
}  // namespace exit

namespace entry {
inline constexpr uint32_t load_debug_controls = 1u << 2;
inline constexpr uint32_t ia32e_mode_guest = 1u << 9;
inline constexpr uint32_t entry_to_smm = 1u << 10;
inline constexpr uint32_t deactivate_dual_monitor = 1u << 11;
inline constexpr uint32_t load_perf_global_ctrl = 1u << 13;
inline constexpr uint32_t load_pat = 1u << 14;
inline constexpr uint32_t load_efer = 1u << 15;
inline constexpr uint32_t load_bndcfgs = 1u << 16;
inline constexpr uint32_t conceal_vmx_from_pt = 1u << 17;
inline constexpr uint32_t load_rtit_ctl = 1u << 18;
inline constexpr uint32_t load_cet_state = 1u << 20;
inline constexpr uint32_t load_pkrs = 1u << 22;
}  // namespace entry

namespace detail {

struct ControlBitName {
  uint8_t bit;
  const char* name;
};

inline constexpr ControlBitName pin_based_names[] = {
    {0, "external-interrupt-exiting"}, {3, "nmi-exiting"},
    {5, "virtual-nmis"}, {6, "activate-preemption-timer"},
    {7, "process-posted-interrupts"},
};
inline constexpr ControlBitName primary_processor_names[] = {
    {2, "interrupt-window-exiting"}, {3, "use-tsc-offsetting"},
    {7, "hlt-exiting"}, {9, "invlpg-exiting"}, {10, "mwait-exiting"},
    {11, "rdpmc-exiting"}, {12, "rdtsc-exiting"}, {15, "cr3-load-exiting"},
    {16, "cr3-store-exiting"}, {17, "activate-tertiary-controls"},
    {19, "cr8-load-exiting"}, {20, "cr8-store-exiting"},
    {21, "use-tpr-shadow"}, {22, "nmi-window-exiting"},
    {23, "mov-dr-exiting"}, {24, "unconditional-io-exiting"},
    {25, "use-io-bitmaps"}, {27, "monitor-trap-flag"},
    {28, "use-msr-bitmaps"}, {29, "monitor-exiting"}, {30, "pause-exiting"},
    {31, "activate-secondary-controls"},
};
inline constexpr ControlBitName secondary_processor_names[] = {
    {0, "virtualize-apic-accesses"}, {1, "enable-ept"},
    {2, "descriptor-table-exiting"}, {3, "enable-rdtscp"},
    {4, "virtualize-x2apic-mode"}, {5, "enable-vpid"}, {6, "wbinvd-exiting"},
    {7, "unrestricted-guest"}, {8, "apic-register-virtualization"},
    {9, "virtual-interrupt-delivery"}, {10, "pause-loop-exiting"},
    {11, "rdrand-exiting"}, {12, "enable-invpcid"},
    {13, "enable-vm-functions"}, {14, "vmcs-shadowing"},
    {15, "enable-encls-exiting"}, {16, "rdseed-exiting"}, {17, "enable-pml"},
    {18, "ept-violation-ve"}, {19, "conceal-vmx-from-pt"},
    {20, "enable-xsaves-xrstors"}, {22, "mode-based-execute-control"},
    {23, "sub-page-write-permissions"},
    {24, "pt-uses-guest-physical-addresses"}, {25, "use-tsc-scaling"},
    {26, "enable-user-wait-and-pause"}, {27, "enable-pconfig"},
    {28, "enable-enclv-exiting"},
};
inline constexpr ControlBitName exit_names[] = {
    {2, "save-debug-controls"}, {9, "host-address-space-size"},
    {12, "load-perf-global-ctrl"}, {15, "acknowledge-interrupt-on-exit"},
    {18, "save-pat"}, {19, "load-pat"}, {20, "save-efer"}, {21, "load-efer"},
    {22, "save-preemption-timer"}, {23, "clear-bndcfgs"},
    {24, "conceal-vmx-from-pt"}, {25, "clear-rtit-ctl"},
    {28, "load-cet-state"}, {29, "load-pkrs"},
};
inline constexpr ControlBitName entry_names[] = {
    {2, "load-debug-controls"}, {9, "ia32e-mode-guest"}, {10, "entry-to-smm"},
    {11, "deactivate-dual-monitor"}, {13, "load-perf-global-ctrl"},
    {14, "load-pat"}, {15, "load-efer"}, {16, "load-bndcfgs"},
    {17, "conceal-vmx-from-pt"}, {18, "load-rtit-ctl"},
    {20, "load-cet-state"}, {22, "load-pkrs"},
};

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
