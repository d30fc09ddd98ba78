// VM-instruction error numbers (SDM Vol. 3, 31.4 "VM instruction error
// numbers"): what VMfailValid leaves in the VMCS field 0x4400.
#pragma once

#include <stdint.h>

namespace ia32::vmx {

enum class InstructionError : uint32_t {
  vmcall_in_vmx_root = 1,
  vmclear_invalid_address = 2,
  vmclear_vmxon_pointer = 3,
  vmlaunch_non_clear_vmcs = 4,
  vmresume_non_launched_vmcs = 5,
  vmresume_after_vmxoff = 6,
  entry_invalid_control_fields = 7,
  entry_invalid_host_state = 8,
  vmptrld_invalid_address = 9,
  vmptrld_vmxon_pointer = 10,
  vmptrld_wrong_revision = 11,
  unsupported_vmcs_component = 12,
  vmwrite_read_only_component = 13,
  vmxon_in_vmx_root = 15,
  entry_invalid_executive_vmcs_pointer = 16,
  entry_non_launched_executive_vmcs = 17,
  entry_executive_vmcs_not_vmxon_pointer = 18,
  vmcall_non_clear_vmcs = 19,
  vmcall_invalid_exit_controls = 20,
  vmcall_wrong_mseg_revision = 22,
  vmxoff_dual_monitor = 23,
  vmcall_invalid_smm_monitor_features = 24,
  entry_invalid_executive_controls = 25,
  entry_events_blocked_by_mov_ss = 26,
  invept_invvpid_invalid_operand = 28,
};

namespace detail {

// Indexed by error number; the texts are the SDM table's.
inline constexpr const char* instruction_error_names[] = {
    nullptr,
    "VMCALL executed in VMX root operation",                                      // 1
    "VMCLEAR with invalid physical address",                                      // 2
    "VMCLEAR with VMXON pointer",                                                 // 3
    "VMLAUNCH with non-clear VMCS",                                               // 4
    "VMRESUME with non-launched VMCS",                                            // 5
    "VMRESUME after VMXOFF",                                                      // 6
    "VM entry with invalid control field(s)",                                     // 7
    "VM entry with invalid host-state field(s)",                                  // 8
    "VMPTRLD with invalid physical address",                                      // 9
    "VMPTRLD with VMXON pointer",                                                 // 10
    "VMPTRLD with incorrect VMCS revision identifier",                            // 11
    "VMREAD/VMWRITE from/to unsupported VMCS component",                          // 12
    "VMWRITE to read-only VMCS component",                                        // 13
    nullptr,                                                                      // 14
    "VMXON executed in VMX root operation",                                       // 15
    "VM entry with invalid executive-VMCS pointer",                               // 16
    "VM entry with non-launched executive VMCS",                                  // 17
    "VM entry with executive-VMCS pointer not VMXON pointer",                     // 18
    "VMCALL with non-clear VMCS",                                                 // 19
    "VMCALL with invalid VM-exit control fields",                                 // 20
    nullptr,                                                                      // 21
    "VMCALL with incorrect MSEG revision identifier",                             // 22
    "VMXOFF under dual-monitor treatment of SMIs and SMM",                        // 23
    "VMCALL with invalid SMM-monitor features",                                   // 24
    "VM entry with invalid VM-execution control fields in executive VMCS",        // 25
    "VM entry with events blocked by MOV SS",                                     // 26
    nullptr,                                                                      // 27
    "Invalid operand to INVEPT/INVVPID",                                          // 28
};

inline constexpr uint32_t instruction_error_count =
    sizeof(instruction_error_names) / sizeof(instruction_error_names[0]);
static_assert(instruction_error_count == 29);

}  // namespace detail

// The SDM's wording for error 1..28; "reserved" for the numbers it skips
// (14, 21, 27) and "unknown" outside that range.
constexpr const char* instruction_error_name(uint32_t error) {
  if (error == 0 || error >= detail::instruction_error_count) return "unknown";
  const char* name = detail::instruction_error_names[error];
  return name != nullptr ? name : "reserved";
}

}  // namespace ia32::vmx

