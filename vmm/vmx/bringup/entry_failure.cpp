// A VM entry that failed: VMfail on VMLAUNCH/VMRESUME, or an exit with bit 31
// set (invalid guest state, MSR loading). The CPU says only that it failed;
// the VMM's own run of the SDM's checks over the current VMCS (so before
// VMCLEAR) says which rule.
#include "vmx/bringup/phases.h"

#include "ia32/cpuid.h"
#include "ia32/instructions.h"
#include "ia32/vmx/instruction_error.h"
#include "common/console.h"
#include "common/end_run.h"
#include "vmx/entry_checks.h"
#include "vmx/exits.h"
#include "vmx/fault_cases.h"

namespace vmx::bringup {

namespace {

using ia32::vmx::VmxResult;

// Returns the id of the first failed check, or "none".
const char* diagnose_entry_failure(const CapabilityMsrs& msrs) {
  const VmcsReader reader{[](void*, uint32_t field, uint64_t* value) {
                            return ia32::vmx::vmread_succeeded(field, value);
                          },
                          nullptr};
  EntryCheckEnvironment environment{};
  environment.msrs = msrs;
  environment.ept_vpid_capability = msrs.ept_vpid;
  uint32_t regs[4];
  cpuid(0x80000008, 0, regs);
  environment.physical_address_width = static_cast<uint8_t>(regs[0]);
  environment.linear_address_width = static_cast<uint8_t>(regs[0] >> 8);
  environment.processor_in_ia32e_mode = true;
  environment.memory = {[](void*, uint64_t address, uint64_t* value) {
                          if (address > 0xFFFFFFF8ull) return false;  // the 4 GiB identity map
                          *value = *reinterpret_cast<const volatile uint64_t*>(address);
                          return true;
                        },
                        nullptr};
  const EntryCheckResult result = run_entry_checks(reader, environment);
  console::printf("vmx: entry diagnosis: %u SDM checks run over the VMCS\n", result.checks_run);
  if (result.passed) {
    console::printf("vmx: every check passed: the cause is outside what the checker covers\n");
    return "none";
  }
  print_check_failure(result.failure);
  return result.failure.id;
}

}  // namespace

void report_entry_failure(uint64_t outcome, const CapabilityMsrs& msrs) {
  const EnterFailure failure{outcome};
  const char* step = failure.step();
  const VmxResult result = failure.result();
  const uint32_t error = result == VmxResult::fail_valid ? read_instruction_error() : 0;
  const char* check = "none";
  if (result == VmxResult::fail_valid) {
    console::printf("vmx: %s failed: VMfailValid, VM-instruction error %u: %s\n", step, error,
                    ia32::vmx::instruction_error_name(error));
    check = diagnose_entry_failure(msrs);
  } else {
    console::printf("vmx: %s failed: VMfailInvalid\n", step);
  }
  leave_vmx_operation();
  fault_cases::entry_failed(step, error, check);
  end_run("entry-failed", "check=%s step=%s error=%u", check, step, error);
}

void report_entry_failure_exit(const CapabilityMsrs& msrs) {
  const ExitLog& log = exit_log();
  const char* reason = ia32::vmx::exit_reason_name(log.info.exit_reason);
  print_exit(log.info, nullptr);
  const char* check = diagnose_entry_failure(msrs);
  leave_vmx_operation();
  fault_cases::entry_failed_on_exit(reason, check);
  end_run("entry-failed", "check=%s error=%s", check, reason);
}

}  // namespace vmx::bringup
