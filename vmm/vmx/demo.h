// The VMX demo, end to end, in named phases (vmx/bringup/phases.h): check
// the CPU, enable VMX in IA32_FEATURE_CONTROL, read the capability MSRs, load
// the guest's header, enter VMX operation, build the VMCS from the pure plan
// (vmx/plan.h), launch and run the guest's exits, leave. Ends the run through
// end_run() with one of: ok, no-vmx, vmx-disabled, vmx-failed, entry-failed,
// guest-exit, guest-invalid, guest-failed, guest-timeout, host-nmi.
#pragma once

#include "layout.h"

namespace vmx {

// Needs the VMM's GDT with a TSS loaded (the host TR must not be 0) and the
// guest payload loaded at layout::GUEST_ADDR.
[[noreturn]] void run_demo(const layout::BootInfo& boot_info);

}  // namespace vmx
