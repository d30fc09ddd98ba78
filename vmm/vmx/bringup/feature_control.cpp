// Phase 2: IA32_FEATURE_CONTROL lets VMXON run outside SMX (SDM 24.7).
// Locked with VMX off, VMXON would #GP until the next reset; unlocked, the
// VMM turns VMX on and locks it itself.
#include "vmx/bringup/phases.h"

#include "ia32/instructions.h"
#include "ia32/vmx/capabilities.h"
#include "common/console.h"
#include "common/end_run.h"
#include "vmx/fault_cases.h"

namespace vmx::bringup {

void enable_vmx_in_feature_control() {
  namespace fc = ia32::vmx::feature_control;
  const uint64_t read = rdmsr(ia32::vmx::msr::feature_control);
  console::printf("cpu: IA32_FEATURE_CONTROL 0x%llx (%s, VMX outside SMX %s)\n",
                  (unsigned long long)read, (read & fc::lock) ? "locked" : "unlocked",
                  (read & fc::vmx_outside_smx) ? "on" : "off");
  const uint64_t value = fault_cases::feature_control_as_read(read);
  if ((value & fc::lock) != 0) {
    if ((value & fc::vmx_outside_smx) == 0) {
      // Only the firmware setup (or its defaults) can turn VMX on.
      console::printf("vmx: IA32_FEATURE_CONTROL 0x%lx is locked with VMX off: VMX is turned off"
                      " in the firmware setup (turn on Intel VT-x there)\n", value);
      fault_cases::vmx_disabled();
      end_run("vmx-disabled", "feature-control=0x%lx locked with bit 2 clear", value);
    }
    return;
  }
  wrmsr(ia32::vmx::msr::feature_control, value | fc::vmx_outside_smx | fc::lock);
  const uint64_t after = rdmsr(ia32::vmx::msr::feature_control);
  console::printf("vmx: IA32_FEATURE_CONTROL was unlocked (0x%lx), now 0x%lx\n", value, after);
  if ((after & (fc::vmx_outside_smx | fc::lock)) != (fc::vmx_outside_smx | fc::lock)) {
    end_run("vmx-disabled", "feature-control=0x%lx did not take bits 2 and 0", after);
  }
}

}  // namespace vmx::bringup
