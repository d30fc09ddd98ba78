// The VMX demo's main line (vmx/demo.h): the bring-up in the SDM's order,
// one phase a file (vmx/bringup/phases.h), every decision in the pure plan
// (vmx/plan.h).
#include "vmx/demo.h"

#include "vmx/bringup/phases.h"

namespace vmx {

void run_demo(const layout::BootInfo& boot_info) {
  using namespace bringup;
  check_cpu();                                                    // CPUID.1:ECX.VMX
  enable_vmx_in_feature_control();                                // IA32_FEATURE_CONTROL
  const CapabilityMsrs msrs = read_capabilities();                // IA32_VMX_BASIC ...
  layout::GuestHeader& guest = load_guest(boot_info);             // the checked header
  enter_vmx_operation(msrs);                                      // VMXON, VMPTRLD
  const VmcsPlan& plan = build_vmcs(msrs, guest, boot_info);      // plan, machine[] written
  if (plan.chain) run_chain(plan, msrs, guest);                   // chain mode: its own end
  const GuestRun run = run_guest(plan, guest);                    // VMLAUNCH, its exits
  leave(run, plan, msrs, guest);                                  // VMXOFF, the result line
}

}  // namespace vmx
