// VM-instruction error numbers (SDM Vol. 3, 31.4 "VM instruction error
// numbers"): what VMfailValid leaves in the VMCS field 0x4400.
#pragma once

#include <stdint.h>

namespace ia32::vmx {

// Every error number the SDM defines, as X(name, number, the SDM's text):
// the one list from which the enumerators and the texts come.
#define VMX_INSTRUCTION_ERRORS(X)                                           \
  X(vmcall_in_vmx_root, 1,                                                  \
    "VMCALL executed in VMX root operation")                                \
  X(vmclear_invalid_address, 2,                                             \
    "VMCLEAR with invalid physical address")                                \
  X(vmclear_vmxon_pointer, 3,                                               \
    "VMCLEAR with VMXON pointer")                                           \
  X(vmlaunch_non_clear_vmcs, 4,                                             \
    "VMLAUNCH with non-clear VMCS")                                         \
  X(vmresume_non_launched_vmcs, 5,                                          \
    "VMRESUME with non-launched VMCS")                                      \
  X(vmresume_after_vmxoff, 6,                                               \
    "VMRESUME after VMXOFF")                                                \
  X(entry_invalid_control_fields, 7,                                        \
    "VM entry with invalid control field(s)")                               \
  X(entry_invalid_host_state, 8,                                            \
    "VM entry with invalid host-state field(s)")                            \
  X(vmptrld_invalid_address, 9,                                             \
    "VMPTRLD with invalid physical address")                                \
  X(vmptrld_vmxon_pointer, 10,                                              \
    "VMPTRLD with VMXON pointer")                                           \
  X(vmptrld_wrong_revision, 11,                                             \
    "VMPTRLD with incorrect VMCS revision identifier")                      \
  X(unsupported_vmcs_component, 12,                                         \
    "VMREAD/VMWRITE from/to unsupported VMCS component")                    \
  X(vmwrite_read_only_component, 13,                                        \
    "VMWRITE to read-only VMCS component")                                  \
  X(vmxon_in_vmx_root, 15,                                                  \
    "VMXON executed in VMX root operation")                                 \
  X(entry_invalid_executive_vmcs_pointer, 16,                               \
    "VM entry with invalid executive-VMCS pointer")                         \
  X(entry_non_launched_executive_vmcs, 17,                                  \
    "VM entry with non-launched executive VMCS")                            \
  X(entry_executive_vmcs_not_vmxon_pointer, 18,                             \
    "VM entry with executive-VMCS pointer not VMXON pointer")               \
  X(vmcall_non_clear_vmcs, 19,                                              \
    "VMCALL with non-clear VMCS")                                           \
  X(vmcall_invalid_exit_controls, 20,                                       \
    "VMCALL with invalid VM-exit control fields")                           \
  X(vmcall_wrong_mseg_revision, 22,                                         \
    "VMCALL with incorrect MSEG revision identifier")                       \
  X(vmxoff_dual_monitor, 23,                                                \
    "VMXOFF under dual-monitor treatment of SMIs and SMM")                  \
  X(vmcall_invalid_smm_monitor_features, 24,                                \
    "VMCALL with invalid SMM-monitor features")                             \
  X(entry_invalid_executive_controls, 25,                                   \
    "VM entry with invalid VM-execution control fields in executive VMCS")  \
  X(entry_events_blocked_by_mov_ss, 26,                                     \
    "VM entry with events blocked by MOV SS")                               \
  X(invept_invvpid_invalid_operand, 28,                                     \
    "Invalid operand to INVEPT/INVVPID")

enum class InstructionError : uint32_t {
#define VMX_INSTRUCTION_ERROR_ENUMERATOR(name, number, text) name = number,
  VMX_INSTRUCTION_ERRORS(VMX_INSTRUCTION_ERROR_ENUMERATOR)
#undef VMX_INSTRUCTION_ERROR_ENUMERATOR
};

namespace detail {

// One past the highest error number.
inline constexpr uint32_t instruction_error_count = 29;

// Indexed by error number; nullptr for the numbers the SDM skips.
struct InstructionErrorNames {
  const char* by_number[instruction_error_count];
};
constexpr InstructionErrorNames make_instruction_error_names() {
  InstructionErrorNames names{};
#define VMX_INSTRUCTION_ERROR_NAME(name, number, text) names.by_number[number] = text;
  VMX_INSTRUCTION_ERRORS(VMX_INSTRUCTION_ERROR_NAME)
#undef VMX_INSTRUCTION_ERROR_NAME
  return names;
}
inline constexpr InstructionErrorNames instruction_error_names = make_instruction_error_names();

}  // namespace detail

// The SDM's wording for error 1..28; "reserved" for the numbers it skips
// (14, 21, 27) and "unknown" outside that range.
constexpr const char* instruction_error_name(uint32_t error) {
  if (error == 0 || error >= detail::instruction_error_count) return "unknown";
  const char* name = detail::instruction_error_names.by_number[error];
  return name != nullptr ? name : "reserved";
}

}  // namespace ia32::vmx

