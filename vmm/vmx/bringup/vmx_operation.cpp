// Phase 5: into VMX operation (SDM 24.8, 25.1-25.2): CR0 and CR4 under the
// fixed bits (CR0.NE, CR4.VMXE set), VMXON with the VMXON region, then the
// VMCS made current (VMCLEAR, VMPTRLD); and the way back out.
#include "vmx/bringup/phases.h"

#include "ia32/instructions.h"
#include "ia32/registers.h"
#include "ia32/vmx/capabilities.h"
#include "ia32/vmx/instruction_error.h"
#include "common/console.h"
#include "common/end_run.h"
#include "vmx/fault_cases.h"
#include "vmx/guest_state.h"

namespace vmx::bringup {

using ia32::vmx::VmxResult;

namespace {

// In .bss, above VMM_ADDR (identity-mapped: these addresses are physical).
alignas(4096) uint8_t vmxon_region[4096];
alignas(4096) uint8_t vmcs_region[4096];

struct VmxState {
  bool in_vmx_operation;
  bool vmcs_current;
} state;

uint64_t physical_address(const void* p) { return reinterpret_cast<uint64_t>(p); }

void check(VmxResult result, const char* step) {
  if (result != VmxResult::success) fail_instruction(step, result);
}

uint64_t settle_control_register(const char* name, uint64_t wanted, ia32::vmx::FixedBits fixed) {
  const FixedResult r = apply_fixed_bits(wanted, fixed);
  if (!r.ok) {
    console::printf("vmx: %s bits 0x%lx not allowed in VMX operation (FIXED1 0x%lx)\n", name,
                    r.forbidden, fixed.fixed1);
    end_run("vmx-failed", "step=%s-fixed-bits error=0", name);
  }
  return r.value;
}

}  // namespace

uint32_t read_instruction_error() {
  uint64_t error = 0;
  if (ia32::vmx::vmread(ia32::vmx::encoding(ia32::vmx::VmcsField::vm_instruction_error),
                        &error) != VmxResult::success) {
    return 0;
  }
  return static_cast<uint32_t>(error);
}

void leave_vmx_operation() {
  if (state.vmcs_current) {
    // VMCLEAR writes the VMCS back to memory.
    VmxResult r = ia32::vmx::vmclear(physical_address(vmcs_region));
    if (r != VmxResult::success) console::printf("vmx: VMCLEAR failed: %s\n", vmx_result_name(r));
    state.vmcs_current = false;
  }
  if (state.in_vmx_operation) {
    VmxResult r = ia32::vmx::vmxoff();
    if (r != VmxResult::success) console::printf("vmx: VMXOFF failed: %s\n", vmx_result_name(r));
    state.in_vmx_operation = false;
  }
  write_cr4(read_cr4() & ~cr4::vmxe);
}

void fail_instruction(const char* step, VmxResult result) {
  // Read while still in VMX operation.
  const uint32_t error = result == VmxResult::fail_valid ? read_instruction_error() : 0;
  if (result == VmxResult::fail_valid) {
    console::printf("vmx: %s failed: VMfailValid, VM-instruction error %u: %s\n", step, error,
                    ia32::vmx::instruction_error_name(error));
  } else {
    console::printf("vmx: %s failed: VMfailInvalid (no current VMCS, so no error number)\n",
                    step);
  }
  leave_vmx_operation();
  fault_cases::instruction_failed(step, result, error);
  end_run("vmx-failed", "step=%s error=%u", step, error);
}

void enter_vmx_operation(const CapabilityMsrs& msrs) {
  const ia32::vmx::VmxBasic basic{msrs.basic};
  // Both regions start with the revision ID, bit 31 clear (SDM 25.2).
  *reinterpret_cast<uint32_t*>(vmxon_region) = fault_cases::vmxon_revision(basic.revision_id());
  *reinterpret_cast<uint32_t*>(vmcs_region) = basic.revision_id();

  const uint64_t cr0 = read_cr0();
  const uint64_t new_cr0 =
      settle_control_register("cr0", cr0, {msrs.cr0_fixed0, msrs.cr0_fixed1});
  if (new_cr0 != cr0) write_cr0(new_cr0);
  write_cr4(settle_control_register("cr4", read_cr4() | cr4::vmxe,
                                    {msrs.cr4_fixed0, msrs.cr4_fixed1}));
  check(ia32::vmx::vmxon(physical_address(vmxon_region)), "vmxon");
  state.in_vmx_operation = true;
  check(ia32::vmx::vmclear(physical_address(vmcs_region)), "vmclear");
  check(ia32::vmx::vmptrld(physical_address(vmcs_region)), "vmptrld");
  state.vmcs_current = true;
  check(fault_cases::after_vmptrld(physical_address(vmcs_region)), "vmptrld");
  console::printf("vmx: VMXON, VMCLEAR, VMPTRLD done (revision 0x%x)\n", basic.revision_id());
}

}  // namespace vmx::bringup
