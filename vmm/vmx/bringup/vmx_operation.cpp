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

namespace vmx::bringup {

using ia32::vmx::VmxResult;

namespace {

// The Vcpu is in .bss, above VMM_ADDR (identity-mapped: these addresses
// are physical).
uint64_t physical_address(const void* p) { return reinterpret_cast<uint64_t>(p); }

void check(Vcpu& vcpu, VmxResult result, const char* step) {
  if (result != VmxResult::success) fail_instruction(vcpu, step, result);
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

void leave_vmx_operation(Vcpu& vcpu) {
  if (vcpu.vmcs_current) {
    // VMCLEAR writes the VMCS back to memory.
    VmxResult r = ia32::vmx::vmclear(physical_address(vcpu.vmcs_region));
    if (r != VmxResult::success) console::printf("vmx: VMCLEAR failed: %s\n", vmx_result_name(r));
    vcpu.vmcs_current = false;
  }
  if (vcpu.in_vmx_operation) {
    VmxResult r = ia32::vmx::vmxoff();
    if (r != VmxResult::success) console::printf("vmx: VMXOFF failed: %s\n", vmx_result_name(r));
    vcpu.in_vmx_operation = false;
  }
  write_cr4(read_cr4() & ~cr4::vmxe);
}

void fail_instruction(Vcpu& vcpu, const char* step, VmxResult result) {
  // Read while still in VMX operation.
  const uint32_t error = result == VmxResult::fail_valid ? read_instruction_error() : 0;
  if (result == VmxResult::fail_valid) {
    console::printf("vmx: %s failed: VMfailValid, VM-instruction error %u: %s\n", step, error,
                    ia32::vmx::instruction_error_name(error));
  } else {
    console::printf("vmx: %s failed: VMfailInvalid (no current VMCS, so no error number)\n",
                    step);
  }
  leave_vmx_operation(vcpu);
  fault_cases::instruction_failed(step, result, error);
  end_run("vmx-failed", "step=%s error=%u", step, error);
}

void enter_vmx_operation(Vcpu& vcpu, const CapabilityMsrs& msrs) {
  const ia32::vmx::VmxBasic basic{msrs.basic};
  // Both regions start with the revision ID, bit 31 clear (SDM 25.2).
  const uint32_t vmxon_revision = fault_cases::vmxon_revision(basic.revision_id());
  const uint32_t vmcs_revision = basic.revision_id();
  __builtin_memcpy(vcpu.vmxon_region, &vmxon_revision, 4);
  __builtin_memcpy(vcpu.vmcs_region, &vmcs_revision, 4);

  const uint64_t cr0 = read_cr0();
  const uint64_t new_cr0 =
      settle_control_register("cr0", cr0, {msrs.cr0_fixed0, msrs.cr0_fixed1});
  if (new_cr0 != cr0) write_cr0(new_cr0);
  write_cr4(settle_control_register("cr4", read_cr4() | cr4::vmxe,
                                    {msrs.cr4_fixed0, msrs.cr4_fixed1}));
  check(vcpu, ia32::vmx::vmxon(physical_address(vcpu.vmxon_region)), "vmxon");
  vcpu.in_vmx_operation = true;
  check(vcpu, ia32::vmx::vmclear(physical_address(vcpu.vmcs_region)), "vmclear");
  check(vcpu, ia32::vmx::vmptrld(physical_address(vcpu.vmcs_region)), "vmptrld");
  vcpu.vmcs_current = true;
  check(vcpu, fault_cases::after_vmptrld(physical_address(vcpu.vmcs_region)), "vmptrld");
  console::printf("vmx: VMXON, VMCLEAR, VMPTRLD done (revision 0x%x)\n", basic.revision_id());
}

}  // namespace vmx::bringup
